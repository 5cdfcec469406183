"""Layers and initialisers shared by the image families."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from gan_course.training import randomness


def normal_init() -> keras.initializers.Initializer:
    """N(0, 0.02), the DCGAN paper's initialisation for every convolution and dense layer."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def global_batch_norm(**kwargs) -> layers.Layer:
    """BatchNormalization whose statistics are taken over the *global* batch under
    `tf.distribute` (synchronized), so N replicas normalise exactly as one device does and
    a multi-device step equals the single-device one (tests/test_every_family.py)."""
    return layers.BatchNormalization(synchronized=True, **kwargs)


def image_output_layer(channels: int) -> layers.Layer:
    """The generators' last x2 upsampling to `channels` in [-1, 1] (tanh), computed in float32
    under any mixed-precision policy, so samples and losses stay float32."""
    return layers.Conv2DTranspose(
        channels,
        4,
        strides=2,
        padding="same",
        activation="tanh",
        kernel_initializer=normal_init(),
        dtype="float32",
    )


def upsampling_block(x, filters: int):
    """The DCGAN generator's x2 step: feature maps (B, H, W, C) -> (B, 2H, 2W, filters).

    A transposed convolution (kernel 4, stride 2: every output pixel gets the same number of
    kernel stamps), BatchNorm and LeakyReLU(0.2). No bias: BatchNorm subtracts the batch
    mean straight after, which would cancel it, and its beta is the bias.
    """
    x = layers.Conv2DTranspose(
        filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=normal_init()
    )(x)
    x = global_batch_norm()(x)
    return layers.LeakyReLU(0.2)(x)


class GlobalBatchDropout(layers.Layer):
    """Dropout whose mask is drawn for the global batch, so N replicas drop what one device drops.

    Keras' `Dropout` draws from a seed state that every replica shares: under
    `tf.distribute` each replica would drop the same units of its own share of the batch, a
    multi-device run would follow another trajectory than one device, and the replicas'
    masks would be copies of each other. This layer draws through
    `gan_course.training.randomness` from its own `tf.random.Generator` (`self.rng`, which
    the setup checkpoints). (B, ...) -> (B, ...), the kept units scaled by 1 / (1 - rate).
    """

    def __init__(self, rate: float, *, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate!r}")
        self.rate = rate
        self.seed = seed
        self.rng = tf.random.Generator.from_seed(seed)

    def call(self, x, training=False):
        if not training or self.rate == 0.0:
            return x
        keep = randomness.uniform(self.rng, tf.shape(x)) >= self.rate  # (B, ...)
        return tf.where(keep, x / tf.cast(1.0 - self.rate, x.dtype), tf.zeros_like(x))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def dropout_streams_of(model: keras.Model) -> dict:
    """The random streams of `model`'s GlobalBatchDropout layers, named for a checkpoint."""
    return {
        f"{model.name}_{layer.name}_rng": layer.rng
        for layer in model.layers
        if isinstance(layer, GlobalBatchDropout)
    }
