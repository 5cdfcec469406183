"""DCGAN (Radford et al. 2015): strided convolutions, BatchNorm, LeakyReLU, N(0, 0.02) init."""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from gan_course.config import check_image_shape, validate_positive, validate_precision
from gan_course.packing import PackSamples
from gan_course.precision import builds_under_precision


@dataclasses.dataclass(frozen=True)
class DCGANConfig:
    # Defaults chosen by FID after a fixed wall-clock (benchmarks/time_to_quality.py: FID
    # from gan_course.metrics on 4,500 samples of the weight average, against the 4,500
    # training digits). Session 3, 2-core AMD EPYC without AVX-512 (matmul peak ~104 GFLOP/s),
    # TF 2.21, one seed, each run alone; FID at 3 minutes of training (steps in brackets):
    #   former defaults (128, 64) / (64, 128), Adam 2e-4, no average, + minibatch std: 101.7 (680)
    #   + R1 penalty gamma 2, no label smoothing:                                    115.0 (540)
    #   + R1 gamma 2, Adam 5e-4:                                                       93.6 (460)
    #   Adam 5e-4, weight average 0.999:                                                73.8 (670)
    #   Adam 5e-4, weight average 0.999, half the widths (64, 32) / (32, 64):           54.8 (2,260)
    # Half the widths cost a quarter of the multiply-adds and run 3.4x the steps per second:
    # within minutes on a CPU, more steps of a smaller model win. The learning rate 5e-4
    # (Radford et al. used 2e-4) and the weight average both pay within the first thousand
    # steps. Earlier sessions (benchmarks/README.md, "Quality bar"): batch 64 beats 32 and 128;
    # one-sided label smoothing 0.9 against the discriminator overfitting 4,500 images;
    # DiffAugment and the tutorial's BatchNorm-free discriminator both hurt within 10 minutes.
    # Session 4, same kind of machine, FID / rarest digit's share after 5 minutes (steps):
    #   the defaults above, one image per discriminator input:                52.4 / 2.9% (3,720)
    #   + PacGAN packing 2:                                                   47.5 / 4.1% (4,930)
    #   + PacGAN packing 4:                                                   46.5 / 5.7% (5,830)
    #   + PacGAN packing 8:                                                   45.1 / 5.9% (6,980)
    #   + packing 4 and minibatch std:                                        43.5 / 5.6% (5,190)
    # Packing 4 is the default: the rarest digit's share doubles, and the discriminator runs
    # on B/4 packs, so a step is cheaper (packing 8 is slower to start: FID 77.6 at 3 min,
    # against 63.2 for 4); minibatch std on top was within noise.
    latent_dim: int = 64
    generator_filters: tuple[int, ...] = (64, 32)  # widths before each x2 upsampling
    discriminator_filters: tuple[int, ...] = (32, 64)  # widths of the stride-2 convolutions
    batch_size: int = 64
    epochs: int = 50  # 70 steps per epoch; ~5 s per epoch on a slow 2-core CPU
    learning_rate: float = 5e-4  # generator's Adam step size
    discriminator_learning_rate: float = 5e-4
    beta_1: float = 0.5
    real_label: float = 0.9  # one-sided label smoothing; 1.0 turns it off
    discriminator_batch_norm: bool = True
    discriminator_dropout: float = 0.0
    discriminator_spectral_norm: bool = False
    discriminator_minibatch_std: bool = False
    # PacGAN degree m (gan_course.packing): the discriminator judges m images at once.
    discriminator_packing: int = 4
    # DiffAugment (gan_course.augment): shift by up to this fraction of the image size, and
    # erase a square of this fraction; 0 turns either off.
    augment_translation: float = 0.0
    augment_cutout: float = 0.0
    # Samples come from a moving average of the generator's weights (gan_course.weight_average);
    # 0 samples from the trained weights themselves.
    weight_average_decay: float = 0.999
    # R1 penalty weight gamma (gan_course.losses.r1_penalty); 0 turns it off.
    r1_gamma: float = 0.0
    jit_compile: bool = False  # measured: XLA slows these convolutions down on CPU (benchmarks/)
    # float32 | mixed_float16 (GPUs) | mixed_bfloat16 (bf16 CPUs, TPUs) | auto (gan_course.precision)
    precision: str = "float32"

    def __post_init__(self):
        validate_precision(self)
        validate_positive(
            self,
            "latent_dim",
            "batch_size",
            "epochs",
            "learning_rate",
            "discriminator_learning_rate",
            "discriminator_packing",
        )
        if self.batch_size % self.discriminator_packing:
            raise ValueError(
                f"batch_size {self.batch_size} must be a multiple of discriminator_packing "
                f"{self.discriminator_packing}: change one of them"
            )
        if not 0.0 < self.real_label <= 1.0:
            raise ValueError(
                f"real_label must be in (0, 1] (0.9 smooths, 1.0 turns smoothing off), got {self.real_label!r}"
            )
        if not 0.0 <= self.weight_average_decay < 1.0:
            raise ValueError(
                f"weight_average_decay must be in [0, 1) (0.999 averages, 0 turns it off), got {self.weight_average_decay!r}"
            )
        if not 0.0 <= self.discriminator_dropout < 1.0:
            raise ValueError(
                f"discriminator_dropout must be in [0, 1), got {self.discriminator_dropout!r}"
            )
        if len(self.generator_filters) != 2 or len(self.discriminator_filters) != 2:
            raise ValueError("DCGAN uses two up/down-sampling stages: give two filter widths each")


