"""k-means clusters of images, the labels a self-conditioned GAN trains on
(gan_course.models.self_conditioned): found from the pixels alone, so no labels are needed.

Plain numpy, so the data layer stays free of TensorFlow and of another dependency. The
result depends only on the images and the seed: a resumed run finds the same clusters.
"""

from __future__ import annotations

import numpy as np


def kmeans_clusters(images, count: int, *, seed: int = 0, iterations: int = 30) -> np.ndarray:
    """Images (N, ...) of any dtype -> cluster index (N,) int32 in 0..count-1, by k-means on the
    pixels with k-means++ seeding (Arthur & Vassilvitskii 2007). Every cluster keeps one image
    or more."""
    points = np.asarray(images).reshape(len(images), -1).astype(np.float32)  # (N, D)
    if not isinstance(count, int) or count < 2:
        raise ValueError(f"clusters must be an integer of 2 or more, got {count!r}")
    if count > len(points):
        raise ValueError(
            f"clusters={count} is more than the {len(points)} training images; "
            "choose fewer with --set clusters=K"
        )
    points = points / max(float(np.abs(points).max()), 1e-12)  # any pixel range -> within [-1, 1]
    squared_norms = (points**2).sum(axis=1)  # (N,)
    rng = np.random.default_rng(seed)
    centres = np.empty((count, points.shape[1]), np.float32)  # (K, D)
    centres[0] = points[rng.integers(len(points))]
    # k-means++: each new centre is drawn with probability proportional to the squared
    # distance to the nearest centre so far (kept up to date one centre at a time: O(N D) each).
    nearest = ((points - centres[0]) ** 2).sum(axis=1)  # (N,)
    for index in range(1, count):
        total = nearest.sum()
        choice = (
            rng.choice(len(points), p=nearest / total) if total > 0 else rng.integers(len(points))
        )
        centres[index] = points[choice]
        nearest = np.minimum(nearest, ((points - centres[index]) ** 2).sum(axis=1))
    assignment = np.zeros(len(points), np.int64)
    for _ in range(iterations):
        # ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2; ||x||^2 is the same for every centre.
        distances = (centres**2).sum(axis=1)[None, :] - 2 * points @ centres.T  # (N, K)
        assignment = distances.argmin(axis=1)
        sizes = np.bincount(assignment, minlength=count)
        if (sizes == 0).any():
            # An empty cluster takes the point farthest from its centre, so all K stay in use.
            own = distances[np.arange(len(points)), assignment] + squared_norms  # (N,)
            for empty in np.flatnonzero(sizes == 0):
                farthest = int(own.argmax())
                assignment[farthest] = empty
                own[farthest] = -np.inf
        members = np.zeros((count, len(points)), np.float32)  # (K, N) one-hot membership
        members[assignment, np.arange(len(points))] = 1.0
        centres = (members @ points) / members.sum(axis=1, keepdims=True)  # (K, D) means
    return assignment.astype(np.int32)


def cluster_sizes(labels, count: int) -> tuple[int, ...]:
    """How many images each of `count` clusters holds: (count,) ints."""
    return tuple(int(size) for size in np.bincount(np.asarray(labels), minlength=count))
