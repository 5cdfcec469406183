"""CycleGAN: builder shapes, losses by hand, disjoint domains, one train step, CLI train."""

import json

import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli, losses
from gan_course.data import load_dataset, scale_images
from gan_course.models.cyclegan import (
    CycleGANConfig,
    build_cyclegan_discriminator,
    build_cyclegan_generator,
    build_cyclegan_setup,
)
from gan_course.models.cyclegan_domains import domain_b_mask, split_domains, thicken
from gan_course.models.cyclegan_step import domain_mean
from gan_course.training.settings import RunSettings

TINY = {"generator_filters": (8, 16), "residual_blocks": 1, "discriminator_filters": (8, 16)}


def test_builder_shapes_and_ranges():
    generator = build_cyclegan_generator(filters=(8, 16), residual_blocks=2)
    discriminator = build_cyclegan_discriminator(filters=(8, 16))
    images = tf.random.uniform((3, 28, 28, 1), -1.0, 1.0)
    translated = generator(images, training=False)
    assert translated.shape == (3, 28, 28, 1)
    assert float(tf.reduce_max(tf.abs(translated))) <= 1.0  # tanh output range
    assert discriminator(translated, training=False).shape == (3, 7, 7, 1)  # one score per patch


def test_config_validation():
    with pytest.raises(ValueError, match="batch_size must be >= 16"):  # a run setting now
        build_cyclegan_setup(CycleGANConfig(**TINY), settings=RunSettings(batch_size=8))
    with pytest.raises(ValueError, match="cycle_weight"):
        CycleGANConfig(cycle_weight=-1.0)
    with pytest.raises(ValueError, match="two generator"):
        CycleGANConfig(generator_filters=(8,))


def test_cycle_loss_is_zero_for_identity_maps_and_hand_computed_otherwise():
    real_a = tf.constant([[0.5, -1.0], [1.0, 0.0]])
    real_b = tf.constant([[-0.5, 0.25], [0.0, 1.0]])

    def cycle(forward, backward):
        return losses.mean_absolute_error(
            real_a, backward(forward(real_a))
        ) + losses.mean_absolute_error(real_b, forward(backward(real_b)))

    identity = lambda x: x  # noqa: E731
    assert float(cycle(identity, identity)) == 0.0
    # forward adds 0.5, backward leaves it: |0.5| on every pixel of a, and of b.
    shifted = float(cycle(lambda x: x + 0.5, identity))
    assert shifted == pytest.approx(0.5 + 0.5)


def test_least_squares_losses_by_hand():
    real, fake = tf.constant([1.0, 0.0]), tf.constant([0.0, 2.0])
    # D: mean((1-1)^2, (0-1)^2) + mean(0^2, 2^2) = 0.5 + 2.0
    assert float(losses.least_squares_discriminator_loss(real, fake)) == pytest.approx(2.5)
    # G: mean((0-1)^2, (2-1)^2) = 1.0
    assert float(losses.least_squares_generator_loss(fake)) == pytest.approx(1.0)


def test_domain_mean_on_one_device_is_the_plain_mean_and_zero_for_an_empty_domain():
    values = tf.constant([[[1.0], [2.0]], [[3.0], [6.0]]])  # (2 images, 2, 1)
    assert float(domain_mean(values, tf.constant(2.0))) == pytest.approx(3.0)
    # A replica's share of a domain of 4 images in the global batch: sum / 4 elements each.
    assert float(domain_mean(values, tf.constant(4.0))) == pytest.approx(12.0 / 8)
    assert float(domain_mean(tf.zeros((0, 2, 1)), tf.constant(0.0))) == 0.0


def test_thicken_grows_a_stroke_by_one_pixel_per_side():
    image = -np.ones((1, 5, 5, 1), np.float32)
    image[0, 2, 2, 0] = 1.0
    thick = thicken(image, 3).numpy()[0, :, :, 0]
    expected = -np.ones((5, 5), np.float32)
    expected[1:4, 1:4] = 1.0
    np.testing.assert_array_equal(thick, expected)


def test_domains_are_disjoint_halves_and_the_same_for_uint8_and_scaled_images():
    images, labels = load_dataset("mnist_5k")
    in_b = domain_b_mask(images).numpy()
    np.testing.assert_array_equal(in_b, domain_b_mask(scale_images(images, "gan")).numpy())
    assert 0.45 < in_b.mean() < 0.55  # about half each
    for digit in range(10):  # every digit in both domains
        assert 0.4 < in_b[labels == digit].mean() < 0.6
    flat = images.reshape(len(images), -1)
    a_set = {row.tobytes() for row in flat[~in_b]}
    assert not any(row.tobytes() in a_set for row in flat[in_b])  # no digit in both domains
    real_a, real_b = split_domains(scale_images(images[:64], "gan"))
    assert real_a.shape[0] + real_b.shape[0] == 64
    assert real_b.shape[0] == int(in_b[:64].sum())


def one_device_losses(models, images):
    """The step's loss terms from the losses module's plain means, before any update."""
    real_a, real_b = split_domains(images)
    fake_b = models["generator_ab"](real_a, training=True)
    fake_a = models["generator_ba"](real_b, training=True)
    return {
        "adversarial": losses.least_squares_generator_loss(models["discriminator_b"](fake_b))
        + losses.least_squares_generator_loss(models["discriminator_a"](fake_a)),
        "cycle": losses.mean_absolute_error(real_a, models["generator_ba"](fake_b))
        + losses.mean_absolute_error(real_b, models["generator_ab"](fake_a)),
        "d_a_loss": 0.5
        * losses.least_squares_discriminator_loss(
            models["discriminator_a"](real_a), models["discriminator_a"](fake_a)
        ),
    }


def test_one_train_step_is_finite_and_changes_all_four_models():
    setup = build_cyclegan_setup(
        CycleGANConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    assert setup.output == "image_pairs" and setup.monitor is None and not setup.generative
    before = {
        name: [w.numpy().copy() for w in model.trainable_weights]
        for name, model in setup.models.items()
    }
    images, _ = load_dataset("mnist_5k")
    batch = scale_images(images[:32], "gan")
    expected = one_device_losses(setup.models, batch)
    outputs = setup.train_step(batch)
    for name, value in expected.items():  # the step's global means are the plain means here
        assert float(outputs[name]) == pytest.approx(float(value), rel=1e-5), name
    for name, value in outputs.items():
        assert value.shape == () and np.isfinite(float(value)), name
    for name, model in setup.models.items():
        changed = [
            not np.allclose(a, w.numpy()) for a, w in zip(before[name], model.trainable_weights)
        ]
        assert any(changed), name
    rows = setup.sample(setup.fixed_inputs)
    assert rows.shape == (36, 28, 28, 1)  # six rows of six: a, G(a), F(G(a)), b, F(b), G(F(b))


def test_cli_train_one_epoch(tmp_path, capsys):
    run = tmp_path / "run"
    arguments = ["train", "cyclegan", "--epochs", "1", "--batch-size", "256", "--out", str(run)]
    settings = ["--set", "generator_filters=8,16", "--set", "residual_blocks=1"]
    assert cli.main(arguments + settings + ["--no-progress"]) == 0
    assert (run / "progress.gif").exists() and (run / "samples" / "epoch_0001.png").exists()
    history = json.loads((run / "history.json").read_text())
    assert history[0]["step"] == 4500 // 256
    assert np.isfinite(history[0]["cycle"])
    assert any((run / "checkpoints").iterdir())
