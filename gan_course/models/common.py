"""Layers and initialisers shared by the image families."""

from __future__ import annotations

import keras
from keras import layers


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
