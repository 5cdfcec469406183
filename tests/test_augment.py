"""DiffAugment translation and cutout, and the generator weight average."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course.models.augment import cutout, make_augment, translate
from gan_course.training.weight_average import WeightAverage


def one_pixel_images(count=32, size=16):
    images = -np.ones((count, size, size, 1), np.float32)
    images[:, size // 2, size // 2, 0] = 1.0  # one bright pixel in the middle
    return tf.constant(images)


def test_translation_moves_content_by_at_most_the_padding():
    rng = tf.random.Generator.from_seed(0)
    shifted = translate(one_pixel_images(), rng, fraction=0.125).numpy()  # pad = 2 pixels
    assert shifted.shape == (32, 16, 16, 1)
    offsets = set()
    for image in shifted[..., 0]:
        rows, columns = np.nonzero(image == 1.0)
        assert len(rows) == 1  # moved, not duplicated or lost
        offsets.add((rows[0] - 8, columns[0] - 8))
        assert set(np.unique(image)) == {-1.0, 1.0}  # uncovered pixels take the fill
    assert all(abs(dy) <= 2 and abs(dx) <= 2 for dy, dx in offsets)
    assert len(offsets) > 5  # per-image shifts, not one shift for the batch


def test_cutout_erases_one_square_and_passes_gradients_elsewhere():
    rng = tf.random.Generator.from_seed(1)
    images = tf.ones((16, 16, 16, 1))
    with tf.GradientTape() as tape:
        tape.watch(images)
        erased = cutout(images, rng, fraction=0.5, fill=-1.0)
        total = tf.reduce_sum(erased)
    erased = erased.numpy()[..., 0]
    gradient = tape.gradient(total, images).numpy()[..., 0]
    for image, grad in zip(erased, gradient, strict=True):
        rows, columns = np.nonzero(image == -1.0)
        assert 0 < len(rows) <= 64  # at most the 8 x 8 square, clipped at the border
        box = (rows.max() - rows.min() + 1) * (columns.max() - columns.min() + 1)
        assert box == len(rows)  # a filled rectangle, not scattered pixels
        np.testing.assert_array_equal(grad, (image != -1.0).astype(np.float32))


def test_translation_is_differentiable():
    rng = tf.random.Generator.from_seed(2)
    images = tf.random.uniform((4, 28, 28, 1))
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = tf.reduce_sum(translate(images, rng) ** 2)
    assert float(tf.reduce_sum(tf.abs(tape.gradient(loss, images)))) > 0


def test_make_augment_validates_and_can_be_off():
    rng = tf.random.Generator.from_seed(0)
    assert make_augment(rng, translation=0, cutout_fraction=0) is None
    with pytest.raises(ValueError, match="translation"):
        make_augment(rng, translation=0.6)
    with pytest.raises(ValueError, match="cutout"):
        make_augment(rng, cutout_fraction=1.5)
    augment = make_augment(rng)
    assert augment(one_pixel_images()).shape == (32, 16, 16, 1)


def small_model():
    inputs = keras.Input((3,))
    hidden = keras.layers.BatchNormalization()(keras.layers.Dense(2)(inputs))
    return keras.Model(inputs, hidden)


def test_weight_average_follows_the_formula_with_warm_up():
    model = small_model()
    average = WeightAverage(model, decay=0.9)
    start = [w.numpy().copy() for w in average.average.weights]
    for weight in model.weights:  # BatchNorm moving statistics included
        weight.assign(weight + 1.0)
    average.update()  # first update: decay min(0.9, 1/10) = 0.1
    for before, now, live in zip(start, average.average.weights, model.weights, strict=True):
        np.testing.assert_allclose(now.numpy(), 0.1 * before + 0.9 * live.numpy(), rtol=1e-6)
    assert int(average.updates) == 1
    for _ in range(50):
        average.update()  # with the weights held, the average converges to them
    for now, live in zip(average.average.weights, model.weights, strict=True):
        np.testing.assert_allclose(now.numpy(), live.numpy(), atol=1e-2)


def test_weight_average_updates_inside_tf_function():
    model = small_model()
    average = WeightAverage(model, decay=0.5)
    update = tf.function(average.update)
    model.weights[0].assign(model.weights[0] + 2.0)
    update()
    update()
    assert int(average.updates) == 2
    assert not np.allclose(average.average.weights[0].numpy(), model.weights[0].numpy() - 2.0)


def test_weight_average_rejects_bad_decay():
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(small_model(), decay=1.0)
