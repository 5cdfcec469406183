"""Conditional GAN: builder shapes, label conditioning, grid inputs, one train step, CLI."""

import json

import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli
from gan_course.models.cgan import (
    CGANConfig,
    build_cgan_discriminator,
    build_cgan_generator,
    build_cgan_setup,
    class_grid_inputs,
    generate_from_embeddings,
)
from gan_course.training.settings import RunSettings
from gan_course.training.setup import Monitored

TINY = {
    "latent_dim": 8,
    "embedding_dim": 4,
    "generator_filters": (16, 8),
    "discriminator_filters": (8, 16),
}


def test_builder_shapes_and_ranges():
    generator = build_cgan_generator(latent_dim=8, embedding_dim=4, filters=(16, 8))
    discriminator = build_cgan_discriminator(filters=(8, 16))
    labels = tf.constant([0, 3, 9], tf.int32)
    images = generator([tf.random.normal((3, 8)), labels], training=False)
    assert images.shape == (3, 28, 28, 1)
    assert float(tf.reduce_max(tf.abs(images))) <= 1.0  # tanh output range
    assert tuple(generator.get_layer("noise_and_label").output.shape) == (None, 8 + 4)
    assert discriminator([images, labels], training=False).shape == (3, 1)
    assert tuple(discriminator.get_layer("projection").output.shape) == (None, 7 * 7 * 16)


def test_config_validation():
    with pytest.raises(ValueError, match="two filter widths"):
        CGANConfig(generator_filters=(64,))
    with pytest.raises(ValueError, match="num_classes"):
        CGANConfig(num_classes=0)
    with pytest.raises(ValueError, match="max_minutes"):  # run settings live apart now
        RunSettings(max_minutes=0.0)


def test_generator_output_depends_on_the_label():
    generator = build_cgan_generator(latent_dim=8, embedding_dim=4, filters=(16, 8))
    noise = tf.repeat(tf.random.normal((1, 8)), 2, axis=0)  # the same noise twice
    images = generator([noise, tf.constant([1, 7], tf.int32)], training=False).numpy()
    assert not np.allclose(images[0], images[1], atol=1e-6)


def test_projection_is_the_only_class_dependent_term():
    discriminator = build_cgan_discriminator(filters=(8, 16))
    images = tf.random.uniform((2, 28, 28, 1), -1.0, 1.0)
    first = discriminator([images, tf.constant([0, 0])], training=False).numpy()
    second = discriminator([images, tf.constant([5, 5])], training=False).numpy()
    assert not np.allclose(first, second)  # the label changes the logit
    projection = discriminator.get_layer("projection")
    projection.set_weights([np.zeros_like(w) for w in projection.get_weights()])
    first = discriminator([images, tf.constant([0, 0])], training=False).numpy()
    second = discriminator([images, tf.constant([5, 5])], training=False).numpy()
    np.testing.assert_allclose(first, second, rtol=1e-6)  # ... only through <embed(y), phi(x)>


def test_generate_from_embeddings_matches_the_generator():
    generator = build_cgan_generator(latent_dim=8, embedding_dim=4, filters=(16, 8))
    noise, labels = tf.random.normal((3, 8)), tf.constant([2, 4, 6], tf.int32)
    embeddings = generator.get_layer("label_embedding")(labels)
    direct = generate_from_embeddings(generator, noise, embeddings).numpy()
    np.testing.assert_allclose(
        direct, generator([noise, labels], training=False).numpy(), atol=1e-6
    )


