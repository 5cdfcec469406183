"""Does the generator copy its training digits? Nearest-neighbour distances in pixel space.

A generator that memorised its training set draws samples that sit (almost) on top of
training images. Real digits it never saw give the baseline: how far is an unseen digit
from its nearest training digit? The ratio of the two medians is

    ~1   samples are as far from the training set as fresh real digits (healthy),
    << 1 samples are closer than real digits ever are: copies or near-copies,
    > 1  samples are further away than real digits (usually: they are poor digits).

    report = memorisation(samples, train_images, held_out_images)
    report.ratio, report.closest_sample_indices, report.closest_train_indices

Distances are Euclidean on pixels scaled to [0, 1] (a 28x28 image has 784 of them). Any
uint8 image size works, so the same test runs on your own images
(gan_course.evaluation.own_data); queries and references must share one shape.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class MemorisationReport:
    ratio: float  # median sample->train distance / median held-out->train distance
    sample_median: float
    held_out_median: float
    sample_distances: np.ndarray  # (N,) each sample's distance to its nearest training image
    nearest_train_indices: np.ndarray  # (N,) index of that training image
    closest_sample_indices: (
        np.ndarray
    )  # (closest,) samples nearest to the training set, nearest first
    closest_train_indices: np.ndarray  # (closest,) their nearest training images
    closest_distances: np.ndarray  # (closest,)


def check_pixel_images(images, *, name: str = "images") -> np.ndarray:
    """`images` as uint8 (N, H, W, C) of any size, or ValueError saying what is wrong."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(
            f"{name} must be uint8 pixels 0..255, got dtype {images.dtype}; convert "
            "generator outputs with gan_course.data.to_uint8(images, scale) first"
        )
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            f"{name} must be a non-empty (N, H, W) or (N, H, W, C), got {images.shape}"
        )
    return images


def _as_flat_unit(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0  # (N, H*W*C)


def nearest_neighbours(queries, references, *, block: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """For each uint8 query image: (distance to the nearest reference image, its index)."""
    queries = check_pixel_images(queries, name="queries")
    references = check_pixel_images(references, name="references")
    if queries.shape[1:] != references.shape[1:]:
        raise ValueError(
            f"queries {queries.shape[1:]} and references {references.shape[1:]} differ in shape"
        )
    queries, references = _as_flat_unit(queries), _as_flat_unit(references)
    reference_norms = np.sum(references.astype(np.float64) ** 2, axis=1)
    distances = np.empty(len(queries))
    indices = np.empty(len(queries), np.int64)
    for start in range(0, len(queries), block):
        chunk = queries[start : start + block]
        # ||q - r||^2 = ||q||^2 + ||r||^2 - 2 q.r, one matrix product per block of queries
        products = (chunk @ references.T).astype(np.float64)
        squared = (
            np.sum(chunk.astype(np.float64) ** 2, axis=1)[:, None] + reference_norms - 2 * products
        )
        nearest = np.argmin(squared, axis=1)
        indices[start : start + block] = nearest
        distances[start : start + block] = np.sqrt(
            np.maximum(squared[np.arange(len(chunk)), nearest], 0.0)
        )
    return distances, indices


def memorisation(samples, train_images, held_out_images, *, closest: int = 8) -> MemorisationReport:
    """Compare samples' nearest-training-image distances with those of held-out real images."""
    if not isinstance(closest, int) or closest < 1:
        raise ValueError(f"closest must be a positive integer, got {closest!r}")
    sample_distances, sample_nearest = nearest_neighbours(samples, train_images)
    held_out_distances, _ = nearest_neighbours(held_out_images, train_images)
    held_out_median = float(np.median(held_out_distances))
    if held_out_median == 0.0:
        raise ValueError("held_out_images contain copies of training images; use a disjoint split")
    sample_median = float(np.median(sample_distances))
    order = np.argsort(sample_distances, kind="stable")[:closest]
    return MemorisationReport(
        ratio=sample_median / held_out_median,
        sample_median=sample_median,
        held_out_median=held_out_median,
        sample_distances=sample_distances,
        nearest_train_indices=sample_nearest,
        closest_sample_indices=order,
        closest_train_indices=sample_nearest[order],
        closest_distances=sample_distances[order],
    )
