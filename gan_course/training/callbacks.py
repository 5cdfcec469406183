"""Callbacks for `gan_course.training.fit`: sample grids and GIF, TensorBoard."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


class Callback:
    """Hooks called by `fit`. `start_epoch` is 0 for a new run, N when resuming after epoch N."""

    def on_train_begin(self, start_epoch: int) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, history: list[dict]) -> None:
        pass


class SampleGrids(Callback):
    """Save `sample_fn(fixed_inputs)` as `directory/epoch_NNNN.png` each epoch, and a GIF at the end.

    The same fixed inputs (noise, and labels for conditional models) are used every time,
    so the frames of the GIF show one batch of samples learning. 2-D points (N, 2), the
    toy datasets' samples, are drawn as a scatter plot instead of a grid; `reference`
    points (the mode centres) are drawn on every frame and `limit` fixes both axes to
    [-limit, limit], so that every frame shows the same square and the GIF shows the
    samples move between the modes.
    """

    def __init__(
        self,
        sample_fn: Callable,
        fixed_inputs,
        directory: str | Path,
        *,
        scale: str = "gan",
        columns: int | None = None,
        gif_path: str | Path | None = None,
        reference=None,
        limit: float | None = None,
    ):
        self.sample_fn = sample_fn
        self.fixed_inputs = fixed_inputs
        self.directory = Path(directory)
        self.scale = scale
        self.columns = columns
        self.gif_path = Path(gif_path) if gif_path else None
        self.reference, self.limit = reference, limit

    def save(self, epoch: int) -> Path:
        from gan_course.viz import save_image_grid, save_scatter

        images = np.asarray(self.sample_fn(self.fixed_inputs))
        path = self.directory / f"epoch_{epoch:04d}.png"
        if images.ndim == 2:  # 2-D points, not images: a scatter plot of one fixed size
            return save_scatter(path, images, reference=self.reference, limit=self.limit)
        return save_image_grid(
            path,
            images,
            columns=self.columns,
            scale=self.scale,
        )

    def on_train_begin(self, start_epoch: int) -> None:
        if start_epoch == 0:
            self.save(0)  # what the untrained generator draws

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        self.save(epoch)

    def on_train_end(self, history: list[dict]) -> None:
        if self.gif_path is not None:
            from gan_course.viz import make_gif

            make_gif(sorted(self.directory.glob("epoch_*.png")), self.gif_path)


class TensorBoard(Callback):
    """Write each epoch's scalars (and a sample grid, if `sample_fn` is given) for TensorBoard."""

    def __init__(
        self,
        log_dir: str | Path,
        *,
        sample_fn: Callable | None = None,
        fixed_inputs=None,
        scale: str = "gan",
    ):
        import tensorflow as tf

        self.writer = tf.summary.create_file_writer(str(log_dir))
        self.sample_fn, self.fixed_inputs, self.scale = sample_fn, fixed_inputs, scale

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        import tensorflow as tf

        from gan_course.viz import image_grid

        with self.writer.as_default(step=epoch):
            for key, value in logs.items():
                if isinstance(value, float):
                    tf.summary.scalar(key, value)
            samples = (
                None if self.sample_fn is None else np.asarray(self.sample_fn(self.fixed_inputs))
            )
            if samples is not None and samples.ndim != 2:  # images only, not 2-D points
                grid = image_grid(samples, scale=self.scale)
                tf.summary.image("samples", grid[np.newaxis])
        self.writer.flush()
