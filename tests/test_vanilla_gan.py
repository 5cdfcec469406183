"""Vanilla (MLP) GAN: builders, config, the shared step as wired by the setup, losses, CLI."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from gan_course import losses
from gan_course.models.vanilla_gan import (
    RUN_DEFAULTS,
    VanillaGANConfig,
    build_vanilla_gan_discriminator,
    build_vanilla_gan_generator,
    build_vanilla_gan_setup,
)
from gan_course.training.settings import RunSettings

TINY = VanillaGANConfig(latent_dim=8, generator_widths=(16, 32), discriminator_widths=(32, 16))
TINY_SETTINGS = RunSettings(epochs=1, batch_size=8, jit_compile=False, seed=0)


def dense_params(widths):
    """Parameters of a Dense stack with the given (input, ..., output) sizes."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(widths[:-1], widths[1:]))


def test_generator_shape_range_and_parameter_count():
    generator = build_vanilla_gan_generator(latent_dim=100, image_shape=(28, 28, 1))
    images = generator(np.random.default_rng(0).standard_normal((3, 100)).astype("float32") * 5)
    assert images.shape == (3, 28, 28, 1)
    assert float(tf.reduce_min(images)) >= -1.0 and float(tf.reduce_max(images)) <= 1.0
    # Dense 100->256->512->1024->784, as in the classic Keras tutorial: 1,486,352 weights.
    assert generator.count_params() == dense_params([100, 256, 512, 1024, 784]) == 1_486_352


def test_discriminator_shape_logits_and_parameter_count():
    discriminator = build_vanilla_gan_discriminator(image_shape=(28, 28, 1), dropout=0.3)
    logits = discriminator(tf.ones((3, 28, 28, 1)) * 5.0)
    assert logits.shape == (3, 1)
    assert discriminator.count_params() == dense_params([784, 1024, 512, 256, 1]) == 1_460_225
    assert discriminator.layers[-1].activation.__name__ == "linear"  # logits, no sigmoid
    rates = [layer.rate for layer in discriminator.layers if "dropout" in layer.name]
    assert rates == [0.3, 0.3, 0.3]


def test_builders_follow_image_shape_and_widths():
    generator = build_vanilla_gan_generator(latent_dim=4, image_shape=(8, 6, 3), widths=(5,))
    discriminator = build_vanilla_gan_discriminator(image_shape=(8, 6, 3), widths=(7, 3))
    assert generator(tf.zeros((2, 4))).shape == (2, 8, 6, 3)
    assert discriminator(tf.zeros((2, 8, 6, 3))).shape == (2, 1)
    assert generator.count_params() == dense_params([4, 5, 144])


@pytest.mark.parametrize(
    "change",
    [
        {"real_label": 0.0},
        {"real_label": 1.5},
        {"generator_loss": "hinge"},
        {"discriminator_steps": 0},
        {"dropout": 1.0},
        {"latent_dim": 0},
    ],
)
def test_config_rejects_bad_values(change):
    with pytest.raises(ValueError):
        dataclasses.replace(VanillaGANConfig(), **change)


def test_defaults_match_the_classic_recipe():
    config = VanillaGANConfig()
    assert (config.latent_dim, config.learning_rate, config.beta_1) == (100, 2e-4, 0.5)
    assert (config.real_label, config.discriminator_steps) == (0.9, 1)
    assert config.generator_loss == "nonsaturating"
    assert RUN_DEFAULTS.batch_size == 128  # the tutorial's batch


@pytest.mark.parametrize("jit_compile", [False, True], ids=["tf.function", "xla"])
def test_one_step_with_two_discriminator_steps_updates_both_models(jit_compile):
    config = dataclasses.replace(TINY, discriminator_steps=2)
    settings = dataclasses.replace(TINY_SETTINGS, jit_compile=jit_compile)
    setup = build_vanilla_gan_setup(config, image_shape=(6, 6, 1), settings=settings)
    assert setup.settings.jit_compile is jit_compile
    generator, discriminator = setup.models["generator"], setup.models["discriminator"]
    before_g = [w.numpy().copy() for w in generator.trainable_weights]
    before_d = [w.numpy().copy() for w in discriminator.trainable_weights]
    real = tf.random.stateless_uniform((8, 6, 6, 1), seed=(1, 2), minval=-1.0, maxval=1.0)
    outputs = setup.train_step(real)
    assert all(np.isfinite(float(value)) for value in outputs.values())
    assert all(not np.allclose(b, w.numpy()) for b, w in zip(before_g, generator.trainable_weights))
    assert all(
        not np.allclose(b, w.numpy()) for b, w in zip(before_d, discriminator.trainable_weights)
    )
    # k = 2: two discriminator updates for each generator update.
    assert int(setup.optimizers["discriminator"].iterations) == 2
    assert int(setup.optimizers["generator"].iterations) == 1


def test_dropout_masks_are_drawn_and_checkpointed_with_the_setup():
    from gan_course.models.vanilla_gan import GlobalBatchDropout

    layer = GlobalBatchDropout(0.3, seed=1)
    dropped = layer(tf.ones((2000, 50)), training=True).numpy()
    assert np.mean(dropped == 0.0) == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(dropped[dropped != 0.0], 1.0 / 0.7, rtol=1e-6)  # kept units scaled
    np.testing.assert_array_equal(layer(tf.ones((3, 5)), training=False), np.ones((3, 5)))
    setup = build_vanilla_gan_setup(TINY, image_shape=(6, 6, 1), settings=TINY_SETTINGS)
    dropouts = [
        layer
        for layer in setup.models["discriminator"].layers
        if isinstance(layer, GlobalBatchDropout)
    ]
    assert len(dropouts) == 2
    assert all(any(state is d.rng for state in setup.trackables().values()) for d in dropouts)


