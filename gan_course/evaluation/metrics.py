"""Numbers for generated digits: FID, KID, classifier score, precision/recall, class balance.

Everything is computed on the course's own digit classifier (gan_course.evaluation.classifier), not
on ImageNet Inception, so the values compare runs within this course only. Image inputs
are uint8 (N, 28, 28) or (N, 28, 28, 1), as `gan-course sample` writes them; the
`*_from_features` variants take float feature arrays (N, D) and are what the tests use.

    from gan_course.evaluation.metrics import evaluate_samples
    row = evaluate_samples(samples, real=train_images, train=train_images, held_out=test_images)

Lower is better for FID, KID and KL to uniform; higher for the classifier score (max 10),
the recognisable share, precision, recall (overall and per class) and the smallest class
share; memorisation near 1 is healthy, near 0 means copies of training digits. KID is
reported raw (`kid_raw`, the unbiased MMD^2 itself, not the x1000 of Inception-feature
papers): on these features it runs from ~0 for real digits to ~70 for one repeated digit.
What each number says about sets of known quality (real, blurred, three classes, noise,
one repeated digit), and which orderings each metric is checked on: benchmarks/README.md,
"Metric calibration" (`python benchmarks/calibrate_metrics.py`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from gan_course.evaluation import classifier
from gan_course.evaluation.classifier import check_features
from gan_course.evaluation.precision_recall import (
    inside_real_manifold,
    per_class_recall_from_features,
    precision_recall_from_features,
)
from gan_course.evaluation.precision_recall import (  # re-exported: every metric lives in metrics
    precision_recall as precision_recall,
)

NUM_CLASSES = classifier.NUM_CLASSES


def _square_root(matrix: np.ndarray) -> np.ndarray:
    from scipy import linalg

    with warnings.catch_warnings():
        # scipy warns "Matrix is singular" and may return inf; the caller checks and retries.
        warnings.filterwarnings("ignore", message="Matrix is singular")
        return linalg.sqrtm(matrix)


def frechet_distance(mu1, sigma1, mu2, sigma2, *, eps: float = 1e-6, imaginary_atol: float = 1e-3):
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2), in float64.

    d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)). If the matrix
    square root is not finite (nearly singular covariances), it is retried with eps*I added
    to both covariances. Round-off gives the root a tiny imaginary part, which is dropped;
    one larger than `imaginary_atol` means the inputs are not covariances: ValueError.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = (
        np.atleast_2d(sigma1).astype(np.float64),
        np.atleast_2d(sigma2).astype(np.float64),
    )
    dimension = mu1.shape[0]
    square = (dimension, dimension)
    if mu1.shape != mu2.shape or sigma1.shape != square or sigma2.shape != square:
        raise ValueError(
            f"shapes do not match: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs {sigma2.shape}"
        )
    root = _square_root(sigma1 @ sigma2)
    if not np.isfinite(root).all():
        warnings.warn(
            f"the covariance product has no finite square root; adding {eps:g}*I to both "
            "covariances (use more samples than feature dimensions to avoid this)",
            RuntimeWarning,
            stacklevel=2,
        )
        offset = np.eye(dimension) * eps
        root = _square_root((sigma1 + offset) @ (sigma2 + offset))
    if not np.isfinite(root).all():
        raise ValueError("the covariance product has no finite square root even with eps*I added")
    if np.iscomplexobj(root):
        largest = np.max(np.abs(root.imag))
        if largest > imaginary_atol:
            raise ValueError(
                f"square root of sigma1 @ sigma2 has an imaginary part of {largest:.3g}: "
                "are both inputs symmetric positive semi-definite covariances?"
            )
        root = root.real
    difference = mu1 - mu2
    return float(difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(root))


def fid_from_features(real_features, fake_features) -> float:
    """FID between two feature sets (N, D) and (M, D), each summarised by mean and covariance."""
    real = check_features(real_features, "real_features")
    fake = check_features(fake_features, "fake_features")
    return frechet_distance(
        real.mean(axis=0), np.cov(real, rowvar=False), fake.mean(axis=0), np.cov(fake, rowvar=False)
    )


def fid(real_images, fake_images) -> float:
    """Frechet distance of classifier features (the FID formula on the digit classifier)."""
    return fid_from_features(
        classifier.digit_features(real_images), classifier.digit_features(fake_images)
    )


def _polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x.y / d + 1)^3, the KID kernel (Binkowski et al. 2018)."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def kid_from_features(
    real_features, fake_features, *, subset_size: int = 1000, subsets: int = 10, seed: int = 0
) -> tuple[float, float]:
    """Unbiased MMD^2 with the cubic kernel: (estimate, standard error).

    Each set is shuffled and cut into `subsets` disjoint blocks of at most `subset_size`
    rows (so at most subsets * subset_size rows of each are used). The estimate is the
    unbiased U-statistic over every pair of used rows, computed block by block so memory
    stays small; the standard error is the delete-one-block jackknife, which stays honest
    (blocks are disjoint, unlike resampled subsets).
    """
    if not isinstance(subsets, int) or subsets < 2:
        raise ValueError(f"subsets must be an integer >= 2 (for a standard error), got {subsets!r}")
    if not isinstance(subset_size, int) or subset_size < 2:
        raise ValueError(f"subset_size must be an integer >= 2, got {subset_size!r}")
    real = check_features(real_features, "real_features", minimum=2 * subsets)
    fake = check_features(fake_features, "fake_features", minimum=2 * subsets)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature sizes differ: {real.shape[1]} vs {fake.shape[1]}")
    rng = np.random.default_rng(seed)
    real_block = min(subset_size, len(real) // subsets)
    fake_block = min(subset_size, len(fake) // subsets)
    real_blocks = rng.permutation(len(real))[: real_block * subsets].reshape(subsets, real_block)
    fake_blocks = rng.permutation(len(fake))[: fake_block * subsets].reshape(subsets, fake_block)
    # Kernel sums between every pair of blocks (a, b); same-set diagonals excluded.
    sum_rr, sum_ff, sum_rf = (np.zeros((subsets, subsets)) for _ in range(3))
    for a in range(subsets):
        for b in range(subsets):
            kernel_rr = _polynomial_kernel(real[real_blocks[a]], real[real_blocks[b]])
            kernel_ff = _polynomial_kernel(fake[fake_blocks[a]], fake[fake_blocks[b]])
            sum_rr[a, b] = kernel_rr.sum() - (np.trace(kernel_rr) if a == b else 0.0)
            sum_ff[a, b] = kernel_ff.sum() - (np.trace(kernel_ff) if a == b else 0.0)
            sum_rf[a, b] = _polynomial_kernel(real[real_blocks[a]], fake[fake_blocks[b]]).sum()

    def mmd(keep: np.ndarray) -> float:
        kept = np.ix_(keep, keep)
        n, m = real_block * int(keep.sum()), fake_block * int(keep.sum())
        return (
            sum_rr[kept].sum() / (n * (n - 1))
            + sum_ff[kept].sum() / (m * (m - 1))
            - 2.0 * sum_rf[kept].sum() / (n * m)
        )

    estimate = mmd(np.ones(subsets, bool))
    leave_one_out = np.array([mmd(np.arange(subsets) != j) for j in range(subsets)])
    variance = (subsets - 1) / subsets * np.sum((leave_one_out - leave_one_out.mean()) ** 2)
    return float(estimate), float(math.sqrt(variance))


def kid(
    real_images, fake_images, *, subset_size: int = 1000, subsets: int = 10, seed: int = 0
) -> tuple[float, float]:
    """Kernel Inception Distance on classifier features: (mean, standard error)."""
    return kid_from_features(
        classifier.digit_features(real_images),
        classifier.digit_features(fake_images),
        subset_size=subset_size,
        subsets=subsets,
        seed=seed,
    )


def score_from_probabilities(probabilities) -> float:
    """exp(E_x KL(p(y|x) || p(y))): 1 for one blurry class, up to 10 for sure, balanced predictions."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or len(p) == 0 or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError(
            "probabilities must be a non-empty (N, classes) array of rows summing to 1"
        )
    marginal = p.mean(axis=0, keepdims=True)
    tiny = 1e-12  # 0 * log 0 = 0
    kl = np.sum(p * (np.log(p + tiny) - np.log(marginal + tiny)), axis=1)
    return float(np.exp(kl.mean()))


