"""PixelCNN: causal masks (gradient test), exact likelihood in bits/dim, sampling, CLI."""

import math

import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli
from gan_course.models.pixelcnn import (
    MaskedConv2D,
    PixelCNNConfig,
    build_pixelcnn,
    build_pixelcnn_setup,
    causal_mask,
    evaluate_nll,
    make_pixelcnn_sampler,
    nll_bits_per_dim,
)
from gan_course.training.settings import RunSettings

TINY = {"filters": 8, "residual_blocks": 3}


def test_masks_type_a_and_b():
    expected_a = np.array([[1, 1, 1], [1, 0, 0], [0, 0, 0]], np.float32)
    np.testing.assert_array_equal(causal_mask(3, "A"), expected_a)
    expected_b = expected_a.copy()
    expected_b[1, 1] = 1
    np.testing.assert_array_equal(causal_mask(3, "B"), expected_b)
    assert causal_mask(7, "A").sum() == 24  # 3 full rows of 7 + 3 to the left
    with pytest.raises(ValueError, match="mask_type"):
        causal_mask(3, "C")
    with pytest.raises(ValueError, match="odd"):
        causal_mask(4, "A")


def test_masked_conv_output_shape():
    layer = MaskedConv2D(5, 3, "B")
    assert layer(tf.zeros((2, 28, 28, 1))).shape == (2, 28, 28, 5)


@pytest.mark.parametrize("row, column", [(0, 0), (0, 5), (9, 0), (14, 14), (27, 27)])
def test_logit_never_sees_current_or_later_pixels(row, column):
    model = build_pixelcnn(**TINY)  # a 7x7 type-A layer and three type-B blocks
    images = tf.random.uniform((1, 28, 28, 1), seed=1)  # continuous input: no dead units
    with tf.GradientTape() as tape:
        tape.watch(images)
        logit = model(images, training=False)[0, row, column, 0]
    gradient = np.abs(tape.gradient(logit, images).numpy()[0, :, :, 0]).ravel()  # (784,)
    position = row * 28 + column  # raster order
    assert np.all(gradient[position:] == 0.0), "sees the current or a later pixel"
    if position > 0:
        assert gradient[:position].max() > 0, "sees no earlier pixel at all"


def test_logits_shape_and_rejects_colour():
    model = build_pixelcnn(**TINY)
    assert model(tf.zeros((3, 28, 28, 1))).shape == (3, 28, 28, 1)
    with pytest.raises(ValueError, match="one binary channel"):
        build_pixelcnn(image_shape=(32, 32, 3))


def test_bits_per_dim_of_a_coin_flip_model_is_one():
    model = build_pixelcnn(**TINY)
    for weight in model.weights:
        weight.assign(tf.zeros_like(weight))  # logits 0: p = 1/2 for every pixel
    images = np.random.default_rng(0).integers(0, 256, (10, 28, 28, 1), dtype=np.uint8)
    nll = evaluate_nll(model, images, batch_size=4)
    assert nll == pytest.approx(784 * math.log(2.0), rel=1e-5)  # nats per image
    assert nll_bits_per_dim(nll, 784) == pytest.approx(1.0, rel=1e-5)


def test_train_step_lowers_nll_and_returns_bits_per_dim():
    setup = build_pixelcnn_setup(
        PixelCNNConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    model = setup.models["pixelcnn"]
    before = [w.numpy().copy() for w in model.trainable_weights]
    images = tf.cast(tf.random.uniform((8, 28, 28, 1), seed=2) > 0.7, tf.float32)
    first = setup.train_step(images)
    assert set(first) == {"loss", "nll_bits_per_dim"}
    for value in first.values():
        assert value.shape == () and np.isfinite(float(value))
    assert float(first["nll_bits_per_dim"]) == pytest.approx(
        float(first["loss"]) / (784 * math.log(2.0)), rel=1e-6
    )
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(before, model.trainable_weights))
    for _ in range(20):
        last = setup.train_step(images)
    assert float(last["loss"]) < float(first["loss"])


def test_sampler_is_binary_deterministic_and_follows_the_probabilities():
    model = build_pixelcnn(image_shape=(8, 8, 1), filters=4, residual_blocks=1)
    sampler = make_pixelcnn_sampler(model)
    noise = np.random.default_rng(0).standard_normal((3, 64)).astype("float32")
    first, second = sampler(noise).numpy(), sampler(noise).numpy()
    assert first.shape == (3, 8, 8, 1)
    assert set(np.unique(first)) <= {0.0, 1.0}
    np.testing.assert_array_equal(first, second)  # fixed noise -> fixed samples
    model.get_layer("logits").bias.assign([20.0])  # p(x_i = 1) ~ 1 everywhere
    assert sampler(noise).numpy().min() == 1.0
    model.get_layer("logits").bias.assign([-20.0])
    assert sampler(noise).numpy().max() == 0.0


def test_config_validation():
    with pytest.raises(ValueError, match="filters"):
        PixelCNNConfig(filters=0)
    with pytest.raises(ValueError, match="threshold"):
        PixelCNNConfig(threshold=1.0)


def test_cli_train_then_sample(tmp_path, capsys):
    run = tmp_path / "run"
    code = cli.main(
        ["train", "pixelcnn", "--epochs", "1", "--batch-size", "256", "--out", str(run)]
        + ["--set", "filters=8", "--set", "residual_blocks=1", "--no-progress"]
    )
    assert code == 0
    assert (run / "samples" / "epoch_0001.png").exists() and (run / "progress.gif").exists()
    out = tmp_path / "samples.npz"
    assert cli.main(["sample", "--from", str(run), "--n", "4", "--out", str(out)]) == 0
    with np.load(out) as arrays:
        x = arrays["x"]
    assert x.dtype == np.uint8 and x.shape == (4, 28, 28)
    assert set(np.unique(x)) <= {0, 255}
