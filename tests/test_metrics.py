"""The digit classifier and the sample metrics built on it (each test takes seconds)."""

from __future__ import annotations

import numpy as np
import pytest

from gan_course import classifier
from gan_course.data import load_dataset


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
