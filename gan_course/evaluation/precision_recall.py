"""Improved precision and recall (Kynkaanniemi et al. 2019) on the classifier's stroke features.

Precision asks "does each sample look like some real digit?" (quality), recall asks "is
each real digit near some sample?" (coverage), so a collapsed generator scores high
precision and low recall. A set's manifold is the union of balls around its points,
each with radius the distance to the point's k-th nearest neighbour in the same set
(k = 3, as in the paper).

Which features. On the classifier's 128-d penultimate layer (the FID features) uniform
noise scored precision 0.88, as high as real digits (0.87). That layer is trained only to
tell ten classes apart, so it maps any input, noise included, to somewhere among the
digits: noise lands at a small feature norm (~12; digits ~21), next to a few faint,
ambiguous training digits whose 3-NN balls are the widest of the set (radius up to 13.5,
median 6.1), and two such balls hold most of the noise. Deeper layers keep less of what
an image looks like; the first convolution block still sees strokes, which noise lacks.
So precision and recall run on that block's (12, 12, 32) output averaged over 3x3 cells
to a 4x4 grid (512 values, `classifier.stroke_features`): there, noise lies at least 1.39
ball radii from every real digit (precision 0), and blurred digits, whose strokes are
weaker, leave the real manifold more often than real ones do (precision 0.56 vs 0.86),
which the penultimate layer did not see (0.97 for blurred). Numbers: benchmarks/README.md,
"Metric calibration".
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


def _check_k(k) -> None:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")


def precision_recall_from_features(
    real_features, fake_features, *, k: int = 3, block: int = 1000
) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) on features.

    Each set's manifold is the union of balls around its points with radius the distance
    to the k-th nearest neighbour. Precision: share of fakes inside the real manifold
    (quality). Recall: share of reals inside the fake manifold (coverage).
    """
    _check_k(k)
    real = check_features(real_features, "real_features", minimum=k + 1)
    fake = check_features(fake_features, "fake_features", minimum=k + 1)
    precision = _inside_manifold(fake, real, _knn_radii(real, k, block), block).mean()
    recall = _inside_manifold(real, fake, _knn_radii(fake, k, block), block).mean()
    return float(precision), float(recall)


def inside_real_manifold(real_features, fake_features, *, k: int, block: int = 1000) -> np.ndarray:
    """(M,) bool: is each fake inside the union of the reals' k-NN balls?"""
    _check_k(k)
    real = check_features(real_features, "real_features", minimum=k + 1)
    fake = check_features(fake_features, "fake_features", minimum=1)
    return _inside_manifold(fake, real, _knn_radii(real, k, block), block)


def _check_labels(labels, count: int, name: str, num_classes: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (count,) or labels.dtype.kind not in "iu":
        raise ValueError(f"{name} must be {count} integers (one per image), got {labels.shape}")
    if count and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{name} must lie in 0..{num_classes - 1}")
    return labels


def per_class_recall_from_features(
    real_features, real_labels, fake_features, fake_labels, *, k: int = 3, num_classes: int = 10
) -> np.ndarray:
    """(num_classes,) recall of the fakes of class c against the reals of class c.

    Catches collapse inside a class, which conditional accuracy and class balance cannot
    see: ten images, one per digit, each repeated, score ~0 everywhere. A class with no
    fakes scores 0; one with at most k fakes uses k = (its count - 1), so its manifold
    is smaller and its recall biased low: compare at equal sample counts.
    """
    _check_k(k)
    real = check_features(real_features, "real_features", minimum=1)
    fake = check_features(fake_features, "fake_features", minimum=1)
    real_labels = _check_labels(real_labels, len(real), "real_labels", num_classes)
    fake_labels = _check_labels(fake_labels, len(fake), "fake_labels", num_classes)
    missing = sorted(set(range(num_classes)) - set(real_labels.tolist()))
    if missing:
        raise ValueError(f"the real set has no images of class {missing}; use every class")
    recalls = np.zeros(num_classes)
    for label in range(num_classes):
        fakes = fake[fake_labels == label]
        if len(fakes) == 0:
            continue  # the class is missing entirely: recall 0
        class_k = min(k, len(fakes) - 1)
        radii = _knn_radii(fakes, class_k, 1000) if class_k else np.zeros(1)
        recalls[label] = _inside_manifold(real[real_labels == label], fakes, radii, 1000).mean()
    return recalls


def precision_recall(real_images, fake_images, *, k: int = 3) -> tuple[float, float]:
    """(precision, recall) of fake digits against real ones, on the stroke features."""
    return precision_recall_from_features(
        classifier.stroke_features(real_images), classifier.stroke_features(fake_images), k=k
    )
