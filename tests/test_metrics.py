"""The digit classifier and the sample metrics built on it (each test takes seconds)."""

from __future__ import annotations

import numpy as np
import pytest

from gan_course.data import load_dataset
from gan_course.evaluation import classifier, metrics
from gan_course.evaluation.memorisation import memorisation


@pytest.fixture(scope="module")
def held_out():
    return load_dataset("mnist_5k", split="test")


def test_committed_classifier_is_accurate_on_held_out_digits(held_out):
    images, labels = held_out
    accuracy = np.mean(classifier.predict_digits(images) == labels)
    assert accuracy >= 0.95, f"held-out accuracy {accuracy:.1%}"


def test_features_are_float64_128d_for_both_accepted_shapes(held_out):
    images = held_out[0][:7]
    with_channel = classifier.digit_features(images)
    without_channel = classifier.digit_features(images[..., 0])
    assert with_channel.shape == (7, classifier.FEATURE_DIM)
    assert with_channel.dtype == np.float64
    np.testing.assert_allclose(with_channel, without_channel)


def test_batched_extraction_matches_one_batch(held_out):
    images = held_out[0][:50]
    np.testing.assert_allclose(
        classifier.digit_features(images, batch_size=7),
        classifier.digit_features(images, batch_size=50),
        rtol=1e-5,
        atol=1e-5,
    )


def test_classifier_model_outputs_logits_and_names_feature_layer():
    model = classifier.build_digit_classifier()
    assert model.output.shape == (None, 10)
    assert model.get_layer(classifier.FEATURE_LAYER).output.shape == (None, 128)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 28, 28), np.float32),  # float, not uint8
        np.full((4, 28, 28), np.nan),  # NaN
        np.zeros((4, 32, 32), np.uint8),  # wrong size
        np.zeros((4, 28, 28, 3), np.uint8),  # colour
        np.zeros((28, 28), np.uint8),  # a single image without a batch axis
        np.zeros((0, 28, 28), np.uint8),  # empty
    ],
)
def test_bad_images_raise_value_error(bad):
    with pytest.raises(ValueError):
        classifier.predict_digits(bad)
    with pytest.raises(ValueError):
        classifier.digit_features(bad)


# --- Frechet distance -------------------------------------------------------------------


def test_frechet_distance_matches_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    # = 1 + 6.25 + (1 + 9 - 6) + (4 + 1 - 4) + 0 = 12.25
    assert expected == pytest.approx(12.25)
    assert metrics.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected)


def test_frechet_distance_of_rotated_full_covariances_matches_closed_form():
    # Rotating both Gaussians by the same orthogonal matrix changes nothing.
    rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(4, 4)))
    s1, s2 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([4.0, 3.0, 2.0, 1.0])
    sigma1, sigma2 = rotation @ np.diag(s1) @ rotation.T, rotation @ np.diag(s2) @ rotation.T
    expected = np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert metrics.frechet_distance(np.zeros(4), sigma1, np.zeros(4), sigma2) == pytest.approx(
        expected
    )


def test_fid_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(1).normal(size=(300, 16))
    assert abs(metrics.fid_from_features(features, features)) < 1e-6


def test_singular_covariance_retries_with_eps(monkeypatch):
    calls = []
    real_square_root = metrics._square_root

    def square_root_failing_once(matrix):
        calls.append(matrix)
        return np.full_like(matrix, np.inf) if len(calls) == 1 else real_square_root(matrix)

    monkeypatch.setattr(metrics, "_square_root", square_root_failing_once)
    sigma = np.diag([1.0, 0.0])  # singular
    with pytest.warns(RuntimeWarning, match="eps|I to both"):
        distance = metrics.frechet_distance(np.zeros(2), sigma, np.ones(2), sigma, eps=1e-6)
    assert len(calls) == 2
    np.testing.assert_allclose(calls[1], (sigma + 1e-6 * np.eye(2)) @ (sigma + 1e-6 * np.eye(2)))
    assert distance == pytest.approx(2.0, abs=1e-4)  # ||mu1 - mu2||^2, equal covariances


