"""pix2pix: U-Net shapes and skips, PatchGAN grid, paired tasks, PSNR, train step, CLI."""

import json

import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli
from gan_course.models.pix2pix import (
    HOLE_SIZE,
    TASKS,
    Pix2PixConfig,
    build_pix2pix_discriminator,
    build_pix2pix_generator,
    build_pix2pix_setup,
    make_pairs,
    psnr,
)
from gan_course.training.settings import RunSettings

TINY = {"generator_filters": (8, 16), "bottleneck_filters": 16, "discriminator_filters": (8, 16)}


def digits(count=6):
    from gan_course.data import load_dataset

    images, _ = load_dataset("mnist_5k", split="test")
    return images[::50][:count]  # uint8 (count, 28, 28, 1), several classes


def test_unet_shapes_and_range():
    generator = build_pix2pix_generator(filters=(8, 16), bottleneck_filters=16)
    outputs = generator(tf.random.uniform((3, 28, 28, 1), -1.0, 1.0), training=False)
    assert outputs.shape == (3, 28, 28, 1)
    assert float(tf.reduce_max(tf.abs(outputs))) <= 1.0  # tanh
    assert tuple(generator.get_layer("bottleneck").output.shape) == (None, 7, 7, 16)
    joins = {
        layer.name: tuple(layer.output.shape)
        for layer in generator.layers
        if isinstance(layer, tf.keras.layers.Concatenate)
    }
    assert joins == {"skip_0": (None, 14, 14, 16 + 8), "skip_1": (None, 28, 28, 8 + 1)}


def test_skip_connections_carry_the_input_past_a_zero_bottleneck():
    generator = build_pix2pix_generator(filters=(8, 16), bottleneck_filters=16)
    bottleneck = generator.get_layer("bottleneck")
    bottleneck.set_weights([np.zeros_like(w) for w in bottleneck.get_weights()])
    inputs = tf.random.uniform((2, 28, 28, 1), -1.0, 1.0, seed=3)
    outputs = generator(inputs, training=False).numpy()
    # Without skips every input would give the same output once the bottleneck is zero.
    assert np.abs(outputs[0] - outputs[1]).max() > 1e-3


def test_patchgan_outputs_a_grid_of_logits_for_the_pair():
    discriminator = build_pix2pix_discriminator(filters=(8, 16))
    inputs = tf.random.uniform((2, 28, 28, 1), -1.0, 1.0, seed=4)
    images = tf.random.uniform((2, 28, 28, 1), -1.0, 1.0, seed=5)
    logits = discriminator([inputs, images], training=False)
    assert logits.shape == (2, 7, 7, 1)
    other = discriminator([-inputs, images], training=False)  # conditioned on the input
    assert np.abs(logits.numpy() - other.numpy()).max() > 1e-4


@pytest.mark.parametrize("task", TASKS)
def test_make_pairs_shapes_and_ranges(task):
    images = digits()
    inputs, targets = make_pairs(images, task, seed=0)
    assert inputs.shape == targets.shape == (6, 28, 28, 1)
    assert inputs.dtype == targets.dtype == np.float32
    assert inputs.min() >= -1.0 and inputs.max() <= 1.0
    np.testing.assert_allclose(targets, images / 127.5 - 1.0, atol=1e-6)
    assert not np.allclose(inputs, targets)


def test_inpaint_changes_exactly_one_square_per_image():
    inputs, targets = make_pairs(digits(), "inpaint", seed=0)
    for changed in (inputs != targets)[..., 0]:
        rows, columns = np.nonzero(changed)
        assert changed.sum() == HOLE_SIZE**2  # every hidden pixel differs (set to grey 0)
        assert rows.max() - rows.min() + 1 == HOLE_SIZE == columns.max() - columns.min() + 1
    assert np.all(inputs[inputs != targets] == 0.0)
    again, _ = make_pairs(digits(), "inpaint", seed=0)
    np.testing.assert_array_equal(inputs, again)  # same seed, same holes


