"""The custom layers of the StyleGAN-lite generator (gan_course.models.stylegan).

Each holds its own small set of weights, so the mapping and synthesis networks stay
plain Functional models and checkpoints hold every weight, the w average included. Each is
registered and has a `get_config`, so `keras.models.clone_model` can copy the generator for
its weight average (`gan_course.training.weight_average`).
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="gan_course")
class MovingAverage(layers.Layer):
    """Passes w through unchanged; when training, updates a moving average of the w's seen
    (`average`, shape (w_dim,)). Kept in the mapping model, so checkpoints hold it."""

    def __init__(self, decay: float = 0.995, **kwargs):
        super().__init__(**kwargs)
        self.decay = decay

    def get_config(self):
        return {**super().get_config(), "decay": self.decay}

    def build(self, input_shape):
        self.average = self.add_weight(
            shape=(input_shape[-1],), initializer="zeros", trainable=False, name="average"
        )

    def call(self, w, training=False):
        if training:
            batch_mean = global_batch_mean(ops.cast(ops.stop_gradient(w), self.average.dtype))
            self.average.assign(self.decay * self.average + (1.0 - self.decay) * batch_mean)
        return w


def global_batch_mean(values):
    """The mean over axis 0 of `values` (B, D) across the *global* batch under `tf.distribute`,
    so every replica moves the average as one device would (the plain mean elsewhere)."""
    import tensorflow as tf

    total = tf.reduce_sum(values, axis=0)  # (D,)
    count = tf.cast(tf.shape(values)[0], values.dtype)
    if tf.distribute.get_strategy().num_replicas_in_sync > 1:
        context = tf.distribute.get_replica_context()
        total, count = context.all_reduce(tf.distribute.ReduceOp.SUM, [total, count])
    return total / count


@keras.saving.register_keras_serializable(package="gan_course")
class LearnedConstant(layers.Layer):
    """The synthesis network's input: one learned (H, W, C) map, repeated for every image."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.constant_shape = tuple(shape)

    def get_config(self):
        return {**super().get_config(), "shape": self.constant_shape}

    def build(self, input_shape):
        self.constant = self.add_weight(
            shape=self.constant_shape, initializer="random_normal", name="constant"
        )

    def call(self, styles):  # styles only sets the batch size
        batch_size = ops.shape(styles)[0]
        return ops.broadcast_to(self.constant[None], (batch_size, *self.constant_shape))


@keras.saving.register_keras_serializable(package="gan_course")
class NoiseInjection(layers.Layer):
    """x + strength * noise: channel `index` of the full-size noise input, subsampled to x's
    size, times a learned per-channel strength (starts at 0: noise is learned, not imposed)."""

    def __init__(self, index: int, **kwargs):
        super().__init__(**kwargs)
        self.index = index

    def get_config(self):
        return {**super().get_config(), "index": self.index}

    def build(self, input_shapes):
        self.strength = self.add_weight(
            shape=(input_shapes[0][-1],), initializer="zeros", name="strength"
        )

    def call(self, inputs):
        features, noise = inputs
        stride = noise.shape[1] // features.shape[1]
        layer_noise = noise[:, ::stride, ::stride, self.index : self.index + 1]  # (B, h, w, 1)
        return features + self.strength * layer_noise


@keras.saving.register_keras_serializable(package="gan_course")
class AdaptiveInstanceNorm(layers.Layer):
    """AdaIN: normalise each image's channels to mean 0, variance 1, then scale by (1 + s) and
    shift by b, where (s, b) = a learned affine map of this layer's style w (Huang & Belongie 2017)."""

    def __init__(self, index: int, **kwargs):
        super().__init__(**kwargs)
        self.index = index

    def get_config(self):
        return {**super().get_config(), "index": self.index}

    def build(self, input_shapes):
        features_shape, styles_shape = input_shapes
        # Weights N(0, 1/w_dim): styles s and b start with about the spread of w (rms ~1),
        # as with StyleGAN's equalised learning rate. With Keras's default (Glorot) weights and
        # mapping, styles were several times smaller and every z gave the same digit in
        # 2-minute runs. measured: benchmarks/README.md, "StyleGAN-lite widths and style initialisation"
        initializer = keras.initializers.RandomNormal(stddev=styles_shape[-1] ** -0.5)
        self.affine = layers.Dense(
            2 * features_shape[-1], kernel_initializer=initializer, name="affine"
        )
        self.affine.build((None, styles_shape[-1]))

    def call(self, inputs):
        features, styles = inputs
        scale, shift = ops.split(self.affine(styles[:, self.index]), 2, axis=-1)  # (B, C) each
        # Statistics in float32 under any precision policy: in float16 the 1e-8 rounds to 0,
        # and a flat feature map would divide by zero.
        values = ops.cast(features, "float32")  # (B, h, w, C)
        mean = ops.mean(values, axis=(1, 2), keepdims=True)
        variance = ops.var(values, axis=(1, 2), keepdims=True)
        normalised = ops.cast((values - mean) * ops.rsqrt(variance + 1e-8), features.dtype)
        return normalised * (1.0 + scale[:, None, None, :]) + shift[:, None, None, :]


@keras.saving.register_keras_serializable(package="gan_course")
class PixelNoise(layers.Layer):
    """Draws the synthesis network's noise input (B, H, W, L) ~ N(0, 1) for the `generator`
    model; a seeded Keras generator whose state is a variable, so checkpoints hold it."""

    def __init__(self, shape, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.noise_shape, self.seed = tuple(shape), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def get_config(self):
        return {**super().get_config(), "shape": self.noise_shape, "seed": self.seed}

    def call(self, z):
        batch_size = ops.shape(z)[0]
        return keras.random.normal((batch_size, *self.noise_shape), seed=self.seed_generator)
