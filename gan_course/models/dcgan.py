"""DCGAN (Radford et al. 2015): strided convolutions, BatchNorm, LeakyReLU, N(0, 0.02) init."""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from gan_course.config import check_image_shape, validate_positive, validate_weight_average_decay
from gan_course.models.common import (
    GlobalBatchDropout,
    dropout_streams_of,
    global_batch_norm,
    image_output_layer,
    normal_init,
    upsampling_block,
)
from gan_course.models.packing import PackSamples, check_packing
from gan_course.training.settings import RunSettings
from gan_course.training.setup import Monitored, adam, assemble_setup, family_setup, fixed_noise

# 70 steps of 64 per epoch on mnist_5k. A 3-minute budget by default, so that the README's
# first command ends within a few minutes on any CPU with the most training that time buys
# (a fixed epoch count would take 4x longer on a CPU without AVX-512); running the command
# again resumes for 3 more minutes, up to 400 epochs. XLA off: measured slower for these
# convolutions on a CPU (benchmarks/README.md, "XLA per family").
RUN_DEFAULTS = RunSettings(epochs=400, batch_size=64, max_minutes=3.0, jit_compile=False)


@dataclasses.dataclass(frozen=True)
class DCGANConfig:
    # Defaults chosen by FID after a fixed wall-clock: benchmarks/README.md, "DCGAN defaults".
    latent_dim: int = 64
    generator_filters: tuple[int, ...] = (64, 32)  # widths before each x2 upsampling
    discriminator_filters: tuple[int, ...] = (32, 64)  # widths of the stride-2 convolutions
    learning_rate: float = 5e-4  # generator's Adam step size
    # TTUR (Heusel et al. 2017): the discriminator steps 4x the generator's, so it keeps up with
    # a generator that changes fast. Measured over two seeds: benchmarks/README.md, "DCGAN
    # changes at 3 minutes on the EPYC host with a 211 GFLOP/s matmul peak".
    discriminator_learning_rate: float = 2e-3
    beta_1: float = 0.5
    real_label: float = 0.9  # one-sided label smoothing; 1.0 turns it off
    discriminator_batch_norm: bool = True
    discriminator_dropout: float = 0.0
    discriminator_spectral_norm: bool = False
    discriminator_minibatch_std: bool = False
    # PacGAN degree m (gan_course.models.packing): the discriminator judges m images at once.
    discriminator_packing: int = 4
    # DiffAugment (gan_course.models.augment): shift by up to this fraction of the image size, and
    # erase a square of this fraction; 0 turns either off.
    augment_translation: float = 0.0
    augment_cutout: float = 0.0
    # Samples come from a moving average of the generator's weights (gan_course.training.weight_average);
    # 0 samples from the trained weights themselves.
    weight_average_decay: float = 0.999
    # R1 penalty weight gamma (gan_course.losses.r1_penalty); 0 turns it off.
    r1_gamma: float = 0.0

    def __post_init__(self):
        validate_positive(
            self,
            "latent_dim",
            "learning_rate",
            "discriminator_learning_rate",
            "discriminator_packing",
        )
        if not 0.0 < self.real_label <= 1.0:
            raise ValueError(
                f"real_label must be in (0, 1] (0.9 smooths, 1.0 turns smoothing off), got {self.real_label!r}"
            )
        validate_weight_average_decay(self)
        if not 0.0 <= self.discriminator_dropout < 1.0:
            raise ValueError(
                f"discriminator_dropout must be in [0, 1), got {self.discriminator_dropout!r}"
            )
        if len(self.generator_filters) != 2 or len(self.discriminator_filters) != 2:
            raise ValueError("DCGAN uses two up/down-sampling stages: give two filter widths each")


