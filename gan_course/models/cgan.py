"""Class-conditional GAN (Mirza & Osindero 2014) with a projection discriminator (Miyato & Koyama 2018).

The generator sees the label as a learned embedding concatenated with the noise. The
discriminator uses projection: logit(x, y) = psi(phi(x)) + <embed(y), phi(x)>. The label
meets the image only after the convolutions have turned it into features phi(x), so the
class term is a plain inner product per class; an extra label channel at the input would
instead make every convolution learn what a constant "label plane" means.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from gan_course.config import check_image_shape, validate_positive, validate_weight_average_decay
from gan_course.models.common import (
    global_batch_norm,
    image_output_layer,
    normal_init,
    upsampling_block,
)
from gan_course.training.settings import RunSettings
from gan_course.training.setup import Monitored, adam, assemble_setup, family_setup, fixed_noise

# XLA off: slower for these convolutions on a 2-core CPU.
# measured: benchmarks/README.md, "XLA per family"
RUN_DEFAULTS = RunSettings(epochs=40, batch_size=64, jit_compile=False)


@dataclasses.dataclass(frozen=True)
class CGANConfig:
    latent_dim: int = 64
    num_classes: int = 10
    embedding_dim: int = 32  # size of the generator's label embedding
    generator_filters: tuple[int, ...] = (128, 64)  # widths before each x2 upsampling
    discriminator_filters: tuple[int, ...] = (64, 128)  # widths of the stride-2 convolutions
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    # Samples from a moving average of the generator's weights when > 0, as in the DCGAN
    # (gan_course.training.weight_average); 0 samples from the trained weights.
    weight_average_decay: float = 0.0

    def __post_init__(self):
        validate_positive(self, "latent_dim", "num_classes", "embedding_dim", "learning_rate")
        validate_weight_average_decay(self)
        if len(self.generator_filters) != 2 or len(self.discriminator_filters) != 2:
            raise ValueError(
                "the cGAN uses two up/down-sampling stages: give two filter widths each"
            )


def build_cgan_generator(
    *,
    latent_dim: int = 64,
    num_classes: int = 10,
    embedding_dim: int = 32,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (128, 64),
) -> keras.Model:
    """[noise (B, latent_dim), labels (B,) int] -> images (B, H, W, C) in [-1, 1] (tanh)."""
    height, width, channels = check_image_shape(image_shape, multiple_of=4)
    noise = keras.Input((latent_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = layers.Embedding(num_classes, embedding_dim, name="label_embedding")(labels)
    x = layers.Concatenate(name="noise_and_label")(
        [noise, embedded]
    )  # (B, latent_dim + embedding_dim)
    x = layers.Dense(
        (height // 4) * (width // 4) * filters[0], use_bias=False, kernel_initializer=normal_init()
    )(x)
    x = global_batch_norm()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((height // 4, width // 4, filters[0]))(x)  # (B, H/4, W/4, f0)
    for width_out in filters[1:]:
        x = upsampling_block(x, width_out)  # (B, H/2, W/2, f1)
    images = image_output_layer(channels)(x)
    return keras.Model([noise, labels], images, name="cgan_generator")  # (B, H, W, C)


def build_cgan_discriminator(
    *,
    num_classes: int = 10,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (64, 128),
) -> keras.Model:
    """[images (B, H, W, C) in [-1, 1], labels (B,) int] -> logits (B, 1), unbounded (no sigmoid)."""
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    x = images
    for index, width_out in enumerate(filters):
        x = layers.Conv2D(
            width_out, 4, strides=2, padding="same", kernel_initializer=normal_init()
        )(x)
        if index > 0:  # DCGAN: no BatchNorm on the discriminator's input layer
            x = global_batch_norm()(x)
        x = layers.LeakyReLU(0.2)(x)
    features = layers.Flatten()(x)  # phi(x): (B, H/4 * W/4 * f1)
    unconditional = layers.Dense(1, kernel_initializer=normal_init(), name="psi", dtype="float32")(
        features
    )  # (B, 1)
    # One learned vector per class, as long as the features; the class term is their dot product.
    class_vectors = layers.Embedding(
        num_classes, features.shape[-1], embeddings_initializer=normal_init(), name="projection"
    )(labels)  # (B, F)
    class_term = layers.Dot(axes=1, dtype="float32")([class_vectors, features])  # (B, 1)
    logits = layers.Add(dtype="float32")([unconditional, class_term])
    return keras.Model([images, labels], logits, name="cgan_discriminator")


def generate_from_embeddings(generator: keras.Model, noise, embeddings):
    """Run a cGAN generator on label embeddings given directly: (B, embedding_dim) -> images.

    Mixtures such as 0.5 * embed(3) + 0.5 * embed(8) lie between two classes, so
    interpolating embeddings with the noise held fixed morphs one digit into another.
    """
    names = [layer.name for layer in generator.layers]
    start = names.index("noise_and_label")
    x = generator.layers[start]([noise, embeddings])
    for layer in generator.layers[start + 1 :]:  # the rest of the generator is one chain
        x = layer(x, training=False)
    return x


def class_grid_inputs(latent_dim: int, *, num_classes: int = 10, per_class: int = 10, seed: int):
    """Fixed grid inputs: (noise (num_classes*per_class, latent_dim), labels), one row per class.

    Labels are [0]*per_class + [1]*per_class + ...; column j uses the same noise in every
    row, so a column shows one "style" written as each digit.
    """
    import numpy as np

    noise = np.tile(fixed_noise(per_class, latent_dim, seed), (num_classes, 1))
    labels = np.repeat(np.arange(num_classes, dtype=np.int32), per_class)
    return noise, labels


@family_setup(RUN_DEFAULTS)
def build_cgan_setup(config: CGANConfig, *, image_shape=(28, 28, 1), settings: RunSettings):
    """Models, optimizers, RNG and compiled step for one cGAN run (used by the CLI)."""
    return conditional_gan_setup(
        config,
        num_classes=config.num_classes,
        image_shape=image_shape,
        settings=settings,
        fixed_inputs=class_grid_inputs(
            config.latent_dim, num_classes=config.num_classes, seed=settings.seed + 1
        ),
    )


def conditional_gan_setup(
    config,
    *,
    num_classes: int,
    image_shape,
    settings: RunSettings,
    fixed_inputs,
    label_shares: tuple[float, ...] | None = None,
):
    """The cGAN's networks, optimizers and step for `num_classes` labels, from a config with
    the cGAN's fields; also the self-conditioned DCGAN's, whose labels are clusters."""
    from gan_course.training.gan_steps import make_gan_train_step
    from gan_course.training.weight_average import attach_weight_average

    generator = build_cgan_generator(
        latent_dim=config.latent_dim,
        num_classes=num_classes,
        embedding_dim=config.embedding_dim,
        image_shape=image_shape,
        filters=config.generator_filters,
    )
    discriminator = build_cgan_discriminator(
        num_classes=num_classes,
        image_shape=image_shape,
        filters=config.discriminator_filters,
    )
    models = {"generator": generator, "discriminator": discriminator}
    average, sampler, average_state = attach_weight_average(models, config.weight_average_decay)

    def make_step(optimizers, rng):
        return make_gan_train_step(
            generator,
            discriminator,
            optimizers["generator"],
            optimizers["discriminator"],
            latent_dim=config.latent_dim,
            rng=rng,
            conditional=True,
            weight_average=average,
            jit_compile=settings.jit_compile,
        )

    optimizer = adam(config.learning_rate, config.beta_1)  # one spec, built once per network
    return assemble_setup(
        settings,
        models=models,
        optimizers={
            "generator": (optimizer, generator.trainable_variables),
            "discriminator": (optimizer, discriminator.trainable_variables),
        },
        make_step=make_step,
        sample=lambda inputs: sampler(list(inputs), training=False),
        fixed_inputs=fixed_inputs,
        scale="gan",
        num_classes=num_classes,
        label_shares=label_shares,
        latent_dim=config.latent_dim,
        monitor=Monitored(),
        extra_state=average_state,
    )
