"""PixelCNN (van den Oord et al. 2016): an autoregressive model with an exact likelihood.

p(x) = prod_i p(x_i | x_1, ..., x_{i-1}) over the pixels in raster order (row by row, left
to right). Masked convolutions make output i depend on earlier pixels only, so one
forward pass gives all 784 conditionals of a binary digit at once (training is parallel),
while sampling needs one full forward pass per pixel (generation is sequential).
"""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
from keras import layers

from gan_course.config import check_image_shape, validate_positive
from gan_course.training.settings import RunSettings
from gan_course.training.setup import adam, assemble_setup, family_setup, fixed_noise

# 70 steps of 64 per epoch on mnist_5k; training usually stops earlier at max_minutes. XLA
# off: slower for the masked convolutions on a CPU.
# measured: benchmarks/README.md, "XLA per family"
RUN_DEFAULTS = RunSettings(epochs=20, batch_size=64, jit_compile=False)


@dataclasses.dataclass(frozen=True)
class PixelCNNConfig:
    filters: int = 64  # channels of every masked convolution
    residual_blocks: int = 5  # masked 3x3 type-B residual blocks after the 7x7 type-A layer
    learning_rate: float = 1e-3
    threshold: float = 0.5  # pixels in [0, 1] above it are 1 (binarised MNIST)

    def __post_init__(self):
        validate_positive(self, "filters", "residual_blocks", "learning_rate")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1) (0.5 is usual), got {self.threshold!r}")


def causal_mask(kernel_size: int, mask_type: str) -> np.ndarray:
    """(k, k) of 0/1: 1 above the centre row and left of the centre; the centre itself for type 'B'."""
    if mask_type not in ("A", "B"):
        raise ValueError(
            f"mask_type must be 'A' (first layer) or 'B' (later layers), got {mask_type!r}"
        )
    if kernel_size % 2 != 1:
        raise ValueError(f"kernel_size must be odd so the kernel has a centre, got {kernel_size}")
    centre = kernel_size // 2
    mask = np.zeros((kernel_size, kernel_size), np.float32)
    mask[:centre, :] = 1.0  # every row above
    mask[centre, :centre] = 1.0  # left of the centre in the centre row
    if mask_type == "B":
        mask[centre, centre] = 1.0  # B may read its own position: it holds earlier pixels only
    return mask


@keras.saving.register_keras_serializable(package="gan_course")
class MaskedConv2D(layers.Layer):
    """Conv2D, stride 1, 'same' padding, whose kernel is multiplied by a constant causal mask.

    Type 'A' excludes the centre pixel (the first layer must not see the pixel it predicts);
    type 'B' includes it (later layers' centre holds features of earlier pixels only). For
    one colour channel, as here; RGB needs an extra mask over channels (R -> G -> B).
    """

    def __init__(self, filters: int, kernel_size: int, mask_type: str, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.mask_type = filters, kernel_size, mask_type
        self.mask = causal_mask(kernel_size, mask_type)[:, :, None, None]  # (k, k, 1, 1)

    def build(self, input_shape):
        shape = (self.kernel_size, self.kernel_size, input_shape[-1], self.filters)
        self.kernel = self.add_weight(name="kernel", shape=shape, initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, inputs):
        kernel = self.kernel * self.mask  # masked weights get zero gradient too
        # The float32 product is not autocast like a plain variable: cast it (and the bias)
        # to the compute dtype, float16 or bfloat16 under a mixed-precision policy.
        kernel = keras.ops.cast(kernel, self.compute_dtype)
        bias = keras.ops.cast(self.bias, self.compute_dtype)
        return keras.ops.conv(inputs, kernel, strides=1, padding="same") + bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, mask_type=self.mask_type)
        return config


def build_pixelcnn(
    *,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: int = 64,
    residual_blocks: int = 5,
) -> keras.Model:
    """Binary images (B, H, W, 1) in {0, 1} -> Bernoulli logits (B, H, W, 1), unbounded.

    Logit (i, j) depends only on pixels before (i, j) in raster order: p(x_ij = 1 | x_<ij).
    """
    _, _, channels = check_image_shape(image_shape)
    if channels != 1:
        raise ValueError("this PixelCNN models one binary channel; give image_shape (H, W, 1)")
    images = keras.Input(image_shape, name="images")
    x = MaskedConv2D(filters, 7, "A", name="masked_a_7x7")(images)  # (B, H, W, filters)
    for index in range(residual_blocks):
        h = layers.ReLU()(x)
        h = MaskedConv2D(filters, 3, "B", name=f"masked_b_3x3_{index}")(h)
        h = layers.ReLU()(h)
        h = layers.Conv2D(filters, 1, name=f"mix_1x1_{index}")(h)  # 1x1: sees one position
        x = layers.Add()([x, h])  # (B, H, W, filters)
    x = layers.ReLU()(x)
    x = layers.Conv2D(filters, 1, activation="relu", name="head_1x1")(x)
    # float32 under any mixed-precision policy: the loss and the sampler's comparison with
    # float32 uniforms need float32 logits.
    logits = layers.Conv2D(1, 1, name="logits", dtype="float32")(x)  # (B, H, W, 1)
    return keras.Model(images, logits, name="pixelcnn")