def classifier_score(images) -> float:
    """The Inception Score formula on the digit classifier's softmax (10 is the maximum)."""
    return score_from_probabilities(classifier.digit_probabilities(images))


def class_balance_from_labels(labels) -> dict:
    """{"shares": (10,) share per class, "min_share", "kl_to_uniform": KL(shares || uniform)}."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0 or labels.dtype.kind not in "iu":
        raise ValueError("labels must be a non-empty 1-d integer array")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(f"labels must lie in 0..{NUM_CLASSES - 1}")
    shares = np.bincount(labels, minlength=NUM_CLASSES) / len(labels)
    present = shares > 0  # 0 * log 0 = 0
    kl = float(np.sum(shares[present] * np.log(shares[present] * NUM_CLASSES)))
    return {"shares": shares, "min_share": float(shares.min()), "kl_to_uniform": kl}


def class_balance(images) -> dict:
    """Class shares of the classifier's predictions; KL to uniform is 0 when balanced, log 10 for one class."""
    return class_balance_from_labels(classifier.predict_digits(images))


def conditional_accuracy(images, requested_labels) -> float:
    """Share of images the classifier reads as the digit they were generated for."""
    requested = np.asarray(requested_labels)
    predicted = classifier.predict_digits(images)
    if requested.shape != predicted.shape or requested.dtype.kind not in "iu":
        raise ValueError(
            f"requested_labels must be {len(predicted)} integers, got shape {requested.shape}"
        )
    return float(np.mean(predicted == requested))


