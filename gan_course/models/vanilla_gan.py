"""Vanilla GAN (Goodfellow et al. 2014): the fully connected MLP GAN of the classic Keras tutorial.

The architecture is the one the widely copied Keras MNIST GAN used (Dense 256-512-1024
generator, Dense 1024-512-256 discriminator, LeakyReLU 0.2, Adam(2e-4, 0.5)); the training
is the modern one: the shared `tf.function` step of `gan_course.training.gan_steps`.
"""

from __future__ import annotations

import dataclasses
import math

import keras
from keras import layers

from gan_course.config import validate_positive
from gan_course.losses import GENERATOR_LOSSES
from gan_course.models.common import GlobalBatchDropout, dropout_streams_of
from gan_course.training.settings import RunSettings
from gan_course.training.setup import Monitored, adam, assemble_setup, family_setup, fixed_noise

# 35 steps of 128 per epoch on mnist_5k: ~6 min on a 2-core CPU. XLA off: no consistent gain
# on one CPU, +19% on another, so it stays opt-in (RunSettings(jit_compile=True)).
# measured: benchmarks/README.md, "Vanilla MLP GAN, batch 128"
RUN_DEFAULTS = RunSettings(epochs=360, batch_size=128, jit_compile=False)


@dataclasses.dataclass(frozen=True)
class VanillaGANConfig:
    latent_dim: int = 100
    generator_widths: tuple[int, ...] = (256, 512, 1024)  # hidden Dense widths, noise -> image
    discriminator_widths: tuple[int, ...] = (1024, 512, 256)  # hidden Dense widths, image -> logit
    dropout: float = 0.3
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    real_label: float = 0.9  # one-sided label smoothing: real targets 0.9, fake targets stay 0
    discriminator_steps: int = 1  # k discriminator updates per generator update
    generator_loss: str = "nonsaturating"  # or "minimax" (saturates early in training)

    def __post_init__(self):
        validate_positive(self, "latent_dim", "learning_rate", "discriminator_steps")
        if not self.generator_widths or not self.discriminator_widths:
            raise ValueError("give at least one hidden width for the generator and discriminator")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not 0.0 < self.real_label <= 1.0:
            raise ValueError(
                f"real_label must be in (0, 1] (0.9 smooths, 1.0 turns smoothing off), got {self.real_label!r}"
            )
        if not 0.0 < self.beta_1 < 1.0:
            raise ValueError(f"beta_1 must be in (0, 1), got {self.beta_1!r}")
        if self.generator_loss not in GENERATOR_LOSSES:
            raise ValueError(
                f"unknown generator_loss {self.generator_loss!r}; choose one of {sorted(GENERATOR_LOSSES)}"
            )


def build_vanilla_gan_generator(
    *,
    latent_dim: int = 100,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    widths: tuple[int, ...] = (256, 512, 1024),
) -> keras.Model:
    """Noise (B, latent_dim) -> images (B, H, W, C) in [-1, 1] (tanh)."""
    noise = keras.Input((latent_dim,), name="noise")
    x = noise
    for width in widths:
        x = layers.Dense(width)(x)  # (B, width)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Dense(math.prod(image_shape), activation="tanh", dtype="float32")(x)  # (B, H*W*C)
    images = layers.Reshape(image_shape, dtype="float32")(x)  # (B, H, W, C), float32
    return keras.Model(noise, images, name="vanilla_gan_generator")


def build_vanilla_gan_discriminator(
    *,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    widths: tuple[int, ...] = (1024, 512, 256),
    dropout: float = 0.3,
    seed: int = 0,
) -> keras.Model:
    """Images (B, H, W, C) in [-1, 1] -> one logit per image (B, 1), unbounded (no sigmoid).

    `seed` seeds the dropout masks (one stream per dropout layer)."""
    images = keras.Input(image_shape, name="images")
    x = layers.Flatten()(images)  # (B, H*W*C)
    for index, width in enumerate(widths):
        x = layers.Dense(width)(x)  # (B, width)
        x = layers.LeakyReLU(0.2)(x)
        # Active only with training=True.
        x = GlobalBatchDropout(dropout, seed=seed * len(widths) + index, name=f"dropout_{index}")(x)
    logits = layers.Dense(1, dtype="float32")(x)  # (B, 1); the losses apply the sigmoid
    return keras.Model(images, logits, name="vanilla_gan_discriminator")


@family_setup(RUN_DEFAULTS)
def build_vanilla_gan_setup(
    config: VanillaGANConfig, *, image_shape=(28, 28, 1), settings: RunSettings
):
    """Models, optimizers, RNG and compiled step for one vanilla GAN run (used by the CLI)."""
    from gan_course.training.gan_steps import make_gan_train_step

    image_shape = tuple(image_shape)
    generator = build_vanilla_gan_generator(
        latent_dim=config.latent_dim, image_shape=image_shape, widths=config.generator_widths
    )
    discriminator = build_vanilla_gan_discriminator(
        image_shape=image_shape,
        widths=config.discriminator_widths,
        dropout=config.dropout,
        seed=settings.seed + 1,  # apart from the step's noise stream (settings.seed)
    )
    # The dropout streams are state too: a resumed run draws the masks it would have drawn.
    dropout_streams = dropout_streams_of(discriminator)

    def make_step(optimizers, rng):
        return make_gan_train_step(
            generator,
            discriminator,
            optimizers["generator"],
            optimizers["discriminator"],
            latent_dim=config.latent_dim,
            rng=rng,
            generator_loss=config.generator_loss,
            real_label=config.real_label,
            discriminator_steps=config.discriminator_steps,
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
        sample=lambda noise: generator(noise, training=False),
        fixed_inputs=fixed_noise(64, config.latent_dim, settings.seed + 1),
        scale="gan",
        latent_dim=config.latent_dim,
        monitor=Monitored(),
        extra_state=dropout_streams,
    )