def test_zero_covariances_give_the_squared_mean_distance():
    zero = np.zeros((3, 3))
    distance = metrics.frechet_distance(np.zeros(3), zero, np.array([3.0, 4.0, 0.0]), zero)
    assert distance == pytest.approx(25.0)


def test_large_imaginary_part_raises():
    not_a_covariance = np.diag([-1.0, 1.0])  # sqrt(-1) = i
    with pytest.raises(ValueError, match="imaginary"):
        metrics.frechet_distance(np.zeros(2), not_a_covariance, np.zeros(2), np.eye(2))


def test_mismatched_shapes_raise():
    with pytest.raises(ValueError, match="shapes"):
        metrics.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


# --- KID --------------------------------------------------------------------------------


def test_kid_is_near_zero_for_one_distribution_and_positive_when_shifted():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
    same, same_se = metrics.kid_from_features(a, b, subset_size=100, subsets=10)
    assert abs(same) < 4 * same_se
    shifted, shifted_se = metrics.kid_from_features(a, b + 1.0, subset_size=100, subsets=10)
    assert shifted > 10 * shifted_se
    assert shifted > 20 * abs(same)


def test_kid_is_unbiased():
    # The biased (V-statistic) estimate would average about +2 * (E k(x,x) - E k(x,y)) / n > 0.
    rng = np.random.default_rng(3)
    estimates = [
        metrics.kid_from_features(
            rng.normal(size=(40, 4)), rng.normal(size=(40, 4)), subset_size=20, subsets=2
        )[0]
        for _ in range(300)
    ]
    mean, standard_error = np.mean(estimates), np.std(estimates) / np.sqrt(len(estimates))
    assert abs(mean) < 3 * standard_error
    x = rng.normal(size=(4000, 4))
    kernel_gap = (
        np.mean((np.sum(x * x, axis=1) / 4 + 1) ** 3) - 1.0
    )  # E k(x,x) - E k(x,y) ~ E k(x,x)-1
    assert 2 * kernel_gap / 40 > 10 * standard_error  # the check could see a biased estimator


def test_kid_uses_unequal_set_sizes_fully():
    rng = np.random.default_rng(4)
    value, se = metrics.kid_from_features(
        rng.normal(size=(500, 8)), rng.normal(size=(50, 8)) + 2.0, subsets=5
    )
    assert value > 5 * se > 0


# --- precision / recall -----------------------------------------------------------------


def test_precision_and_recall_are_one_for_identical_sets():
    features = np.random.default_rng(5).normal(size=(200, 8))
    assert metrics.precision_recall_from_features(features, features) == (1.0, 1.0)


def test_precision_and_recall_are_zero_for_far_apart_sets():
    rng = np.random.default_rng(6)
    real, fake = rng.normal(size=(200, 8)), rng.normal(size=(200, 8)) + 100.0
    assert metrics.precision_recall_from_features(real, fake) == (0.0, 0.0)


def test_collapsed_fakes_have_high_precision_and_low_recall():
    rng = np.random.default_rng(7)
    real = rng.normal(size=(500, 4))
    collapsed = real[np.argsort(np.linalg.norm(real, axis=1))[:50]]  # only the central mode
    precision, recall = metrics.precision_recall_from_features(real, collapsed)
    assert precision == 1.0
    assert recall < 0.5


# --- classifier score, class balance, conditional accuracy --------------------------------


def test_score_is_number_of_classes_for_sure_balanced_predictions_and_one_for_a_single_class():
    sure = np.eye(10)[np.arange(100) % 10]
    assert metrics.score_from_probabilities(sure) == pytest.approx(10.0)
    assert metrics.score_from_probabilities(np.full((20, 10), 0.1)) == pytest.approx(1.0)
    assert metrics.score_from_probabilities(np.eye(10)[np.zeros(30, int)]) == pytest.approx(1.0)


def test_class_balance_on_hand_made_labels():
    labels = np.array([0, 0, 1, 1] + [2] * 4 + [3] * 2)  # shares 0.2, 0.2, 0.4, 0.2, rest 0
    balance = metrics.class_balance_from_labels(labels)
    np.testing.assert_allclose(balance["shares"], [0.2, 0.2, 0.4, 0.2] + [0.0] * 6)
    assert balance["min_share"] == 0.0
    expected_kl = 3 * 0.2 * np.log(0.2 * 10) + 0.4 * np.log(0.4 * 10)
    assert balance["kl_to_uniform"] == pytest.approx(expected_kl)
    uniform = metrics.class_balance_from_labels(np.arange(50) % 10)
    assert uniform["kl_to_uniform"] == pytest.approx(0.0)
    assert metrics.class_balance_from_labels(np.full(9, 7))["kl_to_uniform"] == pytest.approx(
        np.log(10)
    )


