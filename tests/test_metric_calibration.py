"""The metrics rank sets of known quality correctly (a few hundred mnist_5k images each).

The full table is benchmarks/calibrate_metrics.py; these are its claims that a broken
feature choice or gate would break first: noise is not precise, a repeated image covers
nothing, noise is not recognisable, and collapse inside a class shows in per-class recall.
"""

from __future__ import annotations

import numpy as np
import pytest

from gan_course.data import load_dataset
from gan_course.evaluation import classifier, metrics
from gan_course.evaluation.precision_recall import (
    per_class_recall_from_features,
    precision_recall_from_features,
)


@pytest.fixture(scope="module")
def outputs():
    """Set name -> (features, stroke features, probabilities, labels)."""
    train_images, train_labels = load_dataset("mnist_5k", split="train")
    test_images, test_labels = load_dataset("mnist_5k", split="test")
    firsts = [int(np.flatnonzero(test_labels == digit)[0]) for digit in range(10)]
    pick = np.random.default_rng(1).permutation(len(test_images))[:300]  # the split is sorted
    sets = {
        "reference": (train_images[::5], train_labels[::5]),  # 900 real digits
        "held_out": (test_images[pick], test_labels[pick]),
        "noise": (
            np.random.default_rng(0).integers(0, 256, (300, 28, 28), dtype=np.uint8),
            test_labels[pick],
        ),
        "one_image": (np.repeat(test_images[:1], 300, axis=0), np.repeat(test_labels[:1], 300)),
        "one_per_class": (
            np.repeat(test_images[firsts], 30, axis=0),
            np.repeat(test_labels[firsts], 30),
        ),
    }
    return {name: (*classifier.all_outputs(x), y) for name, (x, y) in sets.items()}


def test_stroke_features_are_512_nonnegative_values(outputs):
    strokes = outputs["held_out"][1]
    assert strokes.shape == (300, classifier.STROKE_DIM) and strokes.min() >= 0.0


def test_precision_is_near_zero_for_noise_and_high_for_real_digits(outputs):
    reference = outputs["reference"][1]
    real_precision, real_recall = precision_recall_from_features(reference, outputs["held_out"][1])
    noise_precision, noise_recall = precision_recall_from_features(reference, outputs["noise"][1])
    assert real_precision > 0.6 and real_recall > 0.6
    assert noise_precision < 0.1 and noise_recall < 0.1


def test_the_penultimate_features_would_let_noise_in(outputs):
    # Why precision moved to the stroke features: on the FID features noise looks precise.
    noise_precision, _ = precision_recall_from_features(
        outputs["reference"][0], outputs["noise"][0]
    )
    assert noise_precision > 0.5


def test_one_repeated_image_has_high_precision_and_no_recall(outputs):
    precision, recall = precision_recall_from_features(
        outputs["reference"][1], outputs["one_image"][1]
    )
    assert recall < 0.1
    assert precision in (0.0, 1.0)  # every copy is inside the real manifold, or none is


def _recognisable(outputs, name: str) -> float:
    inside = metrics.inside_real_manifold(
        outputs["reference"][1], outputs[name][1], k=metrics.RECOGNISABLE_K
    )
    return metrics.recognisable_share_from_outputs(outputs[name][2], inside)


def test_recognisable_share_is_high_for_real_digits_and_near_zero_for_noise(outputs):
    assert _recognisable(outputs, "held_out") > 0.9
    assert _recognisable(outputs, "noise") < 0.1
    # Without the gate the classifier's confidence alone would call noise recognisable.
    assert np.mean(outputs["noise"][2].max(axis=1) >= metrics.RECOGNISABLE_CONFIDENCE) > 0.5


def _per_class(outputs, name: str) -> np.ndarray:
    reference, fakes = outputs["reference"], outputs[name]
    return per_class_recall_from_features(reference[1], reference[3], fakes[1], fakes[3])


def test_per_class_recall_sees_collapse_inside_each_class(outputs):
    collapsed = _per_class(outputs, "one_per_class")
    assert collapsed.shape == (10,) and collapsed.max() < 0.1
    real = _per_class(outputs, "held_out")
    assert real.mean() > 0.6 and real.min() > 0.3
    # Class balance and requested-digit accuracy see nothing wrong with the collapsed set.
    predicted = np.argmax(outputs["one_per_class"][2], axis=1)
    assert np.mean(predicted == outputs["one_per_class"][3]) == 1.0


def test_per_class_recall_of_a_missing_class_is_zero_and_bad_labels_raise(outputs):
    reference, real = outputs["reference"], outputs["held_out"]
    keep = real[3] != 4
    recalls = per_class_recall_from_features(
        reference[1], reference[3], real[1][keep], real[3][keep]
    )
    assert recalls[4] == 0.0 and recalls[3] > 0.3
    with pytest.raises(ValueError, match="integers"):
        per_class_recall_from_features(reference[1], reference[3], real[1], real[3][:-1])
    with pytest.raises(ValueError, match="no images of class"):
        per_class_recall_from_features(reference[1][:50], np.zeros(50, int), real[1], real[3])


def test_evaluate_file_with_labels_reports_the_conditional_scores(tmp_path):
    from gan_course.evaluation.score_file import evaluate_file

    images, labels = load_dataset("mnist_5k", split="test")
    np.savez(tmp_path / "real.npz", x=images[::2], y=labels[::2])  # 250, every class
    scores = evaluate_file(tmp_path / "real.npz")
    assert scores["conditional_accuracy"] > 0.95
    assert scores["per_class_recall_mean"] > 0.5 and scores["per_class_recall_min"] > 0.2
    assert scores["recognisable_share"] > 0.9 and "kid_raw" in scores and "kid" not in scores
