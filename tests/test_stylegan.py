"""StyleGAN lite: mapping and synthesis shapes, style mixing, truncation, train step, CLI."""

import json

import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli
from gan_course.models.stylegan import (
    StyleGANConfig,
    broadcast_styles,
    build_stylegan_mapping,
    build_stylegan_setup,
    build_stylegan_synthesis,
    generate,
    mix_styles,
    truncate,
)
from gan_course.training.settings import RunSettings

TINY = {
    "latent_dim": 8,
    "w_dim": 8,
    "synthesis_filters": (16, 8, 8),
    "discriminator_filters": (8, 16),
}


@pytest.fixture(scope="module")
def parts():
    mapping = build_stylegan_mapping(latent_dim=8, w_dim=8, num_layers=2)
    synthesis = build_stylegan_synthesis(w_dim=8, filters=(16, 8, 8))
    return mapping, synthesis


def test_mapping_output_shape(parts):
    mapping, _ = parts
    assert mapping(tf.random.normal((5, 8)), training=False).shape == (5, 8)


def test_synthesis_output_shape_and_range(parts):
    _, synthesis = parts
    assert tuple(synthesis.inputs[0].shape) == (None, 6, 8)  # two style layers per resolution
    assert tuple(synthesis.inputs[1].shape) == (None, 28, 28, 6)  # one noise map per layer
    assert synthesis.get_layer("constant").output.shape == (None, 7, 7, 16)
    styles = 10.0 * tf.random.normal((3, 6, 8))  # large styles push tanh to its limits
    images = synthesis([styles, tf.random.normal((3, 28, 28, 6))], training=False)
    assert images.shape == (3, 28, 28, 1)
    assert -1.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0


def test_style_mixing(parts):
    mapping, synthesis = parts
    for layer in synthesis.layers:  # switch the noise on (its strength starts at 0)
        if layer.name.startswith("noise_"):
            layer.strength.assign(tf.fill(layer.strength.shape, 0.5))
    z_coarse, z_fine = tf.random.normal((2, 8), seed=1), tf.random.normal((2, 8), seed=2)
    noise = tf.random.normal((2, 28, 28, 6), seed=3)
    plain = generate(mapping, synthesis, z_coarse, noise)
    # Crossing over to the same z changes nothing; crossing over at L changes nothing either.
    np.testing.assert_allclose(
        generate(mapping, synthesis, z_coarse, noise, z_fine=z_coarse, crossover=3), plain
    )
    np.testing.assert_allclose(
        generate(mapping, synthesis, z_coarse, noise, z_fine=z_fine, crossover=6), plain
    )
    mixed = generate(mapping, synthesis, z_coarse, noise, z_fine=z_fine, crossover=4)
    assert float(tf.reduce_max(tf.abs(mixed - plain))) > 1e-3  # fine styles from z_fine matter
    styles = mix_styles(
        broadcast_styles(tf.zeros((1, 8)), 6), broadcast_styles(tf.ones((1, 8)), 6), 4
    )
    np.testing.assert_array_equal(styles.numpy()[0, :, 0], [0, 0, 0, 0, 1, 1])


def test_truncation_psi_zero_gives_one_image_for_any_z(parts):
    mapping, synthesis = parts
    mapping.get_layer("w_average").average.assign(tf.random.normal((8,)))
    z = tf.random.normal((4, 8))
    noise = tf.zeros((4, 28, 28, 6))  # noise inputs off
    images = generate(mapping, synthesis, z, noise, psi=0.0)
    assert float(tf.reduce_max(tf.abs(images - images[:1]))) < 1e-5
    free = generate(mapping, synthesis, z, noise, psi=1.0)
    assert float(tf.reduce_max(tf.abs(free - free[:1]))) > 1e-3
    w, average = tf.constant([[2.0, 4.0]]), tf.constant([0.0, 2.0])
    np.testing.assert_allclose(truncate(w, average, 0.5), [[1.0, 3.0]])


def test_config_validation():
    with pytest.raises(ValueError, match="mixing_probability"):
        StyleGANConfig(mixing_probability=1.5)
    with pytest.raises(ValueError, match="w_dim"):
        StyleGANConfig(w_dim=0)