def build_dcgan_generator(
    *,
    latent_dim: int = 64,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (128, 64),
) -> keras.Model:
    """Noise (B, latent_dim) -> images (B, H, W, C) in [-1, 1] (tanh)."""
    height, width, channels = check_image_shape(image_shape, multiple_of=4)
    noise = keras.Input((latent_dim,), name="noise")
    x = layers.Dense(
        (height // 4) * (width // 4) * filters[0], use_bias=False, kernel_initializer=normal_init()
    )(noise)
    x = global_batch_norm()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((height // 4, width // 4, filters[0]))(x)  # (B, H/4, W/4, f0)
    for width_out in filters[1:]:
        x = upsampling_block(x, width_out)  # (B, H/2, W/2, f1)
    images = image_output_layer(channels)(x)
    return keras.Model(noise, images, name="dcgan_generator")  # (B, H, W, C)


class MinibatchStdDev(layers.Layer):
    """Append one channel holding the batch's mean per-pixel standard deviation (Karras et al.
    2018): a batch of near-identical fakes shows a low value, so the discriminator can see
    collapse that no single image reveals. (B, H, W, C) -> (B, H, W, C + 1)."""

    def call(self, x):
        import tensorflow as tf

        # sqrt(var + eps), not reduce_std: the background pixels are -1 in every image, and
        # the gradient of sqrt at 0 is infinite (NaN losses within a few hundred steps).
        deviation = tf.sqrt(tf.math.reduce_variance(x, axis=0) + 1e-8)  # (H, W, C)
        value = tf.reduce_mean(deviation)  # one scalar
        filler = tf.ones_like(x[..., :1]) * tf.cast(value, x.dtype)  # (B, H, W, 1)
        return tf.concat([x, filler], axis=-1)


def build_dcgan_discriminator(
    *,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (64, 128),
    batch_norm: bool = True,
    dropout: float = 0.0,
    spectral_norm: bool = False,
    minibatch_std: bool = False,
    packing: int = 1,
    seed: int = 0,
) -> keras.Model:
    """Images (B, H, W, C) in [-1, 1] -> one logit per pack of `packing` images (B / packing, 1),
    unbounded (no sigmoid).

    `batch_norm=False, dropout=0.3` gives the TensorFlow tutorial's discriminator layout.
    `packing=m > 1` is PacGAN (gan_course.models.packing): B must be a multiple of m.
    """
    check_image_shape(image_shape, multiple_of=4)
    images = keras.Input(image_shape, name="images")
    x = PackSamples(packing)(images) if packing > 1 else images  # (B / m, H, W, m * C)
    for index, width_out in enumerate(filters):
        if minibatch_std and index == len(filters) - 1:
            x = MinibatchStdDev()(x)  # before the last convolution, as in ProGAN
        convolution = layers.Conv2D(
            width_out, 4, strides=2, padding="same", kernel_initializer=normal_init()
        )
        if spectral_norm:  # Miyato et al. 2018: each layer 1-Lipschitz, one power iteration
            convolution = layers.SpectralNormalization(convolution)
        x = convolution(x)
        if batch_norm and index > 0:  # DCGAN: no BatchNorm on the discriminator's input layer
            x = global_batch_norm()(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout > 0:
            # Masks drawn for the global batch: N replicas drop what one device drops.
            x = GlobalBatchDropout(dropout, seed=seed + index, name=f"dropout_{index}")(x)
    x = layers.Flatten()(x)  # (B, H/4 * W/4 * f1)
    output_layer = layers.Dense(1, kernel_initializer=normal_init(), dtype="float32")
    if spectral_norm:
        output_layer = layers.SpectralNormalization(output_layer, dtype="float32")
    logits = output_layer(x)  # (B, 1)
    return keras.Model(images, logits, name="dcgan_discriminator")


def build_dcgan_models(config: DCGANConfig, *, image_shape=(28, 28, 1), seed: int = 0):
    """The (generator, discriminator) pair that `config` describes (`seed`: dropout masks)."""
    generator = build_dcgan_generator(
        latent_dim=config.latent_dim, image_shape=image_shape, filters=config.generator_filters
    )
    discriminator = build_dcgan_discriminator(
        image_shape=image_shape,
        filters=config.discriminator_filters,
        batch_norm=config.discriminator_batch_norm,
        dropout=config.discriminator_dropout,
        spectral_norm=config.discriminator_spectral_norm,
        minibatch_std=config.discriminator_minibatch_std,
        packing=config.discriminator_packing,
        seed=seed,
    )
    return generator, discriminator


@family_setup(RUN_DEFAULTS)
def build_dcgan_setup(config: DCGANConfig, *, image_shape=(28, 28, 1), settings: RunSettings):
    """Models, optimizers, RNG and compiled step for one DCGAN run (used by the CLI)."""
    from gan_course.models.augment import make_augment
    from gan_course.training.gan_steps import make_gan_train_step
    from gan_course.training.weight_average import attach_weight_average

    check_packing(settings.batch_size, config.discriminator_packing)
    generator, discriminator = build_dcgan_models(
        config, image_shape=image_shape, seed=settings.seed + 1
    )
    models = {"generator": generator, "discriminator": discriminator}
    average, sampler, average_state = attach_weight_average(models, config.weight_average_decay)
    # The dropout streams (if any) are state: a resumed run draws the masks it would have.
    extra_state = {**dropout_streams_of(discriminator), **average_state}

    def make_step(optimizers, rng):
        return make_gan_train_step(
            generator,
            discriminator,
            optimizers["generator"],
            optimizers["discriminator"],
            latent_dim=config.latent_dim,
            rng=rng,
            real_label=config.real_label,
            augment=make_augment(
                rng, translation=config.augment_translation, cutout_fraction=config.augment_cutout
            ),
            weight_average=average,
            r1_gamma=config.r1_gamma,
            jit_compile=settings.jit_compile,
        )

    return assemble_setup(
        settings,
        models=models,
        optimizers={
            "generator": (adam(config.learning_rate, config.beta_1), generator.trainable_variables),
            "discriminator": (
                adam(config.discriminator_learning_rate, config.beta_1),
                discriminator.trainable_variables,
            ),
        },
        make_step=make_step,
        sample=lambda noise: sampler(noise, training=False),
        fixed_inputs=fixed_noise(64, config.latent_dim, settings.seed + 1),
        scale="gan",
        latent_dim=config.latent_dim,
        monitor=Monitored(),
        extra_state=extra_state,
    )
