"""CycleGAN (Zhu et al. 2017): unpaired translation between thin (A) and thick (B) digits.

Domain A is the training digits as they are; domain B is a *disjoint* half of them with
their strokes thickened by a grey dilation (a 3x3 maximum filter). Which half a digit
belongs to is a fixed function of its pixels (`domain_b_mask`), so the split is the same
in every epoch, in the notebook and on the command line, and no digit is ever seen in
both domains: the networks never see a (thin, thick) pair of the same digit.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from keras import layers

from gan_course.config import check_image_shape, validate_positive


@dataclasses.dataclass(frozen=True)
class CycleGANConfig:
    generator_filters: tuple[int, ...] = (32, 64)  # widths at full and at half resolution
    residual_blocks: int = 2  # at half resolution; thickening is local, few are enough
    discriminator_filters: tuple[int, ...] = (32, 64)  # widths of the stride-2 convolutions
    batch_size: int = 64  # split by domain inside the step: ~32 A and ~32 B digits
    epochs: int = 30  # training stops earlier at the notebook's time budget
    learning_rate: float = 2e-4  # Adam, both generators and both discriminators (Zhu et al.)
    beta_1: float = 0.5
    cycle_weight: float = 10.0  # lambda_cycle of Zhu et al. 2017
    identity_weight: float = 5.0  # lambda_id = lambda_cycle / 2, as in Zhu et al. 2017
    dilation: int = 3  # side of the square maximum filter that thickens domain B's strokes
    # Measured on the 2-core CPU, batch 64, 30 steps after 3 warm-up steps: 274 images/s
    # without XLA, 93 with it (the per-domain halves change size in every batch, and XLA
    # compiles one program per shape).
    jit_compile: bool = False

    def __post_init__(self):
        validate_positive(self, "batch_size", "epochs", "learning_rate", "dilation")
        if self.batch_size < 32:
            raise ValueError(
                f"batch_size must be >= 32 (each batch is split into two domains), got {self.batch_size}"
            )
        if self.cycle_weight < 0 or self.identity_weight < 0:
            raise ValueError("cycle_weight and identity_weight must be >= 0 (0 turns a term off)")
        if len(self.generator_filters) != 2 or len(self.discriminator_filters) != 2:
            raise ValueError("give two generator and two discriminator filter widths")
        if self.residual_blocks < 0:
            raise ValueError(f"residual_blocks must be >= 0, got {self.residual_blocks}")


def thicken(images, size: int = 3):
    """Grey dilation of [-1, 1] images (B, H, W, C): each pixel becomes the maximum of its
    size x size neighbourhood, so bright strokes grow by (size - 1) / 2 pixels per side."""
    import tensorflow as tf

    images = tf.convert_to_tensor(images, tf.float32)
    return tf.nn.max_pool2d(images, ksize=size, strides=1, padding="SAME")


def domain_b_mask(images):
    """True for the digits of domain B: those whose uint8 pixel values sum to an odd number.

    Takes [-1, 1] floats (B, H, W, C) or uint8 images; a fixed function of the pixels, so
    it splits any image set into two disjoint halves, the same way every time.
    """
    import tensorflow as tf

    images = tf.convert_to_tensor(images)
    if images.dtype != tf.uint8:  # [-1, 1] floats back to the exact integers 0..255
        images = tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5)
    totals = tf.reduce_sum(tf.cast(images, tf.int32), axis=tf.range(1, tf.rank(images)))
    return tf.equal(totals % 2, 1)  # (B,)


def split_domains(images, *, dilation: int = 3):
    """[-1, 1] images (B, H, W, C) -> (domain A digits as they are, thickened domain B digits)."""
    import tensorflow as tf

    in_b = domain_b_mask(images)
    return tf.boolean_mask(images, ~in_b), thicken(tf.boolean_mask(images, in_b), dilation)


def _instance_norm():
    # GroupNormalization with one group per channel is instance normalisation (Ulyanov et
    # al. 2016), which CycleGAN uses instead of BatchNorm: each image is normalised alone.
    return layers.GroupNormalization(groups=-1, epsilon=1e-5)


def build_cyclegan_generator(
    *,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (32, 64),
    residual_blocks: int = 2,
    name: str = "cyclegan_generator",
) -> keras.Model:
    """Images (B, H, W, C) in [-1, 1] -> translated images (B, H, W, C) in [-1, 1] (tanh)."""
    height, width, channels = check_image_shape(image_shape, multiple_of=2)
    images = keras.Input(image_shape, name="images")
    x = layers.Conv2D(filters[0], 7, padding="same")(images)
    x = layers.ReLU()(_instance_norm()(x))  # (B, H, W, f0)
    x = layers.Conv2D(filters[1], 3, strides=2, padding="same")(x)
    x = layers.ReLU()(_instance_norm()(x))  # (B, H/2, W/2, f1)
    for _ in range(residual_blocks):  # each block learns a correction added to its input
        y = layers.Conv2D(filters[1], 3, padding="same")(x)
        y = layers.ReLU()(_instance_norm()(y))
        y = _instance_norm()(layers.Conv2D(filters[1], 3, padding="same")(y))
        x = layers.Add()([x, y])  # (B, H/2, W/2, f1)
    x = layers.Conv2DTranspose(filters[0], 4, strides=2, padding="same")(x)
    x = layers.ReLU()(_instance_norm()(x))  # (B, H, W, f0)
    outputs = layers.Conv2D(channels, 7, padding="same", activation="tanh")(x)
    return keras.Model(images, outputs, name=name)  # (B, H, W, C)


def build_cyclegan_discriminator(
    *,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (32, 64),
    name: str = "cyclegan_discriminator",
) -> keras.Model:
    """Images (B, H, W, C) in [-1, 1] -> PatchGAN scores (B, H/4, W/4, 1), unbounded.

    Each score judges one overlapping patch (18x18 pixels here), so the discriminator
    checks local texture, i.e. stroke thickness, rather than the whole digit.
    """
    check_image_shape(image_shape, multiple_of=4)
    images = keras.Input(image_shape, name="images")
    x = images
    for index, width_out in enumerate(filters):
        x = layers.Conv2D(width_out, 4, strides=2, padding="same")(x)
        if index > 0:  # no normalisation on the input layer (as in DCGAN and CycleGAN)
            x = _instance_norm()(x)
        x = layers.LeakyReLU(0.2)(x)  # (B, H/2, W/2, f0), then (B, H/4, W/4, f1)
    scores = layers.Conv2D(1, 3, padding="same")(x)
    return keras.Model(images, scores, name=name)  # (B, H/4, W/4, 1)


def make_cyclegan_train_step(
    generator_ab,
    generator_ba,
    discriminator_a,
    discriminator_b,
    generator_optimizer,
    discriminator_optimizer,
    *,
    cycle_weight: float = 10.0,
    identity_weight: float = 5.0,
    dilation: int = 3,
    jit_compile: bool = False,
):
    """Return `train_step(images) -> dict of scalar tensors`, compiled with `tf.function`.

    `images` (B, H, W, C) in [-1, 1] are split into domain A and (thickened) domain B by
    `split_domains`. Both generators are updated together on the least-squares adversarial,
    cycle and identity losses; both discriminators on the fakes of the same forward pass
    (Zhu et al. 2017). Nothing is random in this step, so it takes no `rng`.
    """
    import tensorflow as tf

    from gan_course import losses

    generator_variables = generator_ab.trainable_variables + generator_ba.trainable_variables
    discriminator_variables = (
        discriminator_a.trainable_variables + discriminator_b.trainable_variables
    )

    def step(images):
        real_a, real_b = split_domains(images, dilation=dilation)
        with tf.GradientTape(persistent=True) as tape:
            fake_b = generator_ab(real_a, training=True)  # G(a)
            fake_a = generator_ba(real_b, training=True)  # F(b)
            cycled_a = generator_ba(fake_b, training=True)  # F(G(a)) should give a back
            cycled_b = generator_ab(fake_a, training=True)  # G(F(b)) should give b back
            fake_b_scores = discriminator_b(fake_b, training=True)
            fake_a_scores = discriminator_a(fake_a, training=True)
            adversarial = losses.least_squares_generator_loss(
                fake_b_scores
            ) + losses.least_squares_generator_loss(fake_a_scores)
            cycle = losses.mean_absolute_error(real_a, cycled_a) + losses.mean_absolute_error(
                real_b, cycled_b
            )
            # Identity: a generator fed a digit already in its target domain should leave it.
            identity = losses.mean_absolute_error(
                real_b, generator_ab(real_b, training=True)
            ) + losses.mean_absolute_error(real_a, generator_ba(real_a, training=True))
            g_loss = adversarial + cycle_weight * cycle + identity_weight * identity
            # Halved, as in Zhu et al., so the discriminators learn slower than the generators.
            d_a_loss = 0.5 * losses.least_squares_discriminator_loss(
                discriminator_a(real_a, training=True), fake_a_scores
            )
            d_b_loss = 0.5 * losses.least_squares_discriminator_loss(
                discriminator_b(real_b, training=True), fake_b_scores
            )
            d_loss = d_a_loss + d_b_loss
        g_gradients = tape.gradient(g_loss, generator_variables)
        d_gradients = tape.gradient(d_loss, discriminator_variables)
        del tape
        generator_optimizer.apply_gradients(zip(g_gradients, generator_variables))
        discriminator_optimizer.apply_gradients(zip(d_gradients, discriminator_variables))
        return {
            "g_loss": g_loss,
            "adversarial": adversarial,
            "cycle": cycle,
            "identity": identity,
            "d_a_loss": d_a_loss,
            "d_b_loss": d_b_loss,
        }

    return tf.function(step, jit_compile=jit_compile)


def translation_rows(generator_ab, generator_ba, real_a, real_b):
    """Six rows for a grid: a | G(a) | F(G(a)) | b | F(b) | G(F(b)), each (N, H, W, C) in [-1, 1]."""
    fake_b = generator_ab(real_a, training=False)
    fake_a = generator_ba(real_b, training=False)
    rows = [
        real_a,
        fake_b,
        generator_ba(fake_b, training=False),
        real_b,
        fake_a,
        generator_ab(fake_a, training=False),
    ]
    return np.concatenate([np.asarray(row) for row in rows])


def evaluate_translation(generator_ab, generator_ba, images, labels, *, dilation: int = 3) -> dict:
    """Class preservation and reconstruction on held-out uint8 digits (N, 28, 28, 1).

    Every held-out digit a is used in both directions, with b = thicken(a) (the pairs exist
    only here, for scoring). Accuracies are the course classifier's agreement with the label.
    """
    from gan_course.data import scale_images, to_uint8
    from gan_course.evaluation.classifier import predict_digits

    real_a = scale_images(images, "gan")
    real_b = thicken(real_a, dilation)
    fake_b = generator_ab.predict(real_a, batch_size=250, verbose=0)
    cycled_a = generator_ba.predict(fake_b, batch_size=250, verbose=0)
    fake_a = generator_ba.predict(real_b, batch_size=250, verbose=0)
    cycled_b = generator_ab.predict(fake_a, batch_size=250, verbose=0)

    def accuracy(batch):
        return float(np.mean(predict_digits(to_uint8(batch, "gan")) == labels))

    def l1_and_psnr(targets, outputs):
        targets, outputs = (np.asarray(t, np.float64) / 2.0 + 0.5 for t in (targets, outputs))
        per_image = np.mean(np.square(targets - outputs), axis=(1, 2, 3))  # [0, 1] scale
        psnr = 10.0 * np.log10(1.0 / np.maximum(per_image, 1e-10))
        return float(np.mean(np.abs(targets - outputs))), float(np.mean(psnr))

    cycle_a_l1, cycle_a_psnr = l1_and_psnr(real_a, cycled_a)
    cycle_b_l1, cycle_b_psnr = l1_and_psnr(real_b, cycled_b)
    return {
        "accuracy_real_a": accuracy(real_a),
        "accuracy_real_b": accuracy(real_b),  # the ceiling for G(a)
        "accuracy_g_of_a": accuracy(fake_b),
        "accuracy_f_of_b": accuracy(fake_a),
        "accuracy_f_of_g_of_a": accuracy(cycled_a),
        "cycle_a_l1": cycle_a_l1,
        "cycle_a_psnr": cycle_a_psnr,
        "cycle_b_l1": cycle_b_l1,
        "cycle_b_psnr": cycle_b_psnr,
        # How close G and F come to the true transform and its inverse, on [0, 1] pixels.
        "g_vs_true_thick_l1": l1_and_psnr(real_b, fake_b)[0],
        "f_vs_true_thin_l1": l1_and_psnr(real_a, fake_a)[0],
    }


def build_cyclegan_setup(config: CycleGANConfig, *, image_shape=(28, 28, 1), seed: int = 0):
    """Models, optimizers and compiled step for one CycleGAN run (used by the CLI).

    CycleGAN translates images and draws nothing from noise (`generative=False`); the
    progress grids show six held-out digits per row: a | G(a) | F(G(a)) | b | F(b) | G(F(b)).
    """
    import tensorflow as tf

    from gan_course.models.autoencoder import held_out_images
    from gan_course.training.setup import TrainingSetup, build_adam

    generator_ab, generator_ba = (
        build_cyclegan_generator(
            image_shape=image_shape,
            filters=config.generator_filters,
            residual_blocks=config.residual_blocks,
            name=name,
        )
        for name in ("generator_ab", "generator_ba")
    )
    discriminator_a, discriminator_b = (
        build_cyclegan_discriminator(
            image_shape=image_shape, filters=config.discriminator_filters, name=name
        )
        for name in ("discriminator_a", "discriminator_b")
    )
    generator_optimizer = build_adam(
        config.learning_rate,
        config.beta_1,
        variables=generator_ab.trainable_variables + generator_ba.trainable_variables,
    )
    discriminator_optimizer = build_adam(
        config.learning_rate,
        config.beta_1,
        variables=discriminator_a.trainable_variables + discriminator_b.trainable_variables,
    )
    step = make_cyclegan_train_step(
        generator_ab,
        generator_ba,
        discriminator_a,
        discriminator_b,
        generator_optimizer,
        discriminator_optimizer,
        cycle_weight=config.cycle_weight,
        identity_weight=config.identity_weight,
        dilation=config.dilation,
        jit_compile=config.jit_compile,
    )
    held_out = held_out_images(image_shape, 12, seed + 1) * 2.0 - 1.0  # [0, 1] -> [-1, 1]
    fixed_a, fixed_b = held_out[:6], np.asarray(thicken(held_out[6:], config.dilation))
    return TrainingSetup(
        models={
            "generator_ab": generator_ab,
            "generator_ba": generator_ba,
            "discriminator_a": discriminator_a,
            "discriminator_b": discriminator_b,
        },
        optimizers={"generators": generator_optimizer, "discriminators": discriminator_optimizer},
        rng=tf.random.Generator.from_seed(seed),  # unused by the step; checkpointed for the CLI
        train_step=step,
        sample=lambda pair: translation_rows(generator_ab, generator_ba, *pair),
        fixed_inputs=(fixed_a, fixed_b),
        scale="gan",
        generative=False,
    )
