"""Autoencoders (dense and convolutional), plain and denoising (Vincent et al. 2008).

An encoder squeezes an image into a short code, a decoder rebuilds the image from it,
and both learn by minimising the reconstruction error. The feature stacks here are
shared with the variational autoencoder in `gan_course.models.vae`.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from gan_course.config import validate_positive
from gan_course.training.settings import RunSettings
from gan_course.training.setup import adam, assemble_setup, family_setup

# 35 steps of 128 per epoch on mnist_5k. XLA off: slower for both architectures here.
# measured: benchmarks/README.md, "Autoencoder and VAE: XLA or not"
RUN_DEFAULTS = RunSettings(epochs=50, batch_size=128, jit_compile=False)

ARCHITECTURES = ("dense", "conv")


def validate_architecture(config) -> None:
    """Shared checks of the dense/conv fields of AutoencoderConfig and VAEConfig."""
    if config.architecture not in ARCHITECTURES:
        raise ValueError(
            f"unknown architecture {config.architecture!r}; choose one of {', '.join(ARCHITECTURES)}"
        )
    if not config.hidden_units or not config.filters:
        raise ValueError("hidden_units and filters need at least one width each")
    if any(not isinstance(w, int) or w <= 0 for w in (*config.hidden_units, *config.filters)):
        raise ValueError("hidden_units and filters must be positive whole numbers")


@dataclasses.dataclass(frozen=True)
class AutoencoderConfig:
    architecture: str = "conv"  # "dense" (MLP) or "conv" (strided convolutions)
    latent_dim: int = 16
    hidden_units: tuple[int, ...] = (512, 256)  # dense only: encoder widths, mirrored in decoder
    filters: tuple[int, ...] = (32, 64)  # conv only: stride-2 widths, mirrored in decoder
    learning_rate: float = 1e-3
    noise_std: float = 0.0  # > 0: denoising autoencoder, inputs get N(0, noise_std^2) noise

    def __post_init__(self):
        validate_positive(self, "latent_dim", "learning_rate")
        validate_architecture(self)
        if self.noise_std < 0:
            raise ValueError(
                f"noise_std must be 0 (plain) or positive (denoising), got {self.noise_std}"
            )


def encoder_features(images, *, architecture: str, hidden_units, filters):
    """The encoder's feature stack: images (B, H, W, C) -> flat features (B, F)."""
    if architecture == "dense":
        x = layers.Flatten()(images)  # (B, H*W*C)
        for units in hidden_units:
            x = layers.Dense(units, activation="relu")(x)
        return x  # (B, hidden_units[-1])
    x = images
    for width in filters:
        x = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(x)
    return layers.Flatten()(x)  # (B, H/4 * W/4 * filters[-1]) for two widths


