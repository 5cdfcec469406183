"""Autoencoder: builder shapes and ranges, the denoising corruption, one train step, the CLI."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli
from gan_course.models.autoencoder import (
    AutoencoderConfig,
    build_autoencoder_decoder,
    build_autoencoder_encoder,
    build_autoencoder_setup,
    corrupt_images,
    make_autoencoder_train_step,
)
from gan_course.training.settings import RunSettings
from gan_course.training.setup import adam

TINY = {"latent_dim": 3, "hidden_units": (16,), "filters": (4, 8)}


@pytest.mark.parametrize("architecture", ["dense", "conv"])
def test_encoder_and_decoder_shapes_and_range(architecture):
    encoder = build_autoencoder_encoder(architecture=architecture, **TINY)
    decoder = build_autoencoder_decoder(architecture=architecture, **TINY)
    codes = encoder(np.random.default_rng(0).random((5, 28, 28, 1), np.float32))
    assert codes.shape == (5, 3)
    images = decoder(100.0 * np.random.default_rng(1).standard_normal((5, 3)).astype("float32"))
    assert images.shape == (5, 28, 28, 1)
    assert float(tf.reduce_min(images)) >= 0.0 and float(tf.reduce_max(images)) <= 1.0  # sigmoid


def test_conv_builders_take_colour_images_and_reject_odd_sizes():
    decoder = build_autoencoder_decoder(architecture="conv", image_shape=(32, 32, 3), **TINY)
    assert decoder(np.zeros((2, 3), np.float32)).shape == (2, 32, 32, 3)
    with pytest.raises(ValueError, match="divisible by 4"):
        build_autoencoder_decoder(architecture="conv", image_shape=(30, 30, 1), **TINY)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"architecture": "transformer"}, "unknown architecture"),
        ({"noise_std": -0.1}, "noise_std"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"filters": ()}, "at least one width"),
    ],
)
def test_config_rejects_bad_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        AutoencoderConfig(**overrides)


def test_corrupt_images_adds_seeded_noise_and_stays_in_range():
    clean = tf.fill((4, 28, 28, 1), 0.5)
    noisy = corrupt_images(clean, rng=tf.random.Generator.from_seed(3), noise_std=0.3)
    again = corrupt_images(clean, rng=tf.random.Generator.from_seed(3), noise_std=0.3)
    assert float(tf.reduce_min(noisy)) >= 0.0 and float(tf.reduce_max(noisy)) <= 1.0
    assert np.array_equal(noisy.numpy(), again.numpy())  # the noise comes from the rng
    # Standard deviation near 0.3 (slightly less: clipping at 0 and 1 trims the tails).
    assert 0.25 < float(tf.math.reduce_std(noisy - clean)) < 0.31


def identity_autoencoder():
    """An encoder whose Dense kernel is the identity and a reshaping decoder: output = input."""
    images = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(images)
    codes = keras.layers.Dense(784, kernel_initializer="identity", bias_initializer="zeros")(flat)
    encoder = keras.Model(images, codes)
    latents = keras.Input((784,))
    decoder = keras.Model(latents, keras.layers.Reshape((28, 28, 1))(latents))
    optimizer = adam(1e-3, 0.9).build(encoder.trainable_variables)
    return encoder, decoder, optimizer


def test_denoising_step_corrupts_inputs_but_targets_the_clean_images():
    clean = tf.constant(np.random.default_rng(0).random((8, 28, 28, 1), np.float32))
    encoder, decoder, optimizer = identity_autoencoder()
    plain = make_autoencoder_train_step(
        encoder, decoder, optimizer, rng=tf.random.Generator.from_seed(5)
    )
    assert float(plain(clean)["loss"]) == pytest.approx(0.0, abs=1e-6)  # a perfect copy

    encoder, decoder, optimizer = identity_autoencoder()
    denoising = make_autoencoder_train_step(
        encoder, decoder, optimizer, rng=tf.random.Generator.from_seed(5), noise_std=0.4
    )
    noisy = corrupt_images(clean, rng=tf.random.Generator.from_seed(5), noise_std=0.4)
    expected = np.mean(np.sum(np.square(noisy.numpy() - clean.numpy()), axis=(1, 2, 3)))
    # The identity model outputs the noisy input; the loss is its distance to the clean image.
    # (Were the target the noisy input, the loss would be 0.)
    assert float(denoising(clean)["loss"]) == pytest.approx(expected, rel=1e-4)
    assert expected > 10.0


@pytest.mark.parametrize("architecture", ["dense", "conv"])
def test_one_step_changes_weights_and_is_finite(architecture):
    config = AutoencoderConfig(architecture=architecture, noise_std=0.2, **TINY)
    images = np.random.default_rng(0).random((64, 28, 28, 1), np.float32)
    setup = build_autoencoder_setup(
        config, image_shape=(28, 28, 1), settings=RunSettings(seed=0), fixed_images=images
    )
    before = [v.numpy().copy() for m in setup.models.values() for v in m.trainable_variables]
    outputs = setup.train_step(tf.constant(images[:16]))
    after = [v.numpy() for m in setup.models.values() for v in m.trainable_variables]
    assert set(outputs) == {"loss"} and np.isfinite(float(outputs["loss"]))
    assert all(not np.array_equal(b, a) for b, a in zip(before, after))


def test_setup_reconstructs_held_out_images():
    setup = build_autoencoder_setup(
        AutoencoderConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    assert setup.generative is False and setup.scale == "unit"
    assert setup.fixed_inputs.shape == (64, 28, 28, 1)
    assert 0.0 <= setup.fixed_inputs.min() and setup.fixed_inputs.max() <= 1.0
    assert setup.fixed_inputs.std() > 0.1  # real digits, not a blank batch
    reconstructions = np.asarray(setup.sample(setup.fixed_inputs))
    assert reconstructions.shape == (64, 28, 28, 1)


def test_cli_trains_and_refuses_to_sample(tmp_path, capsys):
    run = tmp_path / "ae"
    argv = ["train", "autoencoder", "--epochs", "1", "--batch-size", "256", "--latent-dim", "4"]
    assert cli.main(argv + ["--out", str(run), "--no-progress"]) == 0
    assert (run / "samples" / "epoch_0000.png").exists()
    assert (run / "samples" / "epoch_0001.png").exists() and (run / "progress.gif").exists()
    history = json.loads((run / "history.json").read_text())
    assert len(history) == 1 and np.isfinite(history[0]["loss"])
    capsys.readouterr()
    out = tmp_path / "samples.npz"
    assert cli.main(["sample", "--from", str(run), "--n", "4", "--out", str(out)]) == 2
    assert "nothing to sample from noise" in capsys.readouterr().err
    assert not out.exists()