def test_class_balance_and_conditional_accuracy_on_real_digits(held_out):
    images, labels = held_out
    balance = metrics.class_balance(images)
    assert balance["min_share"] > 0.08 and balance["kl_to_uniform"] < 0.01
    assert metrics.conditional_accuracy(images, labels) >= 0.95
    assert metrics.conditional_accuracy(images, (labels + 1) % 10) < 0.05
    with pytest.raises(ValueError):
        metrics.conditional_accuracy(images, labels[:-1])


def test_class_balance_rejects_bad_labels():
    for bad in (np.array([]), np.array([0, 10]), np.array([-1]), np.array([0.5])):
        with pytest.raises(ValueError):
            metrics.class_balance_from_labels(bad)


# --- memorisation -----------------------------------------------------------------------


def test_memorisation_ratio_is_zero_for_copies_and_one_for_real_held_out_digits(held_out):
    train = load_dataset("mnist_5k", split="train")[0][::5]  # 900 images keep it fast
    test = held_out[0]
    copies = train[[3, 100, 700, 5]]
    report = memorisation(copies, train, test)
    assert report.ratio < 0.01
    np.testing.assert_array_equal(np.sort(report.nearest_train_indices), [3, 5, 100, 700])
    assert report.closest_distances[0] < 1e-2
    real = memorisation(test[::2], train, test[1::2])
    assert 0.8 < real.ratio < 1.25
    assert len(real.closest_sample_indices) == 8
    assert np.all(np.diff(real.closest_distances) >= 0)


# --- image-level wrappers and the table row -----------------------------------------------


def test_evaluate_samples_ranks_real_digits_above_noise(held_out):
    train = load_dataset("mnist_5k", split="train")[0][::5]
    real_row = metrics.evaluate_samples(
        held_out[0][::2], real=train, train=train, held_out=held_out[0][1::2]
    )
    noise = np.random.default_rng(8).integers(0, 256, size=(300, 28, 28), dtype=np.uint8)
    noise_row = metrics.evaluate_samples(noise, real=train)
    assert set(real_row) == {
        "n",
        "fid",
        "kid_raw",
        "kid_raw_se",
        "classifier_score",
        "recognisable_share",
        "precision",
        "recall",
        "min_class_share",
        "kl_to_uniform",
        "memorisation",
    }
    assert real_row["fid"] < 0.1 * noise_row["fid"]
    assert real_row["kid_raw"] < noise_row["kid_raw"] - 10 * noise_row["kid_raw_se"]
    assert real_row["classifier_score"] > 8.0
    assert real_row["precision"] > 0.6 and real_row["recall"] > 0.6
    assert noise_row["precision"] < 0.1 and noise_row["recall"] < 0.1
    assert real_row["recognisable_share"] > 0.9 and noise_row["recognisable_share"] < 0.1
    assert 0.7 < real_row["memorisation"] < 1.4
    assert np.isnan(noise_row["memorisation"])


@pytest.mark.parametrize(
    "function",
    [metrics.fid, metrics.kid, metrics.precision_recall],
)
def test_image_metrics_reject_float_images(function, held_out):
    with pytest.raises(ValueError, match="uint8"):
        function(held_out[0], held_out[0].astype(np.float32))


def test_single_image_metrics_reject_bad_images():
    bad = np.zeros((5, 28, 28), np.float64)
    for function in (metrics.classifier_score, metrics.class_balance):
        with pytest.raises(ValueError):
            function(bad)
    with pytest.raises(ValueError):
        memorisation(bad, np.zeros((5, 28, 28), np.uint8), np.zeros((5, 28, 28), np.uint8))
    with pytest.raises(ValueError):
        metrics.fid_from_features(np.full((5, 3), np.nan), np.zeros((5, 3)))
