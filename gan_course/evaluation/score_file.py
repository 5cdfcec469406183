"""Scoring an .npz of samples against real digits: what `gan-course evaluate` does."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def float_images_to_uint8(images, *, name: str = "images"):
    """Float images in [-1, 1] (any value below 0) or [0, 1] -> uint8; other arrays pass through.

    The range is read from the data: generator outputs in [-1, 1] always have a black
    background below 0, while [0, 1] images never do.
    """
    from gan_course.data import to_uint8

    images = np.asarray(images)
    if images.dtype.kind != "f" or images.size == 0:
        return images
    if not np.isfinite(images).all():
        raise ValueError(f"{name} contains NaN or Inf; check the generator that produced it")
    low, high = float(images.min()), float(images.max())
    if low < -1.0 - 1e-3 or high > 1.0 + 1e-3:
        raise ValueError(
            f"{name} has float values in [{low:.3g}, {high:.3g}]; floats must be in [-1, 1] or [0, 1] (or pass uint8 0..255)"
        )
    return to_uint8(images, "gan" if low < 0 else "unit")


def evaluate_file(path: str | Path, *, dataset: str = "mnist_5k") -> dict:
    """Score an .npz of samples (`x`: uint8, or float in [-1, 1] or [0, 1]; shape (N, 28, 28)
    or (N, 28, 28, 1); optional labels `y`) against real digits.

    Reference set: the dataset's training split (4,500 images for mnist_5k); memorisation
    compares with the training split and the held-out split. With `y`, also the share of
    samples the digit classifier assigns to the requested label.
    """
    from gan_course.data import load_dataset
    from gan_course.evaluation import classifier, metrics

    if dataset not in ("mnist_5k", "mnist"):
        raise ValueError(
            f"the metrics use a digit classifier: evaluate against 'mnist_5k' or 'mnist', not {dataset!r}"
        )
    path = Path(path)
    if not path.exists():
        raise ValueError(
            f"{path} does not exist; write one with `gan-course sample ... --out {path}`"
        )
    try:
        arrays = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path} is not a readable .npz file ({error}); write one with `gan-course sample`"
        ) from error
    if "x" not in arrays:
        raise ValueError(
            f"{path} has no array 'x' (found {sorted(arrays)}); it must hold uint8 images as x"
        )
    samples = classifier.check_images(
        float_images_to_uint8(arrays["x"], name=f"{path.name}['x']"), name=f"{path.name}['x']"
    )
    train, _ = load_dataset(dataset, split="train")
    held_out, _ = load_dataset(dataset, split="test")
    result = metrics.evaluate_samples(samples, real=train, train=train, held_out=held_out)
    if "y" in arrays:
        result["conditional_accuracy"] = metrics.conditional_accuracy(samples, arrays["y"])
    return result