def test_superres_is_constant_on_4x4_blocks_and_keeps_the_mean():
    inputs, targets = make_pairs(digits(), "superres", seed=0)
    blocks = inputs[:, :, :, 0].reshape(-1, 7, 4, 7, 4)
    assert np.allclose(blocks, blocks[:, :, :1, :, :1])
    np.testing.assert_allclose(inputs.mean(), targets.mean(), atol=1e-5)


def test_edges_are_binary_outlines():
    inputs, targets = make_pairs(digits(), "edges", seed=0)
    assert set(np.unique(inputs)) == {-1.0, 1.0}
    # A pixel deep inside the background (all 3x3 neighbours background) is never an edge.
    background = tf.nn.max_pool2d(targets, 3, 1, "SAME").numpy() <= -1.0 + 1e-6
    assert np.all(inputs[background] == -1.0)


def test_psnr_against_hand_computed_values():
    target = np.zeros((2, 4), np.uint8)
    output = np.full((2, 4), 255, np.uint8)
    assert psnr(target, output) == pytest.approx(0.0)  # MSE = 255^2
    output = np.full((2, 4), 10, np.uint8)
    assert psnr(target, output) == pytest.approx(10 * np.log10(255**2 / 100))
    assert psnr(target, target) == float("inf")


def test_config_validation():
    with pytest.raises(ValueError, match="unknown task"):
        Pix2PixConfig(task="colourise")
    with pytest.raises(ValueError, match="adversarial_weight"):
        Pix2PixConfig(adversarial_weight=-1.0)


@pytest.mark.parametrize("adversarial_weight", [1.0, 0.0])
def test_one_train_step_changes_weights_and_is_finite(adversarial_weight):
    config = Pix2PixConfig(task="superres", adversarial_weight=adversarial_weight, **TINY)
    setup = build_pix2pix_setup(config, image_shape=(28, 28, 1), settings=RunSettings(seed=0))
    assert setup.output == "image_pairs" and setup.monitor is None and not setup.generative
    unet, patchgan = setup.models["generator"], setup.models["discriminator"]
    before_g = [w.numpy().copy() for w in unet.trainable_weights]
    before_d = [w.numpy().copy() for w in patchgan.trainable_weights]
    outputs = setup.train_step(tf.convert_to_tensor(digits(8) / 127.5 - 1.0, tf.float32))
    expected = {"g_loss", "l1", "g_grad_norm"} | (
        {"g_adversarial", "d_loss", "d_real", "d_fake", "d_grad_norm"}
        if adversarial_weight
        else set()
    )
    assert set(outputs) == expected
    for value in outputs.values():
        assert value.shape == () and np.isfinite(float(value))
    adversarial = float(outputs["g_adversarial"]) if adversarial_weight else 0.0
    assert float(outputs["g_loss"]) == pytest.approx(100 * float(outputs["l1"]) + adversarial)
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(before_g, unet.trainable_weights))
    d_changed = any(
        not np.allclose(a, w.numpy()) for a, w in zip(before_d, patchgan.trainable_weights)
    )
    assert d_changed == bool(adversarial_weight)  # L1 only: the PatchGAN is left alone


def test_cli_train_one_epoch(tmp_path, capsys):
    run = tmp_path / "run"
    code = cli.main(
        ["train", "pix2pix", "--epochs", "1", "--batch-size", "256", "--out", str(run)]
        + [
            "--set",
            "task=edges",
            "--set",
            "generator_filters=8,16",
            "--set",
            "bottleneck_filters=16",
        ]
        + ["--set", "discriminator_filters=8,16", "--no-progress"]
    )
    assert code == 0
    assert json.loads((run / "run.json").read_text())["config"]["task"] == "edges"
    history = json.loads((run / "history.json").read_text())
    assert history[0]["step"] == 4500 // 256 and np.isfinite(history[0]["l1"])
    assert (run / "samples" / "epoch_0001.png").exists()
