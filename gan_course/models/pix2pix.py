"""pix2pix (Isola et al. 2017): paired image-to-image translation with a conditional GAN.

A U-Net generator maps an input image (a damaged digit) to an output image; a PatchGAN
discriminator sees (input, output) pairs and outputs one logit per image patch. The
generator minimises adversarial + l1_weight * L1: the L1 term pulls outputs towards the
paired target, the adversarial term makes them look like real digits instead of blurry
averages. Three paired tasks are built from the digits themselves (`TASKS`).
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from keras import layers

from gan_course.config import check_image_shape, validate_positive
from gan_course.models.common import global_batch_norm
from gan_course.training.settings import RunSettings
from gan_course.training.setup import adam, assemble_setup, family_setup

# 70 steps of 64 per epoch on mnist_5k; notebook 09 stops each run at its time budget.
# XLA off: it does not pay off for these convolutions on a CPU.
# measured: benchmarks/README.md, "XLA per family"
RUN_DEFAULTS = RunSettings(epochs=20, batch_size=64, jit_compile=False)

TASKS = ("inpaint", "superres", "edges")
HOLE_SIZE = 12  # side of the square hidden by 'inpaint'
HOLE_RANGE = (4, 12)  # its top-left corner is uniform in [4, 12]: the hole stays on the digit
SUPERRES_FACTOR = 4  # 'superres' inputs are 28 / 4 = 7 pixels wide


@dataclasses.dataclass(frozen=True)
class Pix2PixConfig:
    task: str = "inpaint"  # one of TASKS: inpaint, superres, edges
    generator_filters: tuple[int, ...] = (32, 64)  # U-Net stride-2 widths: 28 -> 14 -> 7
    bottleneck_filters: int = 128  # width at 7x7
    discriminator_filters: tuple[int, ...] = (32, 64)  # PatchGAN stride-2 widths: 28 -> 7
    # lambda of Isola et al. 2017, not tuned here; L1 alone against L1 + GAN per task:
    # measured: benchmarks/README.md, "pix2pix: L1 or L1 + GAN"
    l1_weight: float = 100.0
    adversarial_weight: float = 1.0  # 0 trains the same U-Net with L1 only (no discriminator)
    learning_rate: float = 2e-4  # both networks (Isola et al. 2017)
    beta_1: float = 0.5

    def __post_init__(self):
        validate_positive(self, "bottleneck_filters", "l1_weight", "learning_rate")
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; choose one of {', '.join(TASKS)}")
        if self.adversarial_weight < 0:
            raise ValueError(
                f"adversarial_weight must be 0 (L1 only) or positive, got {self.adversarial_weight}"
            )
        if len(self.generator_filters) != 2 or len(self.discriminator_filters) != 2:
            raise ValueError("28x28 digits take two stride-2 stages: give two widths for each")


def make_inputs(targets, task: str, *, rng):
    """Targets (B, H, W, 1) in [-1, 1] -> the damaged inputs (B, H, W, 1) in [-1, 1].

    inpaint: a HOLE_SIZE square at a random place (from `rng`, a tf.random.Generator) set
    to 0 (grey, a value no digit pixel has); superres: SUPERRES_FACTOR x average pooling,
    enlarged back by repetition; edges: the thresholded morphological gradient (dilation
    minus erosion, 3x3) of the digit, its outline.
    """
    import tensorflow as tf

    from gan_course.training import randomness

    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    targets = tf.convert_to_tensor(targets, tf.float32)
    shape = tf.shape(targets)
    if task == "superres":
        size = (targets.shape[1], targets.shape[2])
        small = tf.nn.avg_pool2d(targets, SUPERRES_FACTOR, SUPERRES_FACTOR, "VALID")  # (B, 7, 7, 1)
        return tf.image.resize(small, size, method="nearest")
    if task == "edges":
        dilation = tf.nn.max_pool2d(targets, 3, 1, "SAME")
        erosion = -tf.nn.max_pool2d(-targets, 3, 1, "SAME")
        outline = (dilation - erosion) > 1.0  # a change of half the [-1, 1] range
        return tf.where(outline, 1.0, -1.0)
    # One corner per image of the global batch, so N replicas hide what one device hides.
    corners = randomness.uniform(
        rng, (shape[0], 2), HOLE_RANGE[0], HOLE_RANGE[1] + 1, dtype=tf.int32
    )  # (B, 2)
    rows = tf.range(shape[1])[None, :, None]  # (1, H, 1)
    columns = tf.range(shape[2])[None, None, :]  # (1, 1, W)
    top, left = corners[:, 0, None, None], corners[:, 1, None, None]  # (B, 1, 1)
    inside = (rows >= top) & (rows < top + HOLE_SIZE) & (columns >= left)
    inside &= columns < left + HOLE_SIZE  # (B, H, W)
    return tf.where(inside[..., None], 0.0, targets)


def make_pairs(images, task: str, *, seed: int = 0):
    """uint8 digits (N, H, W, 1) -> (inputs, targets), float32 (N, H, W, 1) in [-1, 1]."""
    import tensorflow as tf

    from gan_course.data import scale_images

    targets = scale_images(images, "gan")
    inputs = make_inputs(targets, task, rng=tf.random.Generator.from_seed(seed))
    return inputs.numpy(), targets.numpy()


def build_pix2pix_generator(
    *,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (32, 64),
    bottleneck_filters: int = 128,
) -> keras.Model:
    """U-Net: inputs (B, H, W, C) in [-1, 1] -> outputs (B, H, W, C) in [-1, 1] (tanh)."""
    _, _, channels = check_image_shape(image_shape, multiple_of=2 ** len(filters))
    inputs = keras.Input(image_shape, name="inputs")
    x, skips = inputs, []
    for index, width in enumerate(filters):  # encoder: 28 -> 14 -> 7
        skips.append(x)  # (B, 28, 28, C), then (B, 14, 14, 32)
        x = layers.Conv2D(width, 4, strides=2, padding="same", name=f"down_{index}")(x)
        if index > 0:  # no normalisation on the input layer (as in DCGAN)
            x = global_batch_norm()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(bottleneck_filters, 3, padding="same", name="bottleneck")(x)
    x = global_batch_norm()(x)
    x = layers.ReLU()(x)  # (B, 7, 7, bottleneck_filters)
    for index, (width, skip) in enumerate(zip(reversed(filters), reversed(skips))):
        x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", name=f"up_{index}")(x)
        x = global_batch_norm()(x)
        x = layers.ReLU()(x)
        # The skip hands the encoder's detail at this resolution straight to the decoder.
        x = layers.Concatenate(name=f"skip_{index}")([x, skip])  # (B, 14, 14, 64 + 32), ...
    # float32 under any mixed-precision policy, so the L1 loss and the samples stay float32.
    outputs = layers.Conv2D(
        channels, 3, padding="same", activation="tanh", dtype="float32", name="outputs"
    )(x)
    return keras.Model(inputs, outputs, name="unet_generator")  # (B, H, W, C)


def build_pix2pix_discriminator(
    *,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (32, 64),
) -> keras.Model:
    """PatchGAN: [inputs, images] (B, H, W, C) each, in [-1, 1] -> logits (B, H/4, W/4, 1), unbounded."""
    check_image_shape(image_shape, multiple_of=2 ** len(filters))
    inputs = keras.Input(image_shape, name="inputs")
    images = keras.Input(image_shape, name="images")
    x = layers.Concatenate()([inputs, images])  # (B, H, W, 2C): judged as a pair
    for index, width in enumerate(filters):
        x = layers.Conv2D(width, 4, strides=2, padding="same")(x)
        if index > 0:
            x = global_batch_norm()(x)
        x = layers.LeakyReLU(0.2)(x)  # (B, 14, 14, 32), then (B, 7, 7, 64)
    # One logit per position: each judges an 18x18 patch of the pair (its receptive field);
    # float32 under any precision policy, so the losses are float32.
    patch_logits = layers.Conv2D(1, 3, padding="same", dtype="float32", name="patch_logits")
    logits = patch_logits(x)  # (B, 7, 7, 1)
    return keras.Model([inputs, images], logits, name="patchgan_discriminator")


def make_pix2pix_train_step(
    generator,
    discriminator,
    generator_optimizer,
    discriminator_optimizer,
    *,
    rng,
    task: str,
    l1_weight: float = 100.0,
    adversarial_weight: float = 1.0,
    jit_compile: bool = False,
):
    """Return `train_step(targets) -> dict of scalar tensors`, compiled with `tf.function`.

    `targets` are digits (B, H, W, 1) in [-1, 1]; their damaged inputs are made inside the
    step (`make_inputs`, fresh holes from `rng` every step). With `adversarial_weight` 0
    the discriminator is neither run nor updated: the U-Net learns from L1 alone."""
    import tensorflow as tf

    from gan_course import losses
    from gan_course.training.update import apply_update

    adversarial = adversarial_weight > 0

    def step(targets):
        inputs = make_inputs(targets, task, rng=rng)  # (B, H, W, 1)
        if not adversarial:
            with tf.GradientTape() as tape:
                outputs = generator(inputs, training=True)
                l1 = losses.mean_absolute_error(targets, outputs)
                g_loss = l1_weight * l1
            g_grad_norm = apply_update(
                tape, g_loss, generator.trainable_variables, generator_optimizer
            )
            return {"g_loss": g_loss, "l1": l1, "g_grad_norm": g_grad_norm}
        # One generator pass feeds both updates (two tapes), as in Isola et al.'s code.
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            outputs = generator(inputs, training=True)
            real_logits = discriminator([inputs, targets], training=True)  # (B, 7, 7, 1)
            fake_logits = discriminator([inputs, outputs], training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
            l1 = losses.mean_absolute_error(targets, outputs)
            g_adversarial = losses.generator_loss_nonsaturating(fake_logits)
            g_loss = adversarial_weight * g_adversarial + l1_weight * l1
        g_grad_norm = apply_update(
            g_tape, g_loss, generator.trainable_variables, generator_optimizer
        )
        d_grad_norm = apply_update(
            d_tape, d_loss, discriminator.trainable_variables, discriminator_optimizer
        )
        return {
            "g_loss": g_loss,
            "l1": l1,
            "g_adversarial": g_adversarial,
            "d_loss": d_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),  # mean over patches of D(x, y)
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
            "g_grad_norm": g_grad_norm,
            "d_grad_norm": d_grad_norm,
        }

    return tf.function(step, jit_compile=jit_compile)


def translate(generator, inputs, *, batch_size: int = 250) -> np.ndarray:
    """Inputs (N, H, W, 1) in [-1, 1] -> generator outputs as uint8 (N, H, W, 1)."""
    from gan_course.data import to_uint8

    chunks = [
        np.asarray(generator(inputs[start : start + batch_size], training=False))
        for start in range(0, len(inputs), batch_size)
    ]
    return to_uint8(np.concatenate(chunks), "gan")


def psnr(targets, outputs) -> float:
    """Peak signal-to-noise ratio in dB of uint8 images: 10 log10(255^2 / MSE), over all pixels."""
    targets = np.asarray(targets, np.float64)
    error = np.mean((targets - np.asarray(outputs, np.float64)) ** 2)
    return float("inf") if error == 0 else float(10.0 * np.log10(255.0**2 / error))


def _grid_inputs(image_shape, task: str, held_out, *, seed: int):
    """The grids' 18 fixed inputs (3 input/output pairs a row): the run's own held-out
    images if given, else held-out mnist_5k digits, else blank."""
    from gan_course.data import load_dataset

    if held_out is not None:
        shown = np.asarray(held_out)[np.resize(np.arange(len(held_out)), 18)]
        return make_pairs(shown, task, seed=seed)[0]
    if tuple(image_shape) == (28, 28, 1):
        digits, _ = load_dataset("mnist_5k", split="test")
        return make_pairs(digits[::28][:18], task, seed=seed)[0]
    return np.zeros((18, *image_shape), np.float32)


@family_setup(RUN_DEFAULTS)
def build_pix2pix_setup(
    config: Pix2PixConfig, *, image_shape=(28, 28, 1), settings: RunSettings, held_out=None
):
    """Models, optimizers, RNG and compiled step for one pix2pix run (used by the CLI).

    pix2pix translates given inputs and draws nothing from noise (`generative=False`); its
    progress grids pair 18 fixed held-out inputs (`held_out`, if given) with translations.
    """
    generator = build_pix2pix_generator(
        image_shape=image_shape,
        filters=config.generator_filters,
        bottleneck_filters=config.bottleneck_filters,
    )
    discriminator = build_pix2pix_discriminator(
        image_shape=image_shape, filters=config.discriminator_filters
    )
    fixed_inputs = _grid_inputs(image_shape, config.task, held_out, seed=settings.seed + 1)

    def input_output_pairs(inputs):  # (N, H, W, C) -> (2N, H, W, C): input, output, ...
        outputs = np.asarray(generator(inputs, training=False))
        return np.stack([np.asarray(inputs), outputs], axis=1).reshape(-1, *outputs.shape[1:])

    def make_step(optimizers, rng):
        return make_pix2pix_train_step(
            generator,
            discriminator,
            optimizers["generator"],
            optimizers["discriminator"],
            rng=rng,
            task=config.task,
            l1_weight=config.l1_weight,
            adversarial_weight=config.adversarial_weight,
            jit_compile=settings.jit_compile,
        )

    return assemble_setup(
        settings,
        models={"generator": generator, "discriminator": discriminator},
        optimizers={
            "generator": (adam(config.learning_rate, config.beta_1), generator.trainable_variables),
            "discriminator": (
                adam(config.learning_rate, config.beta_1),
                discriminator.trainable_variables,
            ),
        },
        make_step=make_step,
        sample=input_output_pairs,
        fixed_inputs=fixed_inputs,
        scale="gan",
        output="image_pairs",
        generative=False,  # it translates given inputs; nothing to sample from noise
        monitor=None,  # the GAN monitor feeds its generator noise; this one takes images
    )
