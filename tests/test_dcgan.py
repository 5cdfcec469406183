"""DCGAN: builder shapes, N(0, 0.02) init, one train step, CLI train -> sample, resume."""

import json

import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli
from gan_course.models.dcgan import (
    DCGANConfig,
    build_dcgan_discriminator,
    build_dcgan_generator,
    build_dcgan_setup,
)
from gan_course.runs import train_run
from gan_course.training.settings import RunSettings

TINY = {"latent_dim": 8, "generator_filters": (16, 8), "discriminator_filters": (8, 16)}


@pytest.mark.parametrize("image_shape", [(28, 28, 1), (32, 32, 3)])
def test_builder_shapes(image_shape):
    generator = build_dcgan_generator(latent_dim=8, image_shape=image_shape, filters=(16, 8))
    discriminator = build_dcgan_discriminator(image_shape=image_shape, filters=(8, 16))
    images = generator(tf.random.normal((3, 8)), training=False)
    assert images.shape == (3, *image_shape)
    assert float(tf.reduce_max(tf.abs(images))) <= 1.0  # tanh output range
    height, width, _ = image_shape
    reshaped = generator.get_layer(index=4).output  # Dense -> BN -> LeakyReLU -> Reshape
    assert tuple(reshaped.shape) == (None, height // 4, width // 4, 16)
    assert discriminator(images, training=False).shape == (3, 1)


def test_generator_rejects_sizes_not_divisible_by_four():
    with pytest.raises(ValueError, match="multiples of 4"):
        build_dcgan_generator(image_shape=(30, 30, 1))


def test_config_validation():
    with pytest.raises(ValueError, match="two filter widths"):
        DCGANConfig(generator_filters=(64,))
    with pytest.raises(ValueError, match="batch_size"):  # run settings live apart now
        RunSettings(batch_size=0)
    with pytest.raises(ValueError, match="real_label"):
        DCGANConfig(real_label=1.5)


def test_weights_start_from_normal_0_02():
    generator = build_dcgan_generator(latent_dim=64, filters=(64, 32))
    discriminator = build_dcgan_discriminator(filters=(32, 64))
    kernels = [
        weight.numpy().ravel()
        for model in (generator, discriminator)
        for weight in model.trainable_weights
        if "kernel" in weight.path
    ]
    assert len(kernels) == 6
    for kernel in kernels:
        assert abs(kernel.std() - 0.02) < 0.003, kernel.std()
        assert abs(kernel.mean()) < 0.003


def test_one_train_step_changes_weights_and_is_finite():
    setup = build_dcgan_setup(
        DCGANConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    generator, discriminator = setup.models["generator"], setup.models["discriminator"]
    before_g = [w.numpy().copy() for w in generator.trainable_weights]
    before_d = [w.numpy().copy() for w in discriminator.trainable_weights]
    real = tf.random.uniform((4, 28, 28, 1), -1.0, 1.0)
    outputs = setup.train_step(real)
    for name, value in outputs.items():
        assert value.shape == () and np.isfinite(float(value)), name
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(before_g, generator.trainable_weights))
    assert any(
        not np.allclose(a, w.numpy()) for a, w in zip(before_d, discriminator.trainable_weights)
    )


def test_cli_train_then_sample(tmp_path, capsys):
    run = tmp_path / "run"
    code = cli.main(
        ["train", "dcgan", "--epochs", "1", "--batch-size", "256", "--latent-dim", "8"]
        + ["--out", str(run), "--no-progress"]
    )
    assert code == 0
    assert (run / "run.json").exists() and (run / "progress.gif").exists()
    assert (run / "samples" / "epoch_0001.png").exists()
    assert json.loads((run / "history.json").read_text())[0]["step"] == 4500 // 256
    out = tmp_path / "samples.npz"
    assert cli.main(["sample", "dcgan", "--from", str(run), "--n", "10", "--out", str(out)]) == 0
    with np.load(out) as arrays:
        assert arrays["x"].dtype == np.uint8 and arrays["x"].shape == (10, 28, 28)
        assert arrays["x"].std() > 0  # not a blank image


def test_resume_continues_from_epoch_one(tmp_path, capsys):
    run = tmp_path / "run"
    first = train_run(
        "dcgan",
        out_dir=run,
        settings=RunSettings(epochs=1, batch_size=256),
        overrides=TINY,
        progress=False,
    )
    steps_per_epoch = 4500 // 256
    assert [entry["step"] for entry in first] == [steps_per_epoch]
    capsys.readouterr()
    second = train_run(
        "dcgan", out_dir=run, settings=RunSettings(epochs=2, batch_size=256), progress=False
    )
    assert f"epoch 1, step {steps_per_epoch}" in capsys.readouterr().out
    assert [entry["epoch"] for entry in second] == [1, 2]
    assert second[1]["step"] == 2 * steps_per_epoch


def test_minibatch_std_channel_is_zero_for_identical_images():
    from gan_course.models.dcgan import MinibatchStdDev

    same = tf.ones((4, 7, 7, 3)) * tf.random.normal((1, 7, 7, 3))
    varied = tf.random.normal((4, 7, 7, 3))
    assert MinibatchStdDev()(same).shape == (4, 7, 7, 4)
    assert float(tf.reduce_max(tf.abs(MinibatchStdDev()(same)[..., -1]))) <= 1.01e-4  # sqrt(eps)
    expected = float(tf.reduce_mean(tf.math.reduce_std(varied, axis=0)))
    np.testing.assert_allclose(MinibatchStdDev()(varied)[..., -1].numpy(), expected, rtol=1e-5)
    with tf.GradientTape() as tape:  # identical images: zero deviation, finite gradient
        tape.watch(same)
        channel = tf.reduce_sum(MinibatchStdDev()(same)[..., -1])
    assert np.isfinite(tape.gradient(channel, same).numpy()).all()


@pytest.mark.parametrize(
    "options",
    [
        {"batch_norm": False, "dropout": 0.3},
        {"spectral_norm": True, "batch_norm": False},
        {"minibatch_std": True},
    ],
)
def test_discriminator_variants_keep_shapes_and_train(options):
    discriminator = build_dcgan_discriminator(filters=(8, 16), **options)
    layer_types = {type(layer).__name__ for layer in discriminator.layers}
    assert ("BatchNormalization" in layer_types) == options.get("batch_norm", True)
    assert ("GlobalBatchDropout" in layer_types) == ("dropout" in options)
    assert ("SpectralNormalization" in layer_types) == ("spectral_norm" in options)
    assert ("MinibatchStdDev" in layer_types) == ("minibatch_std" in options)
    config = DCGANConfig(
        **TINY,
        discriminator_batch_norm=options.get("batch_norm", True),
        discriminator_dropout=options.get("dropout", 0.0),
        discriminator_spectral_norm=options.get("spectral_norm", False),
        discriminator_minibatch_std=options.get("minibatch_std", False),
    )
    setup = build_dcgan_setup(config, settings=RunSettings(seed=0))
    images = tf.random.uniform((8, 28, 28, 1), -1, 1)
    # One logit per pack of the default PacGAN degree.
    assert setup.models["discriminator"](images).shape == (8 // config.discriminator_packing, 1)
    outputs = setup.train_step(images)
    assert all(np.isfinite(float(v)) for v in outputs.values())


def test_weight_average_samples_and_is_checkpointed(tmp_path):
    config = DCGANConfig(**TINY, weight_average_decay=0.9)
    setup = build_dcgan_setup(config, settings=RunSettings(seed=0))
    assert "generator_average" in setup.models
    assert "generator_average_updates" in setup.trackables()
    setup.train_step(tf.random.uniform((8, 28, 28, 1), -1, 1))
    average = setup.models["generator_average"]
    noise = setup.fixed_inputs[:4]
    np.testing.assert_allclose(setup.sample(noise), average(noise, training=False))
    live = setup.models["generator"](noise, training=False)
    assert not np.allclose(setup.sample(noise), live)  # samples come from the average


def test_packed_discriminator_stacks_each_pack_on_the_channel_axis():
    from gan_course.models.packing import PackSamples

    images = tf.random.normal((6, 7, 7, 2))
    packed = PackSamples(3)(images)
    assert packed.shape == (2, 7, 7, 6)  # (B / m, H, W, m * C)
    # Pack 1 holds images 3, 4, 5 in order, each image's channels kept together.
    expected = tf.concat([images[3], images[4], images[5]], axis=-1)
    np.testing.assert_array_equal(packed[1].numpy(), expected.numpy())
    points = tf.reshape(tf.range(12, dtype=tf.float32), (6, 2))  # points: (B, D) -> (B/m, m*D)
    np.testing.assert_array_equal(PackSamples(2)(points)[2].numpy(), [8, 9, 10, 11])

    discriminator = build_dcgan_discriminator(filters=(8, 16), packing=2)
    assert discriminator(tf.zeros((8, 28, 28, 1))).shape == (4, 1)  # one logit per pair
    setup = build_dcgan_setup(
        DCGANConfig(**TINY, discriminator_packing=2), settings=RunSettings(seed=0)
    )
    outputs = setup.train_step(tf.random.uniform((8, 28, 28, 1), -1, 1))
    assert all(np.isfinite(float(v)) for v in outputs.values())
    with pytest.raises(ValueError, match="multiple of the discriminator.s packing"):
        build_dcgan_setup(
            DCGANConfig(**TINY, discriminator_packing=2), settings=RunSettings(batch_size=63)
        )