def _init():
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def image_output_layer(channels: int) -> layers.Layer:
    """The generators' last x2 upsampling to `channels` in [-1, 1] (tanh), computed in float32
    under any mixed-precision policy, so samples and losses stay float32."""
    return layers.Conv2DTranspose(
        channels,
        4,
        strides=2,
        padding="same",
        activation="tanh",
        kernel_initializer=_init(),
        dtype="float32",
    )


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
        (height // 4) * (width // 4) * filters[0], use_bias=False, kernel_initializer=_init()
    )(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((height // 4, width // 4, filters[0]))(x)  # (B, H/4, W/4, f0)
    for width_out in filters[1:]:
        x = layers.Conv2DTranspose(
            width_out, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init()
        )(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)  # (B, H/2, W/2, f1)
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
) -> keras.Model:
    """Images (B, H, W, C) in [-1, 1] -> one logit per pack of `packing` images (B / packing, 1),
    unbounded (no sigmoid).

    `batch_norm=False, dropout=0.3` gives the TensorFlow tutorial's discriminator layout.
    `packing=m > 1` is PacGAN (gan_course.packing): B must be a multiple of m.
    """
    check_image_shape(image_shape, multiple_of=4)
    images = keras.Input(image_shape, name="images")
    x = PackSamples(packing)(images) if packing > 1 else images  # (B / m, H, W, m * C)
    for index, width_out in enumerate(filters):
        if minibatch_std and index == len(filters) - 1:
            x = MinibatchStdDev()(x)  # before the last convolution, as in ProGAN
        convolution = layers.Conv2D(
            width_out, 4, strides=2, padding="same", kernel_initializer=_init()
        )
        if spectral_norm:  # Miyato et al. 2018: each layer 1-Lipschitz, one power iteration
            convolution = layers.SpectralNormalization(convolution)
        x = convolution(x)
        if batch_norm and index > 0:  # DCGAN: no BatchNorm on the discriminator's input layer
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout > 0:
            x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)  # (B, H/4 * W/4 * f1)
    output_layer = layers.Dense(1, kernel_initializer=_init(), dtype="float32")
    if spectral_norm:
        output_layer = layers.SpectralNormalization(output_layer, dtype="float32")
    logits = output_layer(x)  # (B, 1)
    return keras.Model(images, logits, name="dcgan_discriminator")


@builds_under_precision
def build_dcgan_setup(config: DCGANConfig, *, image_shape=(28, 28, 1), seed: int = 0):
    """Models, optimizers, RNG and compiled step for one DCGAN run (used by the CLI)."""
    import tensorflow as tf

    from gan_course.augment import make_augment
    from gan_course.gan_steps import make_gan_train_step
    from gan_course.recipes import TrainingSetup, build_adam, fixed_noise
    from gan_course.weight_average import WeightAverage

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
    )
    generator_optimizer = build_adam(
        config.learning_rate, config.beta_1, variables=generator.trainable_variables
    )
    discriminator_optimizer = build_adam(
        config.discriminator_learning_rate,
        config.beta_1,
        variables=discriminator.trainable_variables,
    )
    rng = tf.random.Generator.from_seed(seed)
    average = (
        WeightAverage(generator, decay=config.weight_average_decay)
        if config.weight_average_decay > 0
        else None
    )
    step = make_gan_train_step(
        generator,
        discriminator,
        generator_optimizer,
        discriminator_optimizer,
        latent_dim=config.latent_dim,
        rng=rng,
        real_label=config.real_label,
        augment=make_augment(
            rng, translation=config.augment_translation, cutout_fraction=config.augment_cutout
        ),
        weight_average=average,
        r1_gamma=config.r1_gamma,
        jit_compile=config.jit_compile,
    )
    models = {"generator": generator, "discriminator": discriminator}
    sampler = generator
    extra_state = {}
    if average is not None:
        models["generator_average"] = sampler = average.average
        extra_state["generator_average_updates"] = average.updates
    return TrainingSetup(
        models=models,
        optimizers={"generator": generator_optimizer, "discriminator": discriminator_optimizer},
        rng=rng,
        train_step=step,
        sample=lambda noise: sampler(noise, training=False),
        fixed_inputs=fixed_noise(64, config.latent_dim, seed + 1),
        scale="gan",
        latent_dim=config.latent_dim,
        extra_state=extra_state,
    )