def _constant_logit_setup(logit, **changes):
    """A setup whose discriminator outputs `logit` for every image (zero last kernel)."""
    config = dataclasses.replace(TINY, **changes)
    setup = build_vanilla_gan_setup(config, image_shape=(6, 6, 1), settings=TINY_SETTINGS)
    last = setup.models["discriminator"].layers[-1]
    last.kernel.assign(tf.zeros_like(last.kernel))
    last.bias.assign(tf.fill(last.bias.shape, logit))
    return setup


def test_label_smoothing_reaches_the_discriminator_loss():
    logit = 1.5
    sigmoid = 1.0 / (1.0 + np.exp(-logit))
    real = tf.zeros((8, 6, 6, 1))
    for real_label in (0.9, 1.0):
        d_loss = _constant_logit_setup(logit, real_label=real_label).train_step(real)["d_loss"]
        by_hand = -(real_label * np.log(sigmoid) + (1 - real_label) * np.log(1 - sigmoid)) - np.log(
            1 - sigmoid
        )
        assert float(d_loss) == pytest.approx(by_hand, rel=1e-5)
        shared = losses.discriminator_loss(
            tf.fill((8, 1), logit), tf.fill((8, 1), logit), real_label=real_label
        )
        assert float(d_loss) == pytest.approx(float(shared), rel=1e-6)


def test_discriminator_loss_with_smoothing_by_hand():
    real_logits = tf.constant([[2.0], [-1.0]])
    fake_logits = tf.constant([[0.5], [-3.0]])
    sig = lambda x: 1.0 / (1.0 + np.exp(-np.array(x)))  # noqa: E731
    real_part = -(0.9 * np.log(sig([2.0, -1.0])) + 0.1 * np.log(1 - sig([2.0, -1.0]))).mean()
    fake_part = -np.log(1 - sig([0.5, -3.0])).mean()
    value = losses.discriminator_loss(real_logits, fake_logits, real_label=0.9)
    assert float(value) == pytest.approx(real_part + fake_part, rel=1e-6)


def _gradient_wrt_logit(loss_fn, logit):
    logits = tf.Variable([[logit]])
    with tf.GradientTape() as tape:
        loss = loss_fn(logits)
    return float(tape.gradient(loss, logits)[0, 0])


def test_minimax_generator_loss_saturates_where_nonsaturating_does_not():
    # D(G(z)) = sigmoid(-10) ~ 4.5e-5: the discriminator confidently rejects the fakes.
    minimax = _gradient_wrt_logit(losses.generator_loss_minimax, -10.0)
    nonsaturating = _gradient_wrt_logit(losses.generator_loss_nonsaturating, -10.0)
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l);  d/dl -log sigmoid(l) = -(1 - sigmoid(l)).
    assert minimax == pytest.approx(-1.0 / (1.0 + np.exp(10.0)), rel=1e-4)
    assert nonsaturating == pytest.approx(-1.0 / (1.0 + np.exp(-10.0)), rel=1e-4)
    assert abs(minimax) < 1e-4 and abs(nonsaturating) > 0.99
    # At D(G(z)) = 0.5 (logit 0) both push equally hard.
    assert _gradient_wrt_logit(losses.generator_loss_minimax, 0.0) == pytest.approx(-0.5)
    assert _gradient_wrt_logit(losses.generator_loss_nonsaturating, 0.0) == pytest.approx(-0.5)


def test_setup_uses_the_configured_generator_loss():
    real = tf.zeros((8, 6, 6, 1))
    logit = -2.0
    for name in ("minimax", "nonsaturating"):
        setup = _constant_logit_setup(logit, generator_loss=name)
        # Freeze D so the G loss below is computed at the same constant logit.
        setup.optimizers["discriminator"].learning_rate.assign(0.0)
        g_loss = float(setup.train_step(real)["g_loss"])
        expected = losses.get_generator_loss(name)(tf.fill((8, 1), logit))
        assert g_loss == pytest.approx(float(expected), rel=1e-5)


def test_cli_train_then_sample(tmp_path):
    from gan_course.cli import main

    run_dir = tmp_path / "run"
    assert main(["train", "gan", "--epochs", "1", "--batch-size", "256", "--out", str(run_dir),
                 "--no-progress"]) == 0  # fmt: skip
    record = json.loads((run_dir / "run.json").read_text())
    assert record["model"] == "gan" and record["settings"]["batch_size"] == 256
    history = json.loads((run_dir / "history.json").read_text())
    assert len(history) == 1 and history[0]["step"] == 4500 // 256
    assert np.isfinite(history[0]["d_loss"]) and 0.0 < history[0]["d_real"] < 1.0
    assert (run_dir / "samples" / "epoch_0001.png").exists()
    assert (run_dir / "progress.gif").exists()
    out_file = tmp_path / "samples.npz"
    assert main(["sample", "--from", str(run_dir), "--n", "10", "--out", str(out_file)]) == 0
    samples = np.load(out_file)["x"]
    assert samples.shape == (10, 28, 28) and samples.dtype == np.uint8
    assert samples.std() > 0  # not a blank image