def test_one_train_step_is_finite_changes_weights_and_tracks_w_average():
    setup = build_stylegan_setup(
        StyleGANConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    assert setup.monitor is not None  # the DCGAN's discriminator: one logit per pack
    generator, discriminator = setup.models["generator"], setup.models["discriminator"]
    average = generator.get_layer("mapping").get_layer("w_average").average
    before_g = [w.numpy().copy() for w in generator.trainable_weights]
    before_d = [w.numpy().copy() for w in discriminator.trainable_weights]
    outputs = setup.train_step(tf.random.uniform((8, 28, 28, 1), -1.0, 1.0))
    for name, value in outputs.items():
        assert value.shape == () and np.isfinite(float(value)), name
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(before_g, generator.trainable_weights))
    assert any(
        not np.allclose(a, w.numpy()) for a, w in zip(before_d, discriminator.trainable_weights)
    )
    assert float(tf.reduce_max(tf.abs(average))) > 0.0  # moved from its zero start


def test_everything_but_the_generator_is_the_dcgan_defaults():
    """The notebook-11 comparison changes the generator only: a drift here breaks it."""
    from gan_course.models.dcgan import DCGANConfig

    style, dcgan = StyleGANConfig(), DCGANConfig()
    shared = {
        "latent_dim": "latent_dim",
        "discriminator_filters": "discriminator_filters",
        "discriminator_packing": "discriminator_packing",
        "learning_rate": "learning_rate",
        "discriminator_learning_rate": "discriminator_learning_rate",
        "beta_1": "beta_1",
        "real_label": "real_label",
        "weight_average_decay": "weight_average_decay",
    }
    for style_name, dcgan_name in shared.items():
        assert getattr(style, style_name) == getattr(dcgan, dcgan_name), style_name
    from gan_course.models.dcgan import RUN_DEFAULTS as DCGAN_RUN
    from gan_course.models.stylegan import RUN_DEFAULTS as STYLE_RUN

    assert STYLE_RUN.batch_size == DCGAN_RUN.batch_size


def test_samples_come_from_the_weight_average_which_moves_after_a_step():
    setup = build_stylegan_setup(
        StyleGANConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    generator, average = setup.models["generator"], setup.models["generator_average"]
    assert average.get_layer("mapping") is not generator.get_layer("mapping")
    before = [w.numpy().copy() for w in average.weights]
    setup.train_step(tf.random.uniform((8, 28, 28, 1), -1.0, 1.0))
    assert any(not np.allclose(b, w.numpy()) for b, w in zip(before, average.weights))
    # Zero the average's last convolution: its images no longer depend on z or the noise,
    # so samples drawn through `setup.sample` are all the same image if (and only if) they
    # come from the average; the trained generator still varies.
    z = tf.random.normal((4, 8))
    last = [layer for layer in average.get_layer("synthesis").layers if hasattr(layer, "kernel")][
        -1
    ]
    last.kernel.assign(tf.zeros_like(last.kernel))
    assert float(tf.reduce_max(tf.math.reduce_std(setup.sample(z), axis=0))) < 1e-6
    assert float(tf.reduce_max(tf.math.reduce_std(generator(z, training=False), axis=0))) > 1e-3
    with pytest.raises(ValueError, match="packing"):
        StyleGANConfig(discriminator_packing=0)


def test_cli_train_then_sample(tmp_path, capsys):
    run = tmp_path / "run"
    arguments = ["train", "stylegan", "--epochs", "1", "--batch-size", "256", "--latent-dim", "8"]
    settings = ["--set", "synthesis_filters=16,8,8", "--set", "w_dim=8"]
    assert cli.main(arguments + settings + ["--out", str(run), "--no-progress"]) == 0
    assert (run / "progress.gif").exists() and (run / "samples" / "epoch_0001.png").exists()
    assert json.loads((run / "history.json").read_text())[0]["step"] == 4500 // 256
    out = tmp_path / "samples.npz"
    assert cli.main(["sample", "--from", str(run), "--n", "10", "--out", str(out)]) == 0
    with np.load(out) as arrays:
        assert arrays["x"].dtype == np.uint8 and arrays["x"].shape == (10, 28, 28)
        assert arrays["x"].std() > 0
