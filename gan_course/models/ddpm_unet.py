"""The DDPM noise predictor: a small U-Net that sees a noisy image and its timestep.

eps_theta(x_t, t) predicts the noise eps that `ddpm_schedule.q_sample` mixed into x_t. The
U-Net keeps the image size: each level has residual blocks, GroupNorm and SiLU, the
encoder halves the size between levels, and the decoder doubles it back, joined to the
encoder's features of the same size by skip connections. The timestep enters every
residual block as a sinusoidal embedding (as a Transformer encodes positions) passed
through a small MLP and added to the block's features, so one network denoises every
noise level. No attention layers: they cost more than they give at 28x28 on a CPU.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from gan_course.config import check_image_shape


@keras.saving.register_keras_serializable(package="gan_course")
class SinusoidalTimeEmbedding(layers.Layer):
    """Integer timesteps (B,) -> (B, dim): sin and cos of t at `dim / 2` frequencies from 1
    down to 1 / 10000, so nearby timesteps get nearby vectors and far ones differ."""

    def __init__(self, dim: int, **kwargs):
        super().__init__(**kwargs)
        if dim % 2:
            raise ValueError(f"the time embedding needs an even size, got {dim}")
        self.dim = dim

    def call(self, timesteps):
        import tensorflow as tf

        half = self.dim // 2
        frequencies = tf.exp(-math.log(10000.0) * tf.range(half, dtype=tf.float32) / half)
        angles = tf.cast(timesteps, tf.float32)[:, None] * frequencies[None, :]  # (B, dim / 2)
        embedding = tf.concat([tf.sin(angles), tf.cos(angles)], axis=-1)  # (B, dim)
        return tf.cast(embedding, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def _groups(width: int) -> int:
    """GroupNorm groups: 8 where the width allows (GroupNorm works per example, so the
    replicas of a multi-device run normalise exactly as one device does)."""
    return math.gcd(width, 8)


def residual_block(x, time, width: int, *, name: str):
    """GroupNorm-SiLU-conv twice, with the timestep's (B, width) shift added in between;
    a 1x1 convolution matches the skip's width. (B, H, W, any) -> (B, H, W, width)."""
    h = layers.GroupNormalization(_groups(x.shape[-1]), name=f"{name}_norm_1")(x)
    h = layers.Activation("silu")(h)
    h = layers.Conv2D(width, 3, padding="same", name=f"{name}_conv_1")(h)
    shift = layers.Dense(width, name=f"{name}_time")(time)  # (B, width)
    h = layers.Add()([h, layers.Reshape((1, 1, width))(shift)])  # broadcast over H, W
    h = layers.GroupNormalization(_groups(width), name=f"{name}_norm_2")(h)
    h = layers.Activation("silu")(h)
    h = layers.Conv2D(width, 3, padding="same", name=f"{name}_conv_2")(h)
    skip = x if x.shape[-1] == width else layers.Conv2D(width, 1, name=f"{name}_skip")(x)
    return layers.Add()([skip, h])


def build_ddpm_unet(
    *,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    widths: tuple[int, ...] = (32, 64),
    blocks_per_level: int = 1,
) -> keras.Model:
    """Noisy images (B, H, W, C) and timestep indices (B,) int32 -> predicted noise
    (B, H, W, C), unbounded, float32 under any precision policy.

    `widths[i]` is the channel count of level i; H and W must be multiples of
    2 ** (len(widths) - 1): 28, 32 and 64 all work with the default three levels (28 -> 14 -> 7).
    """
    levels = len(widths)
    _, _, channels = check_image_shape(image_shape, multiple_of=2 ** (levels - 1))
    images = keras.Input(image_shape, name="noisy_images")
    timesteps = keras.Input((), dtype="int32", name="timesteps")
    time_dim = 4 * widths[0]
    time = SinusoidalTimeEmbedding(widths[0], name="time_embedding")(timesteps)
    time = layers.Dense(time_dim, activation="silu", name="time_mlp_1")(time)
    time = layers.Dense(time_dim, activation="silu", name="time_mlp_2")(time)  # (B, time_dim)

    x = layers.Conv2D(widths[0], 3, padding="same", name="stem")(images)  # (B, H, W, w0)
    skips = []
    for level, level_width in enumerate(widths):
        for block in range(blocks_per_level):
            x = residual_block(x, time, level_width, name=f"down_{level}_{block}")
            skips.append(x)
        if level < levels - 1:  # (B, H / 2^level, ...) -> half the size
            x = layers.Conv2D(
                level_width, 3, strides=2, padding="same", name=f"downsample_{level}"
            )(x)
    x = residual_block(x, time, widths[-1], name="middle")  # (B, H / 2^(L-1), ..., w_last)
    for level in reversed(range(levels)):
        for block in range(blocks_per_level):
            x = layers.Concatenate()([x, skips.pop()])
            x = residual_block(x, time, widths[level], name=f"up_{level}_{block}")
        if level > 0:  # double the size back, to the next level's width
            x = layers.UpSampling2D(2, name=f"upsample_{level}")(x)
            x = layers.Conv2D(widths[level - 1], 3, padding="same", name=f"upconv_{level}")(x)
    x = layers.GroupNormalization(_groups(widths[0]), name="head_norm")(x)
    x = layers.Activation("silu")(x)
    # Zero-initialised (as in Ho et al.'s code): the untrained network predicts eps = 0,
    # a loss of ~1, and float32 so the loss and the sampler's arithmetic are float32.
    noise = layers.Conv2D(
        channels, 3, padding="same", kernel_initializer="zeros", dtype="float32", name="noise"
    )(x)  # (B, H, W, C)
    return keras.Model([images, timesteps], noise, name="ddpm_unet")
