"""PacGAN packing (Lin et al. 2018): the discriminator judges m samples at once.

A generator that has dropped modes makes packs whose members look alike, which a
discriminator seeing one sample at a time cannot notice; the packed discriminator can, and
its gradient pushes the generator back towards the missing modes. Shared by the 2-D lab
(points) and the image DCGAN.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="gan_course")
class PackSamples(keras.layers.Layer):
    """(B, ..., C) -> (B / m, ..., m * C): m consecutive samples stacked on the last axis.

    Points (B, D) become (B / m, m * D); images (B, H, W, C) become (B / m, H, W, m * C), so
    a convolution sees the m images of a pack pixel by pixel. B must be a multiple of m:
    choose batch sizes divisible by the packing degree (`make_dataset` drops the remainder).
    """

    def __init__(self, packing: int, **kwargs):
        super().__init__(**kwargs)
        if packing < 1:
            raise ValueError(f"packing must be >= 1, got {packing}")
        self.packing = packing

    def call(self, samples):
        ops = keras.ops
        inner = tuple(samples.shape[1:])  # (..., C), static
        grouped = ops.reshape(samples, (-1, self.packing) + inner)  # (B / m, m, ..., C)
        rank = len(grouped.shape)
        # Move the pack axis next to the channels: (B / m, ..., m, C).
        grouped = ops.transpose(grouped, (0,) + tuple(range(2, rank - 1)) + (1, rank - 1))
        return ops.reshape(grouped, (-1,) + inner[:-1] + (self.packing * inner[-1],))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.packing
        return (batch, *input_shape[1:-1], self.packing * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "packing": self.packing}


def check_packing(batch_size: int, packing: int) -> None:
    """Raise ValueError unless the batch splits into whole packs of `packing` samples."""
    if batch_size % packing:
        raise ValueError(
            f"batch_size {batch_size} must be a multiple of the discriminator's packing "
            f"{packing}: change one of them"
        )
