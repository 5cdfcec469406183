"""Scoring an .npz of samples against real digits, or against your own data
(gan_course.evaluation.own_data): what `gan-course evaluate` does."""

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


def _read_samples_file(path: Path):
    """The arrays of an .npz of samples holding `x`, or ValueError saying what to do."""
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
    return arrays


DIGIT_DATASETS = ("mnist_5k", "mnist")
OWN_DATASETS = ("fashion_mnist", "cifar10")  # and folder:PATH


def evaluate_file(
    path: str | Path,
    *,
    dataset: str = "mnist_5k",
    image_size: int | None = None,
    channels: int | None = None,
    cache_dir: str | Path | None = None,
) -> dict:
    """Score an .npz of samples (`x`: uint8, or float in [-1, 1] or [0, 1]; shape (N, 28, 28)
    or (N, 28, 28, 1); optional labels `y`) against real digits.

    Reference set: the dataset's training split (4,500 images for mnist_5k); memorisation
    compares with the training split and the held-out split. With `y`, also the share of
    samples the digit classifier assigns to the requested label and the recall within
    each class (mean and minimum over the ten digits).

    Against fashion_mnist, cifar10 or ``folder:PATH`` (samples (N, H, W[, C])), the scores
    need no digit classifier: gan_course.evaluation.own_data (`image_size` and `channels`,
    if given, must match the samples; `cache_dir` holds its feature network).
    """
    from gan_course.data import is_folder_spec, load_dataset
    from gan_course.evaluation import classifier, metrics

    own = dataset in OWN_DATASETS or is_folder_spec(dataset)
    if dataset not in DIGIT_DATASETS and not own:
        raise ValueError(
            f"evaluate against {', '.join(DIGIT_DATASETS + OWN_DATASETS)} or folder:PATH, not {dataset!r}"
        )
    if not own and (image_size not in (None, 28) or channels not in (None, 1)):
        raise ValueError(
            "the digit metrics read 28x28 grey samples; drop --image-size/--channels, or "
            "evaluate against your own data (--dataset folder:PATH)"
        )
    path = Path(path)
    arrays = _read_samples_file(path)
    if own:
        from gan_course.evaluation.own_data import evaluate_own_data

        samples = float_images_to_uint8(arrays["x"], name=f"{path.name}['x']")
        return evaluate_own_data(
            samples, dataset=dataset, image_size=image_size, channels=channels, cache_dir=cache_dir
        )
    samples = classifier.check_images(
        float_images_to_uint8(arrays["x"], name=f"{path.name}['x']"), name=f"{path.name}['x']"
    )
    train, train_labels = load_dataset(dataset, split="train")
    held_out, _ = load_dataset(dataset, split="test")
    # With labels `y`: conditional accuracy and per-class recall (evaluate_samples).
    return metrics.evaluate_samples(
        samples,
        real=train,
        train=train,
        held_out=held_out,
        labels=arrays["y"] if "y" in arrays else None,
        real_labels=train_labels,
    )