def test_fixed_inputs_give_one_row_per_digit():
    setup = build_cgan_setup(
        CGANConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    assert setup.conditional and setup.num_classes == 10 and setup.latent_dim == 8
    assert setup.monitor == Monitored()
    noise, labels = setup.fixed_inputs
    assert noise.shape == (100, 8) and labels.shape == (100,) and labels.dtype == np.int32
    np.testing.assert_array_equal(labels.reshape(10, 10), np.repeat(np.arange(10)[:, None], 10, 1))
    rows = noise.reshape(10, 10, 8)
    np.testing.assert_array_equal(rows, np.broadcast_to(rows[:1], rows.shape))  # column = style
    assert len(np.unique(rows[0], axis=0)) == 10  # ten different styles per row
    images = np.asarray(setup.sample(setup.fixed_inputs))
    assert images.shape == (100, 28, 28, 1)


def test_class_grid_inputs_is_deterministic_per_seed():
    first, _ = class_grid_inputs(4, seed=3)
    again, _ = class_grid_inputs(4, seed=3)
    other, _ = class_grid_inputs(4, seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_one_conditional_train_step_changes_weights_and_is_finite():
    setup = build_cgan_setup(
        CGANConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    generator, discriminator = setup.models["generator"], setup.models["discriminator"]
    before_g = [w.numpy().copy() for w in generator.trainable_weights]
    before_d = [w.numpy().copy() for w in discriminator.trainable_weights]
    embedding_before = generator.get_layer("label_embedding").embeddings.numpy().copy()
    real = tf.random.uniform((4, 28, 28, 1), -1.0, 1.0)
    outputs = setup.train_step((real, tf.constant([0, 1, 2, 3], tf.int32)))
    for name, value in outputs.items():
        assert value.shape == () and np.isfinite(float(value)), name
    for before, model in ((before_g, generator), (before_d, discriminator)):
        assert any(not np.allclose(a, w.numpy()) for a, w in zip(before, model.trainable_weights))
    # The label embeddings learn too: the labels reach both networks.
    embedding = generator.get_layer("label_embedding").embeddings.numpy()
    assert not np.allclose(embedding, embedding_before)


def test_weight_average_samples_and_is_checkpointed():
    setup = build_cgan_setup(
        CGANConfig(**TINY, weight_average_decay=0.9), settings=RunSettings(seed=0)
    )
    assert "generator_average_updates" in setup.trackables()
    setup.train_step((tf.random.uniform((4, 28, 28, 1), -1, 1), tf.constant([0, 1, 2, 3])))
    noise, labels = setup.fixed_inputs
    inputs = (noise[:4], labels[:4])
    average = setup.models["generator_average"](list(inputs), training=False)
    np.testing.assert_allclose(setup.sample(inputs), average)
    live = setup.models["generator"](list(inputs), training=False)
    assert not np.allclose(setup.sample(inputs), live)  # samples come from the average
    with pytest.raises(ValueError, match="weight_average_decay"):
        CGANConfig(weight_average_decay=1.0)


def test_cli_train_then_sample_one_digit(tmp_path, capsys):
    run = tmp_path / "run"
    code = cli.main(
        ["train", "cgan", "--epochs", "1", "--batch-size", "256", "--latent-dim", "8"]
        + ["--out", str(run), "--no-progress"]
    )
    assert code == 0
    assert (run / "progress.gif").exists() and (run / "samples" / "epoch_0001.png").exists()
    assert json.loads((run / "history.json").read_text())[0]["step"] == 4500 // 256
    out = tmp_path / "threes.npz"
    assert (
        cli.main(
            ["sample", "cgan", "--from", str(run), "--n", "12", "--label", "3"]
            + ["--out", str(out)]
        )
        == 0
    )
    with np.load(out) as arrays:
        assert arrays["x"].dtype == np.uint8 and arrays["x"].shape == (12, 28, 28)
        np.testing.assert_array_equal(arrays["y"], np.full(12, 3))
        assert arrays["x"].std() > 0
    mixed = tmp_path / "mixed.npz"
    assert cli.main(["sample", "--from", str(run), "--n", "20", "--out", str(mixed)]) == 0
    with np.load(mixed) as arrays:
        np.testing.assert_array_equal(arrays["y"], np.arange(20) % 10)
