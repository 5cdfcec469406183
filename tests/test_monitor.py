"""GANMonitor: each flag fires on a synthetic failure and stays quiet on a healthy case."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gan_course.data import load_dataset, scale_images
from gan_course.training.monitor import (
    FLAG_NAMES,
    GANMonitor,
    MonitorThresholds,
    health_flags,
    mean_pairwise_distance,
)

LATENT_DIM = 8
HEALTHY_LOGS = {"epoch": 5, "d_loss": 1.2, "g_loss": 0.9, "d_real": 0.6, "d_fake": 0.35}
HEALTHY_LOGS["g_grad_norm"] = 2.0


@pytest.fixture(scope="module")
def digits():
    return load_dataset("mnist_5k", split="test")


def real_digit_generator(digits):
    """Draws a different real digit per noise row, marked fake by a white top-left pixel."""
    images = np.asarray(scale_images(digits[0], "gan"))

    def generate(noise, training=False):
        # test images are sorted by class: a stride of 5 reaches every class
        order = np.argsort(np.asarray(noise)[:, 0])
        chosen = images[(5 * order) % len(images)].copy()
        chosen[:, 0, 0, :] = 1.0
        return chosen

    return generate


def one_digit_generator(digits):
    image = np.asarray(scale_images(digits[0][:1], "gan"))

    def generate(noise, training=False):
        return np.repeat(image, len(noise), axis=0)

    return generate


def corner_discriminator(images, training=False):
    """Real MNIST corners are black (-1): logit +5; the generators above paint them white."""
    return -5.0 * np.asarray(images)[:, 0, 0, :]


def monitor_for(generator, digits, **kwargs):
    return GANMonitor(
        generator,
        corner_discriminator,
        digits[0],
        latent_dim=LATENT_DIM,
        evaluation_size=100,
        verbose=False,
        **kwargs,
    )


def test_healthy_case_raises_no_flag_and_records_measurements(digits):
    logs = dict(HEALTHY_LOGS)
    monitor_for(real_digit_generator(digits), digits).on_epoch_end(5, logs)
    assert logs["flags"] == []
    assert logs["d_accuracy_real"] == 1.0 and logs["d_accuracy_fake"] == 1.0
    assert 0.7 < logs["sample_diversity"] < 1.3  # real digits against real digits
    json.dumps(logs)  # everything added can go into history.json


def test_mode_collapse_fires_for_one_repeated_digit_after_warm_up(digits):
    monitor = monitor_for(one_digit_generator(digits), digits)
    logs = dict(HEALTHY_LOGS)
    monitor.on_epoch_end(5, logs)
    assert logs["flags"] == ["mode_collapse"]
    assert logs["sample_diversity"] < 0.01
    early = dict(HEALTHY_LOGS, epoch=1)
    monitor.on_epoch_end(1, early)
    assert early["flags"] == []  # untrained generators also draw one image


def test_discriminator_accuracy_counts_mistakes(digits):
    logs = dict(HEALTHY_LOGS)
    always_real = GANMonitor(
        real_digit_generator(digits),
        lambda images, training=False: np.ones((len(images), 1)),
        digits[0],
        latent_dim=LATENT_DIM,
        evaluation_size=50,
        verbose=False,
    )
    always_real.on_epoch_end(5, logs)
    assert logs["d_accuracy_real"] == 1.0 and logs["d_accuracy_fake"] == 0.0


@pytest.mark.parametrize(
    "changes, flag",
    [
        ({"d_real": 0.9, "d_fake": 0.01}, "discriminator_overpowering"),
        ({"g_grad_norm": 1e-7}, "vanishing_generator_gradients"),
        ({"g_loss": float("nan")}, "non_finite_loss"),
        ({"d_loss": float("inf")}, "non_finite_loss"),
        ({"sample_diversity": 0.05}, "mode_collapse"),
    ],
)
def test_each_flag_fires_alone_on_its_synthetic_case(changes, flag):
    assert health_flags(HEALTHY_LOGS) == []
    assert health_flags({**HEALTHY_LOGS, "sample_diversity": 0.9}) == []
    assert health_flags({**HEALTHY_LOGS, "sample_diversity": 0.9, **changes}) == [flag]


def test_flags_are_skipped_when_a_step_does_not_report_the_value():
    assert health_flags({"epoch": 5, "d_loss": -3.0, "g_loss": 2.0}) == []  # e.g. a WGAN critic


def test_non_finite_samples_fire_non_finite_loss(digits):
    def nan_generator(noise, training=False):
        return np.full((len(noise), 28, 28, 1), np.nan, np.float32)

    logs = dict(HEALTHY_LOGS)
    monitor_for(nan_generator, digits).on_epoch_end(5, logs)
    assert logs["flags"] == ["non_finite_loss"]


def test_conditional_models_get_noise_with_labels(digits):
    seen = {}
    generate = real_digit_generator(digits)

    def conditional_generator(inputs, training=False):
        noise, labels = inputs
        seen["labels"] = np.asarray(labels)
        return generate(noise)

    def conditional_discriminator(inputs, training=False):
        images, labels = inputs
        assert len(labels) == len(images)
        return corner_discriminator(images)

    logs = dict(HEALTHY_LOGS)
    monitor = GANMonitor(
        conditional_generator,
        conditional_discriminator,
        digits[0],
        real_labels=digits[1],
        latent_dim=LATENT_DIM,
        evaluation_size=30,
        verbose=False,
    )
    monitor.on_epoch_end(5, logs)
    np.testing.assert_array_equal(seen["labels"], np.arange(30) % 10)
    assert logs["flags"] == []


def test_mean_pairwise_distance_by_hand():
    points = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 4.0]])  # distances 5, 4, 3
    assert mean_pairwise_distance(points) == pytest.approx(4.0)


def test_bad_arguments_raise(digits):
    with pytest.raises(ValueError):
        GANMonitor(corner_discriminator, corner_discriminator, digits[0] / 255.0, latent_dim=2)
    with pytest.raises(ValueError):
        GANMonitor(
            corner_discriminator, corner_discriminator, digits[0], latent_dim=2, evaluation_size=1
        )
    with pytest.raises(ValueError):
        MonitorThresholds(min_sample_diversity=-1.0)


def test_monitor_writes_into_fit_history(tmp_path, digits):
    import keras
    import tensorflow as tf

    from gan_course.data import make_dataset
    from gan_course.training import fit
    from gan_course.training.gan_steps import make_gan_train_step

    noise = keras.Input((LATENT_DIM,))
    generator = keras.Model(
        noise, keras.layers.Reshape((28, 28, 1))(keras.layers.Dense(784, activation="tanh")(noise))
    )
    images = keras.Input((28, 28, 1))
    discriminator = keras.Model(images, keras.layers.Dense(1)(keras.layers.Flatten()(images)))
    step = make_gan_train_step(
        generator,
        discriminator,
        keras.optimizers.Adam(1e-3),
        keras.optimizers.Adam(1e-3),
        latent_dim=LATENT_DIM,
        rng=tf.random.Generator.from_seed(0),
    )
    monitor = GANMonitor(generator, discriminator, digits[0], latent_dim=LATENT_DIM, verbose=False)
    history = fit(
        step,
        make_dataset(digits[0][:128], batch_size=64, seed=0),
        epochs=1,
        history_path=tmp_path / "history.json",
        callbacks=[monitor],
        progress=False,
        verbose=False,
    )
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved[-1]["flags"] == history[-1]["flags"]
    assert set(saved[-1]["flags"]) <= set(FLAG_NAMES)
    for key in ("d_accuracy_real", "d_accuracy_fake", "sample_diversity", "d_real", "g_grad_norm"):
        assert np.isfinite(saved[-1][key]), key
