"""2-D mixtures of Gaussians, the data of the mode-collapse lab (gan_course.lab2d).

- ``ring8``: 8 modes at angles 2*pi*k/8, k = 0..7, on the unit circle, sigma 0.01.
- ``grid25``: 25 modes at {-4, -2, 0, 2, 4}^2, sigma 0.05.

They sit in the data layer beside the image loaders, so `load_dataset("grid25")` needs
nothing from the lab's models.
"""

from __future__ import annotations

import numpy as np

TOY_DATASETS = ("ring8", "grid25")
TRAIN_POINTS = 51_200  # fixed training set: 100 steps of 512 per epoch
TEST_POINTS = 2_500


def _check_name(name: str) -> None:
    if name not in TOY_DATASETS:
        raise ValueError(f"unknown toy dataset {name!r}; choose one of {', '.join(TOY_DATASETS)}")


def mode_centres(name: str) -> np.ndarray:
    """Mode centres, float64 (8, 2) for ring8 and (25, 2) for grid25."""
    _check_name(name)
    if name == "ring8":
        angles = 2.0 * np.pi * np.arange(8) / 8  # no duplicated endpoint at 2*pi
        return np.stack([np.cos(angles), np.sin(angles)], axis=1)
    values = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    return np.array([(x, y) for x in values for y in values])


def mode_sigma(name: str) -> float:
    """Standard deviation of every mode (isotropic)."""
    _check_name(name)
    return 0.01 if name == "ring8" else 0.05


def sample_mixture(name: str, n: int, seed: int) -> np.ndarray:
    """n points from the equal-weight mixture, float32 (n, 2)."""
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    centres = mode_centres(name)
    rng = np.random.default_rng(seed)
    modes = rng.integers(len(centres), size=n)
    points = centres[modes] + mode_sigma(name) * rng.standard_normal((n, 2))
    return points.astype(np.float32)


def nearest_modes(points, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest mode, distance to it) for each point (N, 2)."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {points.shape}")
    distances = np.linalg.norm(points[:, None, :] - mode_centres(name)[None], axis=2)  # (N, K)
    return distances.argmin(axis=1).astype(np.int32), distances.min(axis=1)


def load_toy_dataset(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Fixed points float32 (N, 2) and int32 labels = nearest mode; train and test use different seeds."""
    points = sample_mixture(
        name, TRAIN_POINTS if split == "train" else TEST_POINTS, 0 if split == "train" else 1
    )
    return points, nearest_modes(points, name)[0]
