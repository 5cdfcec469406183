"""StyleGAN, lite (Karras et al. 2019): mapping network, AdaIN styles, per-pixel noise.

A mapping network turns z into a style vector w. The synthesis network starts from a
learned constant 7x7 map and grows it to 28x28 (two layers per resolution: 7, 14, 28, so
six style layers); every layer adds per-pixel noise and then re-styles its features with
adaptive instance normalisation (AdaIN) driven by its own copy of w. Giving different
layers different w's is style mixing; pulling w towards the average w is truncation.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers, ops

from gan_course.config import check_image_shape, validate_positive, validate_weight_average_decay
from gan_course.models.stylegan_layers import (
    AdaptiveInstanceNorm,
    LearnedConstant,
    MovingAverage,
    NoiseInjection,
    PixelNoise,
)
from gan_course.training.settings import RunSettings
from gan_course.training.setup import Monitored, adam, assemble_setup, family_setup, fixed_noise

# 70 steps of 64 per epoch on mnist_5k, as the DCGAN defaults, for a comparison at equal
# settings; training stops earlier at the notebook's time budget. XLA off: slower here.
# measured: benchmarks/README.md, "XLA per family"
RUN_DEFAULTS = RunSettings(epochs=50, batch_size=64, jit_compile=False)


@dataclasses.dataclass(frozen=True)
class StyleGANConfig:
    latent_dim: int = 64  # z
    w_dim: int = 64  # the style vector w
    mapping_layers: int = 3  # Dense + LeakyReLU layers z -> w (8 in StyleGAN, for 512-d w)
    # Widths at 7x7, 14x14, 28x28; the narrower of the two measured widths won.
    # measured: benchmarks/README.md, "StyleGAN-lite widths and style initialisation"
    synthesis_filters: tuple[int, ...] = (64, 32, 16)
    # The discriminator, its packing, the learning rates, the label smoothing and the weight
    # average are the DCGAN defaults' (tests/test_stylegan.py checks that they agree), so a
    # comparison with the DCGAN changes the generator only.
    discriminator_filters: tuple[int, ...] = (32, 64)
    discriminator_packing: int = 4  # PacGAN: one logit per 4 images, as the DCGAN
    learning_rate: float = 5e-4  # Adam step size for the mapping and synthesis networks
    discriminator_learning_rate: float = 2e-3  # TTUR, 4x the generator's step, as the DCGAN
    beta_1: float = 0.5
    real_label: float = 0.9  # one-sided label smoothing
    weight_average_decay: float = 0.999  # samples come from the generator's weight average
    mixing_probability: float = 0.5  # style-mixing regularisation (0.9 in Karras et al. 2019)
    w_average_decay: float = 0.995  # moving average of w used by the truncation trick

    def __post_init__(self):
        validate_positive(self, "latent_dim", "w_dim", "mapping_layers", "learning_rate")
        validate_positive(self, "discriminator_learning_rate", "discriminator_packing")
        if not 0.0 <= self.mixing_probability <= 1.0:
            raise ValueError(f"mixing_probability must be in [0, 1], got {self.mixing_probability}")
        validate_weight_average_decay(self)
        if not 0.0 < self.w_average_decay < 1.0:
            raise ValueError(f"w_average_decay must be in (0, 1), got {self.w_average_decay}")
        if not 0.0 < self.real_label <= 1.0:
            raise ValueError(
                f"real_label must be in (0, 1] (1.0 turns smoothing off), got {self.real_label}"
            )
        if len(self.synthesis_filters) < 1 or len(self.discriminator_filters) != 2:
            raise ValueError("give at least one synthesis width and two discriminator widths")


def style_layer_count(synthesis_filters) -> int:
    return 2 * len(synthesis_filters)  # two style layers per resolution


def build_stylegan_mapping(
    *, latent_dim: int = 64, w_dim: int = 64, num_layers: int = 3, w_average_decay: float = 0.995
) -> keras.Model:
    """Noise z (B, latent_dim) -> style w (B, w_dim), unbounded (LeakyReLU outputs)."""
    noise = keras.Input((latent_dim,), name="z")
    # Normalise z to unit mean square first (Karras et al.), so its scale carries no style.
    x = noise * ops.rsqrt(ops.mean(ops.square(noise), axis=1, keepdims=True) + 1e-8)
    for _ in range(num_layers):
        # He initialisation keeps w at the scale of z through the LeakyReLUs (rms ~1).
        x = layers.LeakyReLU(0.2)(layers.Dense(w_dim, kernel_initializer="he_normal")(x))
    w = MovingAverage(w_average_decay, name="w_average")(x)
    return keras.Model(noise, w, name="mapping")


def build_stylegan_synthesis(
    *,
    w_dim: int = 64,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (64, 32, 16),
) -> keras.Model:
    """[styles (B, L, w_dim), noise (B, H, W, L)] -> images (B, H, W, C) in [-1, 1] (tanh).

    L = 2 * len(filters) style layers, coarse (first, smallest maps) to fine (last).
    Noise zeros switch the noise inputs off.
    """
    upsamplings = len(filters) - 1
    height, width, channels = check_image_shape(image_shape, multiple_of=2**upsamplings)
    num_layers = style_layer_count(filters)
    styles = keras.Input((num_layers, w_dim), name="styles")
    noise = keras.Input((height, width, num_layers), name="noise")
    start = (height >> upsamplings, width >> upsamplings, filters[0])
    x = LearnedConstant(start, name="constant")(styles)  # (B, 7, 7, f0)
    index = 0
    for level, width_out in enumerate(filters):
        if level > 0:
            x = layers.UpSampling2D(2, interpolation="bilinear")(x)  # (B, 2h, 2w, f)
        for position in range(2):
            if level > 0 or position > 0:  # the constant itself is the first layer's input
                x = layers.Conv2D(width_out, 3, padding="same")(x)
            x = NoiseInjection(index, name=f"noise_{index}")([x, noise])
            x = layers.LeakyReLU(0.2)(x)
            x = AdaptiveInstanceNorm(index, name=f"adain_{index}")([x, styles])  # (B, h, w, f)
            index += 1
    # float32 under any mixed-precision policy, so samples and losses stay float32.
    images = layers.Conv2D(channels, 1, activation="tanh", dtype="float32", name="to_image")(x)
    return keras.Model([styles, noise], images, name="synthesis")  # (B, H, W, C)


def broadcast_styles(w, num_layers: int):
    """One w per image (B, w_dim) -> the same w for every layer (B, num_layers, w_dim)."""
    return ops.repeat(ops.expand_dims(w, 1), num_layers, axis=1)


def mix_styles(styles_coarse, styles_fine, crossover):
    """Style mixing: layers < `crossover` keep `styles_coarse`, the others take `styles_fine`.

    Both (B, L, w_dim); `crossover` is an int or one per image (B, 1, 1). L means no mixing.
    """
    num_layers = styles_coarse.shape[1]
    fine = ops.arange(num_layers)[None, :, None] >= crossover  # (1 or B, L, 1)
    return ops.where(fine, styles_fine, styles_coarse)


def truncate(w, w_average, psi: float):
    """The truncation trick: w' = w_avg + psi (w - w_avg); psi = 1 keeps w, psi = 0 gives w_avg."""
    return w_average + psi * (w - w_average)


