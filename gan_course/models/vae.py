"""Variational autoencoder (Kingma & Welling 2014), with the beta weight of Higgins et al. 2017.

The encoder outputs a Gaussian q(z|x) = N(mean, exp(log_variance)) per image; a sample
z = mean + exp(log_variance / 2) * eps goes through the decoder, which outputs Bernoulli
logits per pixel. The loss is the negative ELBO, reconstruction + beta * KL.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from gan_course.config import validate_positive
from gan_course.models.autoencoder import (
    decoder_outputs,
    encoder_features,
    validate_architecture,
)
from gan_course.training.settings import RunSettings
from gan_course.training.setup import adam, assemble_setup, family_setup, fixed_noise

# 35 steps of 128 per epoch on mnist_5k. XLA off: slower for both architectures here.
# measured: benchmarks/README.md, "Autoencoder and VAE: XLA or not"
RUN_DEFAULTS = RunSettings(epochs=50, batch_size=128, jit_compile=False)


@dataclasses.dataclass(frozen=True)
class VAEConfig:
    architecture: str = "conv"  # "dense" (MLP) or "conv" (strided convolutions)
    latent_dim: int = 16  # 2 gives a latent space you can plot; 16 gives sharper samples
    hidden_units: tuple[int, ...] = (512, 256)  # dense only: encoder widths, mirrored in decoder
    filters: tuple[int, ...] = (32, 64)  # conv only: stride-2 widths, mirrored in decoder
    beta: float = 1.0  # weight of the KL term; 1 is the true ELBO
    learning_rate: float = 1e-3

    def __post_init__(self):
        validate_positive(self, "latent_dim", "learning_rate")
        validate_architecture(self)
        if self.beta < 0:
            raise ValueError(f"beta must be 0 or positive (1 is the plain VAE), got {self.beta}")


def build_vae_encoder(
    *,
    architecture: str = "conv",
    image_shape: tuple[int, int, int] = (28, 28, 1),
    latent_dim: int = 16,
    hidden_units: tuple[int, ...] = (512, 256),
    filters: tuple[int, ...] = (32, 64),
) -> keras.Model:
    """Images (B, H, W, C) in [0, 1] -> [mean (B, latent_dim), log_variance (B, latent_dim)], unbounded."""
    images = keras.Input(image_shape, name="images")
    features = encoder_features(
        images, architecture=architecture, hidden_units=hidden_units, filters=filters
    )
    mean = layers.Dense(latent_dim, name="mean", dtype="float32")(features)  # (B, latent_dim)
    # The log of the variance is unbounded, so the network needs no positivity constraint.
    log_variance = layers.Dense(latent_dim, name="log_variance", dtype="float32")(
        features
    )  # (B, latent_dim)
    return keras.Model(images, [mean, log_variance], name=f"{architecture}_vae_encoder")


def build_vae_decoder(
    *,
    architecture: str = "conv",
    image_shape: tuple[int, int, int] = (28, 28, 1),
    latent_dim: int = 16,
    hidden_units: tuple[int, ...] = (512, 256),
    filters: tuple[int, ...] = (32, 64),
) -> keras.Model:
    """Latents (B, latent_dim) -> Bernoulli logits (B, H, W, C), unbounded; sigmoid gives [0, 1]."""
    latents = keras.Input((latent_dim,), name="latents")
    logits = decoder_outputs(
        latents,
        architecture=architecture,
        image_shape=image_shape,
        hidden_units=hidden_units,
        filters=filters,
    )
    logits = layers.Activation("linear", dtype="float32")(logits)  # float32 under mixed precision
    return keras.Model(latents, logits, name=f"{architecture}_vae_decoder")


def build_vae_models(config: VAEConfig, *, image_shape=(28, 28, 1)):
    """(encoder, decoder) as the config describes them."""
    widths = {
        "architecture": config.architecture,
        "image_shape": tuple(image_shape),
        "latent_dim": config.latent_dim,
        "hidden_units": config.hidden_units,
        "filters": config.filters,
    }
    return build_vae_encoder(**widths), build_vae_decoder(**widths)


def reparameterize(mean, log_variance, noise):
    """z = mean + sigma * noise with sigma = exp(log_variance / 2), noise ~ N(0, I).

    The randomness sits in `noise`, an input, so z is a differentiable function of
    mean and log_variance and gradients reach the encoder.
    """
    import tensorflow as tf

    return mean + tf.exp(0.5 * log_variance) * noise


def vae_loss_terms(encoder, decoder, images, noise, *, training: bool = False):
    """(reconstruction, kl): both per image, averaged over the batch, for z = mean + sigma * noise.

    `noise` is N(0, I) of shape (B, latent_dim); the train step and held-out evaluation
    share this function, so both measure the same quantities.
    """
    from gan_course import losses

    mean, log_variance = encoder(images, training=training)  # (B, D) each
    latents = reparameterize(mean, log_variance, noise)
    logits = decoder(latents, training=training)  # (B, H, W, C)
    reconstruction = losses.bernoulli_reconstruction_loss(images, logits)
    kl = losses.gaussian_kl(mean, log_variance)
    return reconstruction, kl


def make_vae_train_step(
    encoder, decoder, optimizer, *, rng, beta: float = 1.0, jit_compile: bool = False
):
    """Return `train_step(images) -> {"loss", "reconstruction", "kl"}`, compiled with `tf.function`.

    `images` are (B, H, W, C) in [0, 1]; loss = reconstruction + beta * kl, per image,
    averaged over the batch (with beta = 1 it is the negative ELBO, in nats). `rng` draws
    eps for the reparameterisation; its state is checkpointed.
    """
    import tensorflow as tf

    from gan_course.training import randomness
    from gan_course.training.update import apply_update

    if beta < 0:
        raise ValueError(f"beta must be 0 or positive, got {beta}")
    variables = encoder.trainable_variables + decoder.trainable_variables
    latent_dim = decoder.input_shape[-1]

    def step(images):
        # eps ~ N(0, I), (B, latent_dim): one row per image of the global batch, so N
        # replicas draw what one device draws.
        noise = randomness.normal(rng, (tf.shape(images)[0], latent_dim))
        with tf.GradientTape() as tape:
            reconstruction, kl = vae_loss_terms(encoder, decoder, images, noise, training=True)
            loss = reconstruction + beta * kl
        apply_update(tape, loss, variables, optimizer)
        return {"loss": loss, "reconstruction": reconstruction, "kl": kl}

    return tf.function(step, jit_compile=jit_compile)


def decode_images(decoder, latents):
    """Latents (B, latent_dim) -> images (B, H, W, C) in [0, 1]: the sigmoid of the logits."""
    import tensorflow as tf

    return tf.sigmoid(decoder(latents, training=False))


@family_setup(RUN_DEFAULTS)
def build_vae_setup(config: VAEConfig, *, image_shape=(28, 28, 1), settings: RunSettings):
    """Models, optimizer, RNG and compiled step for one VAE run (used by the CLI)."""
    encoder, decoder = build_vae_models(config, image_shape=image_shape)
    variables = encoder.trainable_variables + decoder.trainable_variables

    def make_step(optimizers, rng):
        return make_vae_train_step(
            encoder,
            decoder,
            optimizers["vae"],
            rng=rng,
            beta=config.beta,
            jit_compile=settings.jit_compile,
        )

    return assemble_setup(
        settings,
        models={"encoder": encoder, "decoder": decoder},
        optimizers={"vae": (adam(config.learning_rate, 0.9), variables)},
        make_step=make_step,
        sample=lambda latents: decode_images(decoder, latents),  # prior samples -> [0, 1]
        fixed_inputs=fixed_noise(64, config.latent_dim, settings.seed + 1),
        scale="unit",
        output="images",
        latent_dim=config.latent_dim,
    )
