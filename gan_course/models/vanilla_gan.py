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

from gan_course.config import validate_positive, validate_precision
from gan_course.losses import GENERATOR_LOSSES
from gan_course.training.precision import builds_under_precision


@dataclasses.dataclass(frozen=True)
class VanillaGANConfig:
    latent_dim: int = 100
    generator_widths: tuple[int, ...] = (256, 512, 1024)  # hidden Dense widths, noise -> image
    discriminator_widths: tuple[int, ...] = (1024, 512, 256)  # hidden Dense widths, image -> logit
    dropout: float = 0.3
    batch_size: int = 128
    epochs: int = 360  # 35 steps per epoch on mnist_5k: ~6 min on a 2-core CPU
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    real_label: float = 0.9  # one-sided label smoothing: real targets 0.9, fake targets stay 0
    discriminator_steps: int = 1  # k discriminator updates per generator update
    generator_loss: str = "nonsaturating"  # or "minimax" (saturates early in training)
    # XLA measured with benchmarks/bench_vanilla_gan.py (2-core AMD EPYC, TF 2.21, batch 128,
    # median of 3 interleaved 10 s rounds): tf.function 4704 images/s (3018 per CPU-second),
    # jit_compile=True 3848 images/s (2903 per CPU-second); classic train_on_batch 1129.
    # Rounds vary by +-30% with load on the shared CPU; XLA gave no consistent gain here.
    # Session 3, a slower AVX2-only EPYC: tf.function 1693, XLA 2007 (+19%), XLA with 8 steps
    # per call (gan_steps.repeat_step) 2167; classic 553. XLA pays on one machine and not on
    # the other, so it stays opt-in (--set jit_compile=true).
    jit_compile: bool = False
    # float32 | mixed_float16 (GPUs) | mixed_bfloat16 (bf16 CPUs, TPUs) | auto (gan_course.training.precision)
    precision: str = "float32"

    def __post_init__(self):
        validate_precision(self)
        validate_positive(
            self, "latent_dim", "batch_size", "epochs", "learning_rate", "discriminator_steps"
        )
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
) -> keras.Model:
    """Images (B, H, W, C) in [-1, 1] -> one logit per image (B, 1), unbounded (no sigmoid)."""
    images = keras.Input(image_shape, name="images")
    x = layers.Flatten()(images)  # (B, H*W*C)
    for width in widths:
        x = layers.Dense(width)(x)  # (B, width)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Dropout(dropout)(x)  # active only with training=True
    logits = layers.Dense(1, dtype="float32")(x)  # (B, 1); the losses apply the sigmoid
    return keras.Model(images, logits, name="vanilla_gan_discriminator")


@builds_under_precision
def build_vanilla_gan_setup(config: VanillaGANConfig, *, image_shape=(28, 28, 1), seed: int = 0):
    """Models, optimizers, RNG and compiled step for one vanilla GAN run (used by the CLI)."""
    import tensorflow as tf

    from gan_course.training.gan_steps import make_gan_train_step
    from gan_course.training.setup import TrainingSetup, build_adam, fixed_noise

    image_shape = tuple(image_shape)
    generator = build_vanilla_gan_generator(
        latent_dim=config.latent_dim, image_shape=image_shape, widths=config.generator_widths
    )
    discriminator = build_vanilla_gan_discriminator(
        image_shape=image_shape, widths=config.discriminator_widths, dropout=config.dropout
    )
    generator_optimizer = build_adam(
        config.learning_rate, config.beta_1, variables=generator.trainable_variables
    )
    discriminator_optimizer = build_adam(
        config.learning_rate, config.beta_1, variables=discriminator.trainable_variables
    )
    rng = tf.random.Generator.from_seed(seed)
    step = make_gan_train_step(
        generator,
        discriminator,
        generator_optimizer,
        discriminator_optimizer,
        latent_dim=config.latent_dim,
        rng=rng,
        generator_loss=config.generator_loss,
        real_label=config.real_label,
        discriminator_steps=config.discriminator_steps,
        jit_compile=config.jit_compile,
    )
    return TrainingSetup(
        models={"generator": generator, "discriminator": discriminator},
        optimizers={"generator": generator_optimizer, "discriminator": discriminator_optimizer},
        rng=rng,
        train_step=step,
        sample=lambda noise: generator(noise, training=False),
        fixed_inputs=fixed_noise(64, config.latent_dim, seed + 1),
        scale="gan",
        latent_dim=config.latent_dim,
    )
