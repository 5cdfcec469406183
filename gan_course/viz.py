"""Image grids, loss curves, GIFs and latent interpolation. No global style is set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gan_course.data import to_uint8

# Every figure the package draws or saves: below 100 dpi, digits and axis labels blur.
FIGURE_DPI = 100


def image_grid(
    images, *, columns: int | None = None, scale: str = "gan", padding: int = 2
) -> np.ndarray:
    """Tile (N, H, W, C) images into one uint8 array (rows*H, columns*W, C); C is 1 or 3."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"images must be (N, H, W, 1|3), got shape {images.shape}")
    if images.dtype != np.uint8:
        images = to_uint8(images, scale)
    count, height, width, channels = images.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    grid = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
        255,
        dtype=np.uint8,
    )
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = padding + row * (height + padding), padding + column * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def save_image_grid(
    path: str | Path, images, *, columns: int | None = None, scale: str = "gan", upscale: int = 2
) -> Path:
    """Write a grid as PNG; `upscale` repeats pixels so 28x28 digits stay readable."""
    import imageio.v3 as iio

    grid = image_grid(images, columns=columns, scale=scale)
    grid = np.repeat(np.repeat(grid, upscale, axis=0), upscale, axis=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, grid[..., 0] if grid.shape[-1] == 1 else grid)
    return path


def save_scatter(
    path: str | Path, points, *, reference=None, limit: float | None = None, size: float = 3.0
) -> Path:
    """Write 2-D points (N, 2) as a scatter PNG (dpi 100), with optional `reference` points (e.g. mode centres).

    Uses a bare matplotlib Figure (no pyplot state), so it is safe inside a training loop.
    `limit` fixes both axes to [-limit, limit], which keeps the frames of a GIF aligned.
    """
    from matplotlib.figure import Figure

    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must be (N, 2), got shape {points.shape}")
    figure = Figure(figsize=(size, size), dpi=FIGURE_DPI)
    ax = figure.add_subplot()
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5)
    if reference is not None:
        reference = np.asarray(reference)
        ax.scatter(reference[:, 0], reference[:, 1], s=12, c="red", marker="x")
    if limit is None:  # a fixed square around the data, so every frame has one size
        limit = 1.1 * float(np.abs(points).max()) if points.size else 1.0
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path


def make_gif(
    frame_paths: Sequence[str | Path],
    path: str | Path,
    *,
    seconds_per_frame: float = 0.3,
    max_frames: int | None = None,
    downscale: int = 1,
) -> Path:
    """Join PNG frames (e.g. one grid per epoch) into a looping GIF.

    `max_frames` keeps evenly spaced frames (first and last included) and `downscale`
    keeps every n-th pixel: a light GIF to embed in a notebook.
    """
    import imageio.v2 as imageio
    from PIL import Image

    if not frame_paths:
        raise ValueError("make_gif needs at least one frame")
    if max_frames is not None and max_frames < 2:
        raise ValueError(f"max_frames must be at least 2, got {max_frames}")
    if not isinstance(downscale, int) or downscale < 1:
        raise ValueError(f"downscale must be a positive integer, got {downscale!r}")
    frame_paths = list(frame_paths)
    if max_frames is not None and len(frame_paths) > max_frames:
        keep = np.unique(np.linspace(0, len(frame_paths) - 1, max_frames).round().astype(int))
        frame_paths = [frame_paths[index] for index in keep]
    frames = [imageio.imread(frame)[::downscale, ::downscale] for frame in frame_paths]
    # Hold the last frame longer so the final result is visible. Pillow's GIF writer takes
    # milliseconds (imageio passes `duration` through to it unchanged, so seconds there
    # gave 0-delay GIFs); it is called directly so the unit is plain.
    milliseconds = [round(1000 * seconds_per_frame)] * (len(frames) - 1)
    milliseconds.append(round(1000 * max(2.0, seconds_per_frame)))
    images = [Image.fromarray(frame) for frame in frames]
    path = Path(path)
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=milliseconds, loop=0, disposal=1
    )
    return path


def show_images(
    images,
    *,
    columns: int | None = None,
    scale: str = "gan",
    title: str | None = None,
    ax=None,
    size: float = 4.0,
):
    """Draw a grid with matplotlib (for notebooks); returns the axes."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, columns=columns, scale=scale)
    if ax is None:
        _, ax = plt.subplots(figsize=(size, size * grid.shape[0] / grid.shape[1]), dpi=FIGURE_DPI)
    ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_history(
    history: Sequence[dict], keys: Sequence[str] | None = None, *, ax=None, title: str | None = None
):
    """Plot per-epoch metrics from a history list (as in history.json); returns the axes."""
    import matplotlib.pyplot as plt

    if not history:
        raise ValueError("history is empty: train for at least one epoch first")
    keys = keys or [
        k for k, v in history[0].items() if isinstance(v, float) and k not in ("seconds",)
    ]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5), dpi=FIGURE_DPI)
    epochs = [entry["epoch"] for entry in history]
    for key in keys:
        ax.plot(epochs, [entry[key] for entry in history], label=key, marker=".")
    ax.set_xlabel("epoch")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def interpolate(start, end, steps: int, *, method: str = "slerp") -> np.ndarray:
    """Points from `start` to `end` (1-D latent vectors), endpoints included: (steps, D).

    `slerp` follows the great circle, which keeps the norm typical of Gaussian samples;
    `linear` cuts through the low-density centre of the Gaussian.
    """
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    if start.shape != end.shape or start.ndim != 1:
        raise ValueError(
            f"start and end must be 1-D vectors of one shape, got {start.shape}, {end.shape}"
        )
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    t = np.linspace(0.0, 1.0, steps)[:, np.newaxis]
    if method == "linear":
        return ((1 - t) * start + t * end).astype(np.float32)
    if method != "slerp":
        raise ValueError(f"unknown interpolation method {method!r}; choose 'linear' or 'slerp'")
    cosine = np.dot(start, end) / (np.linalg.norm(start) * np.linalg.norm(end))
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    if omega < 1e-6:  # (anti)parallel vectors: slerp degenerates to linear
        return ((1 - t) * start + t * end).astype(np.float32)
    result = (np.sin((1 - t) * omega) * start + np.sin(t * omega) * end) / np.sin(omega)
    return result.astype(np.float32)
