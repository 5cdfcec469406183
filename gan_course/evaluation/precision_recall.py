"""Improved precision and recall (Kynkaanniemi et al. 2019) on classifier features.

Precision asks "does each fake look like some real digit?" (quality), recall asks "is
each real digit near some fake?" (coverage), so a collapsed generator scores high
precision and low recall. A set's manifold is the union of balls around its points,
each with radius the distance to the point's k-th nearest neighbour in the same set.

Known weakness (measured in benchmarks/README.md, "Metric calibration"): a few outlier
real digits have large balls, and uniform noise, which the classifier maps to one
small region, can land inside them: noise still gets precision ~0.9 but recall 0.
Read precision together with recall and FID, never alone.
"""

from __future__ import annotations

import numpy as np

from gan_course.evaluation import classifier
from gan_course.evaluation.classifier import check_features


def _pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = np.sum(a**2, axis=1)[:, None] + np.sum(b**2, axis=1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))


def _knn_radii(features: np.ndarray, k: int, block: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row."""
    radii = np.empty(len(features))
    for start in range(0, len(features), block):
        distances = _pairwise_distances(features[start : start + block], features)
        radii[start : start + block] = np.partition(distances, k, axis=1)[:, k]  # [:, 0] is itself
    return radii


def _inside_manifold(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, block: int):
    inside = np.empty(len(points), bool)
    for start in range(0, len(points), block):
        distances = _pairwise_distances(points[start : start + block], centres)
        inside[start : start + block] = np.any(distances <= radii[None, :], axis=1)
    return inside


def precision_recall_from_features(
    real_features, fake_features, *, k: int = 3, block: int = 1000
) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) on features.

    Each set's manifold is the union of balls around its points with radius the distance
    to the k-th nearest neighbour. Precision: share of fakes inside the real manifold
    (quality). Recall: share of reals inside the fake manifold (coverage).
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    real = check_features(real_features, "real_features", minimum=k + 1)
    fake = check_features(fake_features, "fake_features", minimum=k + 1)
    precision = _inside_manifold(fake, real, _knn_radii(real, k, block), block).mean()
    recall = _inside_manifold(real, fake, _knn_radii(fake, k, block), block).mean()
    return float(precision), float(recall)


def precision_recall(real_images, fake_images, *, k: int = 3) -> tuple[float, float]:
    """(precision, recall) of fake digits against real ones, on classifier features."""
    return precision_recall_from_features(
        classifier.digit_features(real_images), classifier.digit_features(fake_images), k=k
    )
