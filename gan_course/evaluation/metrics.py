"""Numbers for generated digits: FID, KID, classifier score, precision/recall, class balance.

Everything is computed on the course's own digit classifier (gan_course.evaluation.classifier), not
on ImageNet Inception, so the values compare runs within this course only. Image inputs
are uint8 (N, 28, 28) or (N, 28, 28, 1), as `gan-course sample` writes them; the
`*_from_features` variants take float feature arrays (N, D) and are what the tests use.

    from gan_course.evaluation.metrics import evaluate_samples
    row = evaluate_samples(samples, real=train_images, train=train_images, held_out=test_images)

Calibration (benchmarks/calibrate_metrics.py, 2026-11-23, 2-core AMD EPYC, TF 2.21;
reference = the 4,500 mnist_5k training images; details in benchmarks/README.md):

    set (n = 500 unless shown)       FID       KID (SE)  score  prec  recall  min share     KL  memo
    held-out real digits             6.3   -0.02 (0.10)   9.51  0.87    0.87      0.096  0.000  1.00
    copies of training digits        2.5   -0.21 (0.05)   9.69  1.00    0.91      0.098  0.000  0.00
    held-out digits blurred         52.6    5.43 (0.38)   8.73  0.97    0.17      0.094  0.001  0.92
    uniform noise                  405.9   16.67 (0.27)   1.01  0.88    0.00      0.000  2.303  2.97
    one held-out digit repeated    622.6   70.49 (0.63)   1.00  1.00    0.00      0.000  2.303  1.16
    digits 0, 1, 2 only (n = 150)  226.8   15.83 (1.64)   3.31  0.89    0.27      0.000  1.115  1.02

Lower is better for FID, KID and KL to uniform; higher for the classifier score (max 10),
precision, recall and the smallest class share; memorisation near 1 is healthy, near 0
means copies of training digits. Read precision with recall (see precision_recall.py).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from gan_course.evaluation import classifier
from gan_course.evaluation.classifier import check_features
from gan_course.evaluation.precision_recall import (  # re-exported: every metric lives in metrics
    precision_recall as precision_recall,
)
from gan_course.evaluation.precision_recall import precision_recall_from_features

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


def evaluate_samples(samples, *, real, train=None, held_out=None, k: int = 3) -> dict:
    """One table row for uint8 samples against uint8 real images (classifier run once per set).

    Keys: n, fid, kid, kid_se, classifier_score, precision, recall, min_class_share,
    kl_to_uniform, memorisation (NaN unless both `train` and `held_out` are given).
    """
    from gan_course.evaluation.memorisation import memorisation

    real_features = classifier.digit_features(real)
    fake_features, probabilities = classifier.features_and_probabilities(samples)
    kid_mean, kid_se = kid_from_features(real_features, fake_features)
    precision, recall = precision_recall_from_features(real_features, fake_features, k=k)
    balance = class_balance_from_labels(np.argmax(probabilities, axis=1))
    ratio = math.nan
    if train is not None and held_out is not None:
        ratio = memorisation(samples, train, held_out).ratio
    return {
        "n": len(fake_features),
        "fid": fid_from_features(real_features, fake_features),
        "kid": kid_mean,
        "kid_se": kid_se,
        "classifier_score": score_from_probabilities(probabilities),
        "precision": precision,
        "recall": recall,
        "min_class_share": balance["min_share"],
        "kl_to_uniform": balance["kl_to_uniform"],
        "memorisation": ratio,
    }