def generate(mapping, synthesis, z, noise, *, psi: float = 1.0, z_fine=None, crossover=None):
    """Images in [-1, 1] from z (B, latent_dim) and noise (B, H, W, L), with optional
    truncation (psi) and style mixing (layers >= crossover take the styles of z_fine)."""
    num_layers = synthesis.inputs[0].shape[1]
    w_average = mapping.get_layer("w_average").average

    def styles_of(latents):
        w = truncate(mapping(latents, training=False), w_average, psi)
        return broadcast_styles(w, num_layers)

    styles = styles_of(z)
    if z_fine is not None:
        styles = mix_styles(styles, styles_of(z_fine), crossover)
    return synthesis([styles, ops.convert_to_tensor(noise, "float32")], training=False)


def build_stylegan_generator(mapping, synthesis, *, seed: int = 0) -> keras.Model:
    """z (B, latent_dim) -> images (B, H, W, C) in [-1, 1]: mapping, the same w for every
    layer, fresh per-pixel noise. What sampling, the grids and the metrics call."""
    z = keras.Input(mapping.inputs[0].shape[1:], name="z")
    styles_shape, noise_shape = (tensor.shape[1:] for tensor in synthesis.inputs)
    styles = broadcast_styles(mapping(z), styles_shape[0])  # (B, L, w_dim)
    noise = PixelNoise(noise_shape, seed, name="pixel_noise")(z)  # (B, H, W, L)
    return keras.Model(z, synthesis([styles, noise]), name="stylegan_generator")


