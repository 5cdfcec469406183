"""CycleGAN (Zhu et al. 2017): unpaired translation between thin (A) and thick (B) digits.

Domain A is the training digits as they are; domain B is a *disjoint* half of them with
their strokes thickened by a grey dilation (a 3x3 maximum filter). Which half a digit
belongs to is a fixed function of its pixels (`domain_b_mask`), so the split is the same
in every epoch, in the notebook and on the command line, and no digit is ever seen in
both domains: the networks never see a (thin, thick) pair of the same digit
(gan_course.models.cyclegan_domains). The train step is in gan_course.models.cyclegan_step.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from keras import layers

from gan_course.config import check_image_shape, validate_positive
from gan_course.models.cyclegan_domains import thicken
from gan_course.training.settings import RunSettings
from gan_course.training.setup import adam, assemble_setup, family_setup

# 70 steps of 64 per epoch on mnist_5k (~32 digits of each domain); training stops earlier
# at the notebook's time budget. XLA off: the per-domain halves change size in every batch,
# and XLA compiles one program per shape.
# measured: benchmarks/README.md, "XLA per family"
RUN_DEFAULTS = RunSettings(epochs=30, batch_size=64, jit_compile=False)
# Each batch is split into two domains: below this, one of them is often nearly empty.
MIN_BATCH_SIZE = 16


@dataclasses.dataclass(frozen=True)
class CycleGANConfig:
    generator_filters: tuple[int, ...] = (32, 64)  # widths at full and at half resolution
    residual_blocks: int = 2  # at half resolution; thickening is local, few are enough
    discriminator_filters: tuple[int, ...] = (32, 64)  # widths of the stride-2 convolutions
    learning_rate: float = 2e-4  # Adam, both generators and both discriminators (Zhu et al.)
    beta_1: float = 0.5
    cycle_weight: float = 10.0  # lambda_cycle of Zhu et al. 2017
    identity_weight: float = 5.0  # lambda_id = lambda_cycle / 2, as in Zhu et al. 2017
    dilation: int = 3  # side of the square maximum filter that thickens domain B's strokes

    def __post_init__(self):
        validate_positive(self, "learning_rate", "dilation")
        if self.cycle_weight < 0 or self.identity_weight < 0:
            raise ValueError("cycle_weight and identity_weight must be >= 0 (0 turns a term off)")
        if len(self.generator_filters) != 2 or len(self.discriminator_filters) != 2:
            raise ValueError("give two generator and two discriminator filter widths")
        if self.residual_blocks < 0:
            raise ValueError(f"residual_blocks must be >= 0, got {self.residual_blocks}")


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
    # float32 under any mixed-precision policy, so the losses and the samples stay float32.
    outputs = layers.Conv2D(channels, 7, padding="same", activation="tanh", dtype="float32")(x)
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
    scores = layers.Conv2D(1, 3, padding="same", dtype="float32")(x)  # float32 losses
    return keras.Model(images, scores, name=name)  # (B, H/4, W/4, 1)


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


def build_cyclegan_models(config: CycleGANConfig, *, image_shape=(28, 28, 1)) -> dict:
    """The four networks `config` describes: generator_ab (A -> B), generator_ba (B -> A),
    discriminator_a and discriminator_b."""
    generators = {
        name: build_cyclegan_generator(
            image_shape=image_shape,
            filters=config.generator_filters,
            residual_blocks=config.residual_blocks,
            name=name,
        )
        for name in ("generator_ab", "generator_ba")
    }
    discriminators = {
        name: build_cyclegan_discriminator(
            image_shape=image_shape, filters=config.discriminator_filters, name=name
        )
        for name in ("discriminator_a", "discriminator_b")
    }
    return generators | discriminators


# Its two domains are grey line images a dilation apart (thin and thick strokes): colour
# photos have no strokes to thicken, so the command line trains it on one channel only.
@family_setup(RUN_DEFAULTS, channels=(1,))
def build_cyclegan_setup(
    config: CycleGANConfig, *, image_shape=(28, 28, 1), settings: RunSettings, held_out=None
):
    """Models, optimizers and compiled step for one CycleGAN run (used by the CLI).

    CycleGAN translates images and draws nothing from noise (`generative=False`); the
    progress grids show six held-out images per row: a | G(a) | F(G(a)) | b | F(b) | G(F(b))
    (from `held_out`, uint8, when the run driver gives it; else held-out digits).
    """
    from gan_course.models.autoencoder import held_out_images
    from gan_course.models.cyclegan_step import make_cyclegan_train_step

    if settings.batch_size < MIN_BATCH_SIZE:
        raise ValueError(
            f"CycleGAN's batch_size must be >= {MIN_BATCH_SIZE} (each batch is split into two "
            f"domains), got {settings.batch_size}; use a larger batch"
        )
    models = build_cyclegan_models(config, image_shape=image_shape)
    generator_ab, generator_ba = models["generator_ab"], models["generator_ba"]
    discriminator_a, discriminator_b = models["discriminator_a"], models["discriminator_b"]
    # 12 held-out digits, [0, 1] -> [-1, 1]: six shown as A, six thickened as B.
    shown = held_out_images(image_shape, 12, settings.seed + 1, images=held_out) * 2.0 - 1.0
    fixed_a, fixed_b = shown[:6], np.asarray(thicken(shown[6:], config.dilation))

    def make_step(optimizers, rng):  # nothing is random in the step: `rng` goes unused
        return make_cyclegan_train_step(
            generator_ab,
            generator_ba,
            discriminator_a,
            discriminator_b,
            optimizers["generators"],
            optimizers["discriminators"],
            cycle_weight=config.cycle_weight,
            identity_weight=config.identity_weight,
            dilation=config.dilation,
            jit_compile=settings.jit_compile,
        )

    optimizer = adam(config.learning_rate, config.beta_1)
    return assemble_setup(
        settings,
        models=models,
        # One optimizer updates both generators together, one both discriminators.
        optimizers={
            "generators": (
                optimizer,
                generator_ab.trainable_variables + generator_ba.trainable_variables,
            ),
            "discriminators": (
                optimizer,
                discriminator_a.trainable_variables + discriminator_b.trainable_variables,
            ),
        },
        make_step=make_step,
        sample=lambda pair: translation_rows(generator_ab, generator_ba, *pair),
        fixed_inputs=(fixed_a, fixed_b),
        scale="gan",
        output="image_pairs",
        generative=False,
        monitor=None,  # the GAN monitor feeds its generator noise; these take images
    )
