"""VAE: builder shapes, the KL and the reparameterisation, one train step, the CLI."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli, losses
from gan_course.models.vae import (
    VAEConfig,
    build_vae_decoder,
    build_vae_encoder,
    build_vae_setup,
    reparameterize,
    vae_loss_terms,
)
from gan_course.training.settings import RunSettings

TINY = {"latent_dim": 2, "hidden_units": (16,), "filters": (4, 8)}


@pytest.mark.parametrize("architecture", ["dense", "conv"])
def test_encoder_gives_mean_and_log_variance_and_decoder_gives_logits(architecture):
    keras.utils.set_random_seed(0)
    encoder = build_vae_encoder(architecture=architecture, **TINY)
    decoder = build_vae_decoder(architecture=architecture, **TINY)
    mean, log_variance = encoder(np.random.default_rng(0).random((5, 28, 28, 1), np.float32))
    assert mean.shape == (5, 2)
    assert log_variance.shape == (5, 2)
    logits = decoder(100.0 * np.random.default_rng(1).standard_normal((5, 2)).astype("float32"))
    assert logits.shape == (5, 28, 28, 1)
    # Logits, not pixels: no sigmoid at the end (the loss applies it stably), so values
    # leave [0, 1] on both sides.
    assert float(tf.reduce_min(logits)) < 0.0 and float(tf.reduce_max(logits)) > 1.0


def test_config_rejects_negative_beta_and_unknown_architecture():
    with pytest.raises(ValueError, match="beta"):
        VAEConfig(beta=-1.0)
    with pytest.raises(ValueError, match="unknown architecture"):
        VAEConfig(architecture="rnn")


def test_gaussian_kl_against_hand_computed_values():
    # mean 1, log-variance 0: 0.5 * (1 + 1 - 1 - 0) = 0.5 per dimension; 3 dimensions.
    assert float(losses.gaussian_kl(tf.ones((2, 3)), tf.zeros((2, 3)))) == pytest.approx(1.5)
    # mean 0, variance 2: 0.5 * (2 - 1 - ln 2) per dimension.
    kl = losses.gaussian_kl(tf.zeros((1, 1)), tf.fill((1, 1), math.log(2.0)))
    assert float(kl) == pytest.approx(0.5 * (1.0 - math.log(2.0)), rel=1e-6)
    assert float(losses.gaussian_kl(tf.zeros((4, 2)), tf.zeros((4, 2)))) == pytest.approx(0.0)


def test_reparameterisation_value_and_gradients_reach_mean_and_log_variance():
    mean = tf.Variable([[1.0, -2.0]])
    log_variance = tf.Variable([[0.0, math.log(4.0)]])
    noise = tf.constant([[0.5, -1.0]])
    with tf.GradientTape() as tape:
        latents = reparameterize(mean, log_variance, noise)
        total = tf.reduce_sum(latents)
    np.testing.assert_allclose(latents.numpy(), [[1.5, -4.0]], rtol=1e-6)  # sigma = 1 and 2
    d_mean, d_log_variance = tape.gradient(total, [mean, log_variance])
    np.testing.assert_allclose(d_mean.numpy(), [[1.0, 1.0]])
    # dz/dlogvar = 0.5 * sigma * eps
    np.testing.assert_allclose(d_log_variance.numpy(), [[0.25, -1.0]], rtol=1e-6)


def test_loss_terms_with_zero_noise_decode_the_mean():
    encoder = build_vae_encoder(architecture="dense", **TINY)
    decoder = build_vae_decoder(architecture="dense", **TINY)
    images = tf.constant(np.random.default_rng(0).random((6, 28, 28, 1), np.float32))
    reconstruction, kl = vae_loss_terms(encoder, decoder, images, tf.zeros((6, 2)))
    mean, log_variance = encoder(images)
    expected = losses.bernoulli_reconstruction_loss(images, decoder(mean))
    assert float(reconstruction) == pytest.approx(float(expected), rel=1e-6)
    assert float(kl) == pytest.approx(float(losses.gaussian_kl(mean, log_variance)), rel=1e-6)


def test_one_step_changes_weights_uses_the_rng_and_weights_the_kl_by_beta():
    config = VAEConfig(architecture="dense", beta=4.0, **TINY)
    setup = build_vae_setup(config, image_shape=(28, 28, 1), settings=RunSettings(seed=0))
    images = tf.constant(np.random.default_rng(0).random((16, 28, 28, 1), np.float32))
    before = [v.numpy().copy() for m in setup.models.values() for v in m.trainable_variables]
    state_before = setup.rng.state.numpy().copy()
    outputs = setup.train_step(images)
    after = [v.numpy() for m in setup.models.values() for v in m.trainable_variables]
    assert set(outputs) == {"loss", "reconstruction", "kl"}
    assert all(np.isfinite(float(value)) for value in outputs.values())
    expected = float(outputs["reconstruction"]) + 4.0 * float(outputs["kl"])
    assert float(outputs["loss"]) == pytest.approx(expected, rel=1e-5)
    assert all(not np.array_equal(b, a) for b, a in zip(before, after))
    assert not np.array_equal(state_before, setup.rng.state.numpy())  # eps came from the rng


def test_setup_samples_from_the_prior_into_unit_range():
    setup = build_vae_setup(VAEConfig(architecture="conv", **TINY), image_shape=(28, 28, 1))
    assert setup.generative is True and setup.scale == "unit" and setup.latent_dim == 2
    assert setup.fixed_inputs.shape == (64, 2)
    samples = np.asarray(setup.sample(setup.fixed_inputs))
    assert samples.shape == (64, 28, 28, 1)
    assert samples.min() >= 0.0 and samples.max() <= 1.0


def test_cli_trains_and_samples(tmp_path):
    run = tmp_path / "vae"
    argv = ["train", "vae", "--epochs", "1", "--batch-size", "256", "--latent-dim", "2"]
    assert cli.main(argv + ["--out", str(run), "--no-progress"]) == 0
    assert (run / "samples" / "epoch_0001.png").exists() and (run / "progress.gif").exists()
    out = tmp_path / "samples.npz"
    assert cli.main(["sample", "vae", "--from", str(run), "--n", "10", "--out", str(out)]) == 0
    with np.load(out) as arrays:
        assert set(arrays) == {"x"}
        assert arrays["x"].shape == (10, 28, 28) and arrays["x"].dtype == np.uint8
        assert arrays["x"].max() > 0  # the decoder drew something