def decoder_outputs(codes, *, architecture: str, image_shape, hidden_units, filters):
    """The decoder's stack: codes (B, D) -> pre-activation images (B, H, W, C), unbounded."""
    height, width, channels = image_shape
    if architecture == "dense":
        x = codes
        for units in reversed(hidden_units):
            x = layers.Dense(units, activation="relu")(x)
        x = layers.Dense(height * width * channels)(x)  # (B, H*W*C)
        return layers.Reshape(image_shape)(x)  # (B, H, W, C)
    factor = 2 ** len(filters)
    if height % factor or width % factor:
        raise ValueError(
            f"a conv decoder with {len(filters)} stride-2 layers needs height and width "
            f"divisible by {factor}, got {image_shape}"
        )
    start = (height // factor, width // factor, filters[-1])
    x = layers.Dense(start[0] * start[1] * start[2], activation="relu")(codes)
    x = layers.Reshape(start)(x)  # (B, 7, 7, 64) for 28x28 images and two widths
    for width_out in reversed(filters[:-1]):
        x = layers.Conv2DTranspose(width_out, 4, strides=2, padding="same", activation="relu")(x)
    # Kernel 4 with stride 2 covers every output pixel equally: no checkerboard pattern.
    return layers.Conv2DTranspose(channels, 4, strides=2, padding="same")(x)  # (B, H, W, C)


def build_autoencoder_encoder(
    *,
    architecture: str = "conv",
    image_shape: tuple[int, int, int] = (28, 28, 1),
    latent_dim: int = 16,
    hidden_units: tuple[int, ...] = (512, 256),
    filters: tuple[int, ...] = (32, 64),
) -> keras.Model:
    """Images (B, H, W, C) in [0, 1] -> codes (B, latent_dim), unbounded (linear)."""
    images = keras.Input(image_shape, name="images")
    features = encoder_features(
        images, architecture=architecture, hidden_units=hidden_units, filters=filters
    )
    codes = layers.Dense(latent_dim, name="code", dtype="float32")(features)  # (B, latent_dim)
    return keras.Model(images, codes, name=f"{architecture}_encoder")


def build_autoencoder_decoder(
    *,
    architecture: str = "conv",
    image_shape: tuple[int, int, int] = (28, 28, 1),
    latent_dim: int = 16,
    hidden_units: tuple[int, ...] = (512, 256),
    filters: tuple[int, ...] = (32, 64),
) -> keras.Model:
    """Codes (B, latent_dim) -> images (B, H, W, C) in [0, 1] (sigmoid)."""
    codes = keras.Input((latent_dim,), name="codes")
    x = decoder_outputs(
        codes,
        architecture=architecture,
        image_shape=image_shape,
        hidden_units=hidden_units,
        filters=filters,
    )
    images = layers.Activation("sigmoid", name="pixels", dtype="float32")(x)  # (B, H, W, C)
    return keras.Model(codes, images, name=f"{architecture}_decoder")


def build_autoencoder_models(config: AutoencoderConfig, *, image_shape=(28, 28, 1)):
    """(encoder, decoder) as the config describes them."""
    widths = {
        "architecture": config.architecture,
        "image_shape": tuple(image_shape),
        "latent_dim": config.latent_dim,
        "hidden_units": config.hidden_units,
        "filters": config.filters,
    }
    return build_autoencoder_encoder(**widths), build_autoencoder_decoder(**widths)


def corrupt_images(images, *, rng, noise_std: float):
    """Add N(0, noise_std^2) noise drawn from `rng` and clip back to the data range [0, 1]."""
    import tensorflow as tf

    from gan_course.training import randomness

    # One draw per pixel of the global batch, so N replicas corrupt exactly as one device.
    noise = randomness.normal(rng, tf.shape(images), stddev=noise_std, dtype=images.dtype)
    return tf.clip_by_value(images + noise, 0.0, 1.0)  # (B, H, W, C)


def make_autoencoder_train_step(
    encoder, decoder, optimizer, *, rng, noise_std: float = 0.0, jit_compile: bool = False
):
    """Return `train_step(images) -> {"loss"}`, compiled with `tf.function`.

    `images` are (B, H, W, C) in [0, 1]. With `noise_std > 0` the encoder sees a noisy copy
    (noise from `rng`, whose state is checkpointed) but the loss compares the output with
    the clean image: the network must learn to remove the noise.
    """
    import tensorflow as tf

    from gan_course import losses
    from gan_course.training.update import apply_update

    if noise_std < 0:
        raise ValueError(f"noise_std must be 0 or positive, got {noise_std}")
    variables = encoder.trainable_variables + decoder.trainable_variables

    def step(images):
        inputs = corrupt_images(images, rng=rng, noise_std=noise_std) if noise_std > 0 else images
        with tf.GradientTape() as tape:
            reconstructions = decoder(encoder(inputs, training=True), training=True)
            loss = losses.reconstruction_loss(images, reconstructions)  # clean targets
        apply_update(tape, loss, variables, optimizer)
        return {"loss": loss}

    return tf.function(step, jit_compile=jit_compile)


def held_out_images(image_shape, count: int = 64, seed: int = 0, *, images=None):
    """`count` held-out test images in [0, 1] for progress grids: (count, H, W, C) float32.

    `images` (uint8 (N, H, W, C)) are the run's own held-out images, which the run driver
    passes for your own data (a folder, or a resized set); fewer than `count` repeat.
    Without them the shape picks the set, since the setup function is not told the
    dataset's name: 28x28x1 uses the embedded mnist_5k test split, 32x32x3 the cached
    CIFAR-10 test split.
    """
    import numpy as np

    from gan_course.data import load_dataset

    if images is not None:
        if len(images) == 0:
            raise ValueError("no held-out images to show in the progress grids")
        order = np.random.default_rng(seed).permutation(len(images))
        chosen = np.resize(order, count)  # every image once before any repeats
        return np.asarray(images)[chosen].astype("float32") / 255.0
    by_shape = {(28, 28, 1): "mnist_5k", (32, 32, 3): "cifar10"}
    name = by_shape.get(tuple(image_shape))
    if name is None:
        raise ValueError(
            f"no held-out images for shape {tuple(image_shape)}; use 28x28x1 or 32x32x3"
        )
    images, _ = load_dataset(name, split="test")
    chosen = np.random.default_rng(seed).choice(len(images), size=count, replace=False)
    return images[np.sort(chosen)].astype("float32") / 255.0


@family_setup(RUN_DEFAULTS)
def build_autoencoder_setup(
    config: AutoencoderConfig,
    *,
    image_shape=(28, 28, 1),
    settings: RunSettings,
    fixed_images=None,
    held_out=None,
):
    """Models, optimizer, RNG and compiled step for one autoencoder run (used by the CLI).

    An autoencoder has nothing to sample from noise (`generative=False`); its progress
    grids show reconstructions of 64 fixed held-out images (`fixed_images`, if given:
    (N, H, W, C) in [0, 1]; else chosen from `held_out`, uint8, when the driver gives it).
    """
    encoder, decoder = build_autoencoder_models(config, image_shape=image_shape)
    variables = encoder.trainable_variables + decoder.trainable_variables
    if fixed_images is None:
        fixed_images = held_out_images(image_shape, 64, settings.seed + 1, images=held_out)

    def make_step(optimizers, rng):
        return make_autoencoder_train_step(
            encoder,
            decoder,
            optimizers["autoencoder"],
            rng=rng,
            noise_std=config.noise_std,
            jit_compile=settings.jit_compile,
        )

    return assemble_setup(
        settings,
        models={"encoder": encoder, "decoder": decoder},
        optimizers={"autoencoder": (adam(config.learning_rate, 0.9), variables)},
        make_step=make_step,
        sample=lambda images: decoder(encoder(images, training=False), training=False),
        fixed_inputs=fixed_images,
        scale="unit",
        output="images",
        generative=False,
        latent_dim=config.latent_dim,
    )