def make_style_mixing_fakes(mapping, synthesis, rng, *, mixing_probability: float = 0.5):
    """Return `fakes(batch_size, training) -> images (B, H, W, C)` in [-1, 1] for the train step.

    z, the noise maps and the style-mixing crossovers all come from `rng` (checkpointed).
    With probability `mixing_probability` a fake switches from the styles of z1 to those of
    z2 at a random layer (style-mixing regularisation), so no layer can rely on its
    neighbours sharing its style.
    """
    import tensorflow as tf

    from gan_course.training import randomness

    latent_dim = mapping.inputs[0].shape[1]
    num_layers = synthesis.inputs[0].shape[1]
    noise_shape = tuple(synthesis.inputs[1].shape[1:])

    def fakes(batch_size, training):
        # Every draw is per image of the global batch, so N replicas draw what one device does.
        w_first = mapping(randomness.normal(rng, (batch_size, latent_dim)), training=training)
        w_second = mapping(randomness.normal(rng, (batch_size, latent_dim)), training=training)
        mixed = randomness.uniform(rng, (batch_size, 1, 1)) < mixing_probability  # (B, 1, 1)
        crossover = randomness.uniform(rng, (batch_size, 1, 1), 1, num_layers, dtype=tf.int32)
        crossover = tf.where(mixed, crossover, num_layers)  # num_layers: no mixing
        styles = mix_styles(
            broadcast_styles(w_first, num_layers), broadcast_styles(w_second, num_layers), crossover
        )  # (B, L, w_dim)
        noise = randomness.normal(rng, (batch_size, *noise_shape))  # (B, H, W, L)
        return synthesis([styles, noise], training=training)

    return fakes


def make_stylegan_train_step(
    generator,
    discriminator,
    generator_optimizer,
    discriminator_optimizer,
    *,
    rng,
    real_label: float = 0.9,
    mixing_probability: float = 0.5,
    weight_average=None,
    jit_compile: bool = False,
):
    """Return `train_step(images) -> dict of scalar tensors`, compiled with `tf.function`.

    The DCGAN's step (`gan_course.training.gan_steps.make_gan_train_step`: one discriminator
    update, then one generator update, non-saturating loss) on fakes from
    `make_style_mixing_fakes`. `generator` is `build_stylegan_generator`'s model; its
    "mapping" and "synthesis" layers are trained.
    """
    from gan_course.training.gan_steps import make_gan_train_step

    mapping, synthesis = generator.get_layer("mapping"), generator.get_layer("synthesis")
    fakes = make_style_mixing_fakes(mapping, synthesis, rng, mixing_probability=mixing_probability)
    return make_gan_train_step(
        generator,
        discriminator,
        generator_optimizer,
        discriminator_optimizer,
        latent_dim=mapping.inputs[0].shape[1],
        rng=rng,
        real_label=real_label,
        weight_average=weight_average,
        # fakes(batch_size, training): the moving average of w (for truncation) moves in the
        # generator's update only.
        fakes=fakes,
        jit_compile=jit_compile,
    )


@family_setup(RUN_DEFAULTS)
def build_stylegan_setup(config: StyleGANConfig, *, image_shape=(28, 28, 1), settings: RunSettings):
    """Models, optimizers, RNG and compiled step for one StyleGAN-lite run (used by the CLI).

    `models["generator"]` (z -> images) contains the mapping and synthesis networks:
    `generator.get_layer("mapping")`, `generator.get_layer("synthesis")`. With
    `weight_average_decay > 0`, `models["generator_average"]` is its weight average, which
    `sample` draws from; its own "mapping" and "synthesis" layers serve mixing and truncation.
    """
    from gan_course.models.dcgan import build_dcgan_discriminator
    from gan_course.models.packing import check_packing
    from gan_course.training.weight_average import attach_weight_average

    check_packing(settings.batch_size, config.discriminator_packing)
    mapping = build_stylegan_mapping(
        latent_dim=config.latent_dim,
        w_dim=config.w_dim,
        num_layers=config.mapping_layers,
        w_average_decay=config.w_average_decay,
    )
    synthesis = build_stylegan_synthesis(
        w_dim=config.w_dim, image_shape=image_shape, filters=config.synthesis_filters
    )
    generator = build_stylegan_generator(mapping, synthesis, seed=settings.seed)
    discriminator = build_dcgan_discriminator(
        image_shape=image_shape,
        filters=config.discriminator_filters,
        packing=config.discriminator_packing,
    )
    models = {"generator": generator, "discriminator": discriminator}
    average, sampler, extra_state = attach_weight_average(models, config.weight_average_decay)

    def make_step(optimizers, rng):
        return make_stylegan_train_step(
            generator,
            discriminator,
            optimizers["generator"],
            optimizers["discriminator"],
            rng=rng,
            real_label=config.real_label,
            mixing_probability=config.mixing_probability,
            weight_average=average,
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
        sample=lambda z: sampler(z, training=False),
        fixed_inputs=fixed_noise(64, config.latent_dim, settings.seed + 1),
        scale="gan",
        latent_dim=config.latent_dim,
        monitor=Monitored(),  # the DCGAN's discriminator: one logit per pack
        extra_state=extra_state,
    )