def binarise(images, threshold: float = 0.5):
    """Images in [0, 1] -> float32 {0, 1}: pixel > threshold."""
    import tensorflow as tf

    return tf.cast(images > threshold, tf.float32)


def nll_bits_per_dim(nll_nats_per_image, dimensions: int):
    """Negative log-likelihood per image in nats -> bits per pixel: nll / (D ln 2)."""
    return nll_nats_per_image / (dimensions * math.log(2.0))


def make_pixelcnn_train_step(model, optimizer, *, threshold: float = 0.5, jit_compile=False):
    """Return `train_step(images) -> {"loss", "nll_bits_per_dim"}`, compiled with `tf.function`.

    `images` are (B, H, W, 1) in [0, 1], binarised inside the step. `loss` is the exact
    negative log-likelihood -log p(x) in nats per image, averaged over the batch.
    """
    import tensorflow as tf

    from gan_course import losses
    from gan_course.training.update import apply_update

    dimensions = int(np.prod(model.input_shape[1:]))

    def step(images):
        binary = binarise(images, threshold)  # (B, H, W, 1) in {0, 1}
        with tf.GradientTape() as tape:
            logits = model(binary, training=True)
            loss = losses.bernoulli_reconstruction_loss(binary, logits)  # nats per image
        apply_update(tape, loss, model.trainable_variables, optimizer)
        return {"loss": loss, "nll_bits_per_dim": nll_bits_per_dim(loss, dimensions)}

    return tf.function(step, jit_compile=jit_compile)


def evaluate_nll(model, images, *, threshold: float = 0.5, batch_size: int = 250) -> float:
    """Exact mean -log p(x) in nats per image of uint8 images (N, H, W, 1), binarised at `threshold`."""
    import tensorflow as tf

    from gan_course import losses

    total = 0.0
    for start in range(0, len(images), batch_size):
        chunk = tf.convert_to_tensor(images[start : start + batch_size], tf.float32) / 255.0
        binary = binarise(chunk, threshold)
        logits = model(binary, training=False)
        total += float(losses.bernoulli_reconstruction_loss(binary, logits)) * len(chunk)
    return total / len(images)


def make_pixelcnn_sampler(model):
    """Return `sample(noise) -> binary images (B, H, W, 1)` in {0, 1}, a compiled `tf.function`.

    `noise` is N(0, 1) of shape (B, H*W): its normal CDF gives one uniform u per pixel, and
    pixel i is 1 when u_i < p(x_i = 1 | x_<i). Fixed noise therefore gives fixed samples
    (the GIF shows one batch learning). One full forward pass per pixel: H*W passes.
    """
    import tensorflow as tf

    height, width, _ = model.input_shape[1:]

    @tf.function
    def sample(noise):
        noise = tf.convert_to_tensor(noise, tf.float32)
        uniforms = 0.5 * (1.0 + tf.math.erf(noise / math.sqrt(2.0)))  # (B, H*W) in (0, 1)
        images = tf.zeros((tf.shape(noise)[0], height, width, 1))
        for index in tf.range(height * width):  # a graph loop: one forward pass per pixel
            row, column = index // width, index % width
            logits = model(images, training=False)[:, row, column, 0]  # (B,)
            pixel = tf.cast(uniforms[:, index] < tf.sigmoid(logits), tf.float32)
            position = tf.one_hot(index, height * width)  # writes pixel (row, column) only
            images += tf.reshape(pixel[:, None] * position, (-1, height, width, 1))
        return images

    return sample


@family_setup(RUN_DEFAULTS, channels=(1,))  # one binarised grey channel
def build_pixelcnn_setup(config: PixelCNNConfig, *, image_shape=(28, 28, 1), settings: RunSettings):
    """Model, optimizer, RNG and compiled step for one PixelCNN run (used by the CLI)."""
    model = build_pixelcnn(
        image_shape=image_shape, filters=config.filters, residual_blocks=config.residual_blocks
    )
    pixels = int(np.prod(image_shape[:2]))
    return assemble_setup(
        settings,
        models={"pixelcnn": model},
        optimizers={"pixelcnn": (adam(config.learning_rate, 0.9), model.trainable_variables)},
        # Training draws nothing at random: the run's RNG goes unused (but is checkpointed).
        make_step=lambda optimizers, rng: make_pixelcnn_train_step(
            model,
            optimizers["pixelcnn"],
            threshold=config.threshold,
            jit_compile=settings.jit_compile,
        ),
        sample=make_pixelcnn_sampler(model),  # noise (B, H*W) -> {0, 1} images
        # 8, not 64: every epoch's grid costs H*W sequential forward passes (~6 s for 8).
        fixed_inputs=fixed_noise(8, pixels, settings.seed + 1),
        scale="unit",
        output="images",
        latent_dim=pixels,  # `gan-course sample` draws (N, H*W) noise: one number per pixel
    )