# A sample is recognisable when the classifier names its digit with at least this
# confidence and it lies among real digits (below). The confidence alone is not enough:
# a softmax classifier trained on digits only is sure of itself on anything, and gives 99%
# of uniform-noise images a confidence >= 0.9. The gate asks that the sample be inside
# the reals' k-NN manifold on the stroke features (precision_recall.py), with k = 10
# rather than precision's 3 so that it turns away only images unlike every digit: 98% of
# held-out real digits pass it, uniform noise never does.
RECOGNISABLE_CONFIDENCE = 0.9
RECOGNISABLE_K = 10


def recognisable_share_from_outputs(probabilities, inside_real_digits) -> float:
    """Share of samples with top class probability >= 0.9 that are inside the real manifold."""
    p = np.asarray(probabilities, dtype=np.float64)
    inside = np.asarray(inside_real_digits, dtype=bool)
    if p.ndim != 2 or len(p) == 0 or inside.shape != (len(p),):
        raise ValueError("probabilities must be (N, classes) and inside_real_digits (N,) booleans")
    return float(np.mean((p.max(axis=1) >= RECOGNISABLE_CONFIDENCE) & inside))


def recognisable_share(images, *, real) -> float:
    """Share of uint8 images the classifier names confidently and that look like real digits."""
    _, real_strokes, _ = classifier.all_outputs(real)
    _, strokes, probabilities = classifier.all_outputs(images)
    inside = inside_real_manifold(real_strokes, strokes, k=RECOGNISABLE_K)
    return recognisable_share_from_outputs(probabilities, inside)


def _conditional_scores(predicted, labels, real_strokes, real_labels, strokes, k: int) -> dict:
    """Requested-digit accuracy and per-class recall (collapse inside a class shows here)."""
    labels = np.asarray(labels)
    if labels.shape != predicted.shape or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be {len(predicted)} integers, got shape {labels.shape}")
    if real_labels is None:
        raise ValueError("per-class recall needs real_labels, the digit of each real image")
    per_class = per_class_recall_from_features(real_strokes, real_labels, strokes, labels, k=k)
    return {
        "conditional_accuracy": float(np.mean(predicted == labels)),
        "per_class_recall_mean": float(per_class.mean()),
        "per_class_recall_min": float(per_class.min()),
    }


def evaluate_samples(
    samples, *, real, train=None, held_out=None, k: int = 3, labels=None, real_labels=None
) -> dict:
    """One table row for uint8 samples against uint8 real images (classifier run once per set).

    Keys: n, fid, kid_raw, kid_raw_se, classifier_score, recognisable_share, precision,
    recall, min_class_share, kl_to_uniform, memorisation (NaN unless both `train` and
    `held_out` are given). With `labels` (the digit each sample was asked for) and
    `real_labels` (the digit of each real image) also conditional_accuracy,
    per_class_recall_mean and per_class_recall_min.
    """
    from gan_course.evaluation.memorisation import memorisation

    real_features, real_strokes, _ = classifier.all_outputs(real)
    fake_features, fake_strokes, probabilities = classifier.all_outputs(samples)
    kid_mean, kid_se = kid_from_features(real_features, fake_features)
    precision, recall = precision_recall_from_features(real_strokes, fake_strokes, k=k)
    inside = inside_real_manifold(real_strokes, fake_strokes, k=RECOGNISABLE_K)
    predicted = np.argmax(probabilities, axis=1)
    balance = class_balance_from_labels(predicted)
    ratio = math.nan
    if train is not None and held_out is not None:
        ratio = memorisation(samples, train, held_out).ratio
    row = {
        "n": len(fake_features),
        "fid": fid_from_features(real_features, fake_features),
        "kid_raw": kid_mean,
        "kid_raw_se": kid_se,
        "classifier_score": score_from_probabilities(probabilities),
        "recognisable_share": recognisable_share_from_outputs(probabilities, inside),
        "precision": precision,
        "recall": recall,
        "min_class_share": balance["min_share"],
        "kl_to_uniform": balance["kl_to_uniform"],
        "memorisation": ratio,
    }
    if labels is not None:
        row.update(
            _conditional_scores(predicted, labels, real_strokes, real_labels, fake_strokes, k)
        )
    return row
