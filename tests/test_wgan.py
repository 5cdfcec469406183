"""WGAN and WGAN-GP: critic shape and layers, alpha ~ U[0, 1], the penalty, clipping, CLI."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli, losses
from gan_course.models.packing import PackSamples
from gan_course.models.wgan import (
    WGANConfig,
    WGANGPConfig,
    build_wgan_critic,
    build_wgan_gp_setup,
    build_wgan_setup,
    make_wgan_train_step,
    sample_interpolation_weights,
)
from gan_course.training.settings import RunSettings

TINY = {"latent_dim": 8, "generator_filters": (16, 8), "critic_filters": (8, 16), "critic_steps": 2}


@pytest.mark.parametrize("normalization", ["none", "layer"])
def test_critic_shape_no_sigmoid_no_batchnorm(normalization):
    critic = build_wgan_critic(filters=(8, 16), normalization=normalization)
    scores = critic(tf.random.uniform((3, 28, 28, 1), -1.0, 1.0), training=True)
    assert scores.shape == (3, 1)
    kinds = {type(layer).__name__ for layer in critic.layers}
    assert "BatchNormalization" not in kinds
    assert ("LayerNormalization" in kinds) == (normalization == "layer")
    assert critic.layers[-1].activation is keras.activations.linear  # scores are unbounded
    critic.layers[-1].bias.assign([5.0])
    assert float(tf.reduce_min(critic(tf.zeros((1, 28, 28, 1))))) > 1.0  # no sigmoid squashes it


def test_config_validation():
    with pytest.raises(ValueError, match="critic_normalization"):
        WGANGPConfig(critic_normalization="batch")
    with pytest.raises(ValueError, match="betas"):
        WGANGPConfig(beta_2=1.0)
    with pytest.raises(ValueError, match="clip_value"):
        WGANConfig(clip_value=0.0)
    assert (WGANConfig().learning_rate, WGANConfig().clip_value, WGANConfig().critic_steps) == (
        5e-5,
        0.01,
        5,
    )
    assert (WGANGPConfig().gp_weight, WGANGPConfig().learning_rate, WGANGPConfig().beta_2) == (
        10.0,
        2e-4,
        0.9,
    )
    with pytest.raises(ValueError, match="weight_average_decay"):
        WGANGPConfig(weight_average_decay=1.0)
    with pytest.raises(ValueError, match="critic_learning_rate"):
        WGANGPConfig(critic_learning_rate=0.0)


def test_wgan_gp_gives_each_network_its_learning_rate_and_the_configured_betas():
    config = WGANGPConfig(**TINY, learning_rate=1e-4, critic_learning_rate=3e-4, beta_1=0.25)
    setup = build_wgan_gp_setup(config, image_shape=(28, 28, 1), settings=RunSettings(seed=0))
    generator, critic = setup.optimizers["generator"], setup.optimizers["critic"]
    assert generator is not critic  # Adam's moments of one network must not move the other's
    assert float(generator.learning_rate) == pytest.approx(1e-4)
    assert float(critic.learning_rate) == pytest.approx(3e-4)
    assert (generator.beta_1, critic.beta_1, critic.beta_2) == (0.25, 0.25, 0.9)


def test_step_needs_exactly_one_lipschitz_method():
    setup = build_wgan_gp_setup(
        WGANGPConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    models = (setup.models["generator"], setup.models["critic"])
    optimizers = (setup.optimizers["generator"], setup.optimizers["critic"])
    for options in ({}, {"clip_value": 0.01, "gp_weight": 10.0}):
        with pytest.raises(ValueError, match="exactly one"):
            make_wgan_train_step(*models, *optimizers, latent_dim=8, rng=setup.rng, **options)


def test_interpolation_weights_are_uniform_per_example():
    rng = tf.random.Generator.from_seed(0)
    alpha = sample_interpolation_weights(rng, 20_000).numpy()
    assert alpha.shape == (20_000, 1, 1, 1)  # one weight per example, broadcast over pixels
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    assert len(np.unique(alpha)) > 19_000  # a different weight for (nearly) every example
    assert abs(alpha.mean() - 0.5) < 0.01  # U[0, 1]: mean 1/2 ...
    assert abs(alpha.var() - 1.0 / 12.0) < 0.003  # ... variance 1/12 (a normal would give ~1)
    assert np.mean(alpha < 0.1) == pytest.approx(0.1, abs=0.01)  # flat, not bell-shaped


def _linear_critic(weights: np.ndarray, bias: float = 0.0) -> keras.Model:
    images = keras.Input((28, 28, 1))
    scores = keras.layers.Dense(1)(keras.layers.Flatten()(images))
    critic = keras.Model(images, scores)
    critic.layers[-1].set_weights([weights.reshape(-1, 1).astype("float32"), np.array([bias])])
    return critic


def test_penalty_of_a_linear_critic_is_norm_minus_one_squared():
    weights = np.random.default_rng(0).standard_normal(784)
    weights *= 2.5 / np.linalg.norm(weights)  # ||w|| = 2.5: the gradient everywhere
    critic = _linear_critic(weights, bias=0.3)
    real = tf.random.uniform((5, 28, 28, 1), -1.0, 1.0)
    fake = tf.random.uniform((5, 28, 28, 1), -1.0, 1.0)
    alpha = sample_interpolation_weights(tf.random.Generator.from_seed(1), 5)
    penalty = losses.gradient_penalty(critic, real, fake, alpha)
    assert float(penalty) == pytest.approx((2.5 - 1.0) ** 2, rel=1e-5)


def test_penalty_averages_per_example_norms():
    # f(x) = 0.5 * ||x||^2 has gradient x, so each example's norm is ||x_hat_i||.
    critic = lambda images, training: 0.5 * tf.reduce_sum(tf.square(images), axis=[1, 2, 3])  # noqa: E731
    real = tf.concat([tf.fill((1, 28, 28, 1), 0.1), tf.fill((1, 28, 28, 1), 0.2)], axis=0)
    alpha = tf.ones((2, 1, 1, 1))  # x_hat = real
    penalty = losses.gradient_penalty(critic, real, tf.zeros_like(real), alpha)
    expected = np.mean([(0.1 * 28 - 1.0) ** 2, (0.2 * 28 - 1.0) ** 2])
    assert float(penalty) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("epsilon, finite", [(1e-12, True), (0.0, False)])
def test_penalty_of_a_flat_critic_needs_epsilon(epsilon, finite):
    critic = _linear_critic(np.zeros(784), bias=1.0)  # constant critic: gradient exactly 0
    real = tf.random.uniform((4, 28, 28, 1), -1.0, 1.0)
    fake = tf.random.uniform((4, 28, 28, 1), -1.0, 1.0)
    alpha = sample_interpolation_weights(tf.random.Generator.from_seed(2), 4)
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(critic, real, fake, alpha, epsilon=epsilon)
    kernel_gradient = tape.gradient(penalty, critic.layers[-1].kernel)  # the bias has none
    assert float(penalty) == pytest.approx(1.0, abs=1e-5)  # (0 - 1)^2
    gradients_finite = bool(np.all(np.isfinite(kernel_gradient.numpy())))
    assert gradients_finite == finite  # sqrt'(0) = inf: NaN without epsilon


def test_clipping_keeps_every_critic_weight_in_range():
    setup = build_wgan_setup(
        WGANConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    critic = setup.models["critic"]
    for variable in critic.trainable_variables:  # start far outside [-c, c]
        variable.assign(tf.fill(variable.shape, 0.5))
    outputs = setup.train_step(tf.random.uniform((4, 28, 28, 1), -1.0, 1.0))
    assert float(outputs["gradient_penalty"]) == 0.0
    for variable in critic.trainable_variables:
        values = variable.numpy()
        assert values.min() >= -0.01 and values.max() <= 0.01, variable.path
    assert max(np.abs(v.numpy()).max() for v in critic.trainable_variables) == pytest.approx(0.01)


def test_clipping_comes_after_the_critic_update():
    """RMSProp steps of ~1 per weight would leave the weights near +-1 if the clip came before
    the update; clipped after it, every critic weight ends inside [-c, c] and most on the bound."""
    setup = build_wgan_setup(
        WGANConfig(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0)
    )
    setup.optimizers["critic"].learning_rate.assign(1.0)
    setup.train_step(tf.random.uniform((4, 28, 28, 1), -1.0, 1.0))
    values = np.concatenate([v.numpy().ravel() for v in setup.models["critic"].trainable_variables])
    assert np.abs(values).max() <= 0.01
    assert np.mean(np.isclose(np.abs(values), 0.01)) > 0.5  # the update pushed them past c
    assert setup.monitor is None  # scores, not logits: the GAN monitor does not apply


@pytest.mark.parametrize(
    "build, config", [(build_wgan_setup, WGANConfig), (build_wgan_gp_setup, WGANGPConfig)]
)
def test_one_train_step_changes_weights_and_is_finite(build, config):
    setup = build(config(**TINY), image_shape=(28, 28, 1), settings=RunSettings(seed=0))
    before = {
        name: [w.numpy().copy() for w in model.trainable_weights]
        for name, model in setup.models.items()
    }
    outputs = setup.train_step(tf.random.uniform((4, 28, 28, 1), -1.0, 1.0))
    assert set(outputs) >= {
        "critic_loss",
        "generator_loss",
        "wasserstein_estimate",
        "gradient_penalty",
    }
    for name, value in outputs.items():
        assert value.shape == () and np.isfinite(float(value)), name
    for name, model in setup.models.items():
        assert any(
            not np.allclose(a, w.numpy()) for a, w in zip(before[name], model.trainable_weights)
        ), name
    if config is WGANGPConfig:
        assert float(outputs["gradient_penalty"]) > 0.0
        penalty_part = outputs["critic_loss"] + outputs["wasserstein_estimate"]
        assert float(penalty_part) == pytest.approx(
            10.0 * float(outputs["gradient_penalty"]), rel=1e-4
        )


def test_cli_train_then_sample_wgan_gp(tmp_path, capsys):
    run = tmp_path / "run"
    code = cli.main(
        ["train", "wgan-gp", "--epochs", "1", "--batch-size", "256", "--latent-dim", "8"]
        + ["--out", str(run), "--no-progress"]
    )
    assert code == 0
    assert (run / "progress.gif").exists() and (run / "samples" / "epoch_0001.png").exists()
    history = json.loads((run / "history.json").read_text())
    assert history[0]["step"] == 4500 // 256 and np.isfinite(history[0]["wasserstein_estimate"])
    out = tmp_path / "samples.npz"
    assert cli.main(["sample", "wgan-gp", "--from", str(run), "--n", "10", "--out", str(out)]) == 0
    with np.load(out) as arrays:
        assert arrays["x"].dtype == np.uint8 and arrays["x"].shape == (10, 28, 28)
        assert "y" not in arrays and arrays["x"].std() > 0
    assert (
        cli.main(["sample", "--from", str(run), "--n", "4", "--label", "3", "--out", str(out)]) == 2
    )


def test_packed_alpha_is_one_value_per_pack():
    alpha = sample_interpolation_weights(tf.random.Generator.from_seed(3), 12, packing=4).numpy()
    assert alpha.shape == (12, 1, 1, 1)
    packs = alpha.reshape(3, 4)
    assert np.all(packs == packs[:, :1])  # the 4 members of a pack share their alpha
    assert len(np.unique(packs[:, 0])) == 3  # and the packs differ


def test_packed_penalty_is_the_penalty_of_the_critic_on_whole_packs():
    # A packing critic and the same layers fed packs by hand must give the same penalty: the
    # norm is over a pack's 4 images together. Per-image norms would give a different value.
    packing, batch = 4, 8
    critic = build_wgan_critic(filters=(8, 16), normalization="layer", packing=packing)
    assert critic(tf.zeros((batch, 28, 28, 1))).shape == (batch // packing, 1)
    packed_input = keras.Input((28, 28, packing))
    x = packed_input
    for layer in critic.layers[2:]:  # after the Input and the PackSamples layers
        x = layer(x)
    on_packs = keras.Model(packed_input, x)
    pack = PackSamples(packing)
    real = tf.random.uniform((batch, 28, 28, 1), -1.0, 1.0)
    fake = tf.random.uniform((batch, 28, 28, 1), -1.0, 1.0)
    alpha = sample_interpolation_weights(tf.random.Generator.from_seed(4), batch, packing=packing)
    packed = losses.gradient_penalty(critic, real, fake, alpha, packing=packing)
    by_hand = losses.gradient_penalty(on_packs, pack(real), pack(fake), alpha[::packing])
    per_image = losses.gradient_penalty(critic, real, fake, alpha)
    assert float(packed) == pytest.approx(float(by_hand), rel=1e-5)
    assert abs(float(per_image) - float(by_hand)) > 1e-3


def test_packing_must_divide_the_batch():
    with pytest.raises(ValueError, match="multiple of the discriminator's packing"):
        build_wgan_gp_setup(
            WGANGPConfig(**TINY, critic_packing=3), settings=RunSettings(batch_size=64)
        )
    with pytest.raises(ValueError, match="critic_packing"):
        WGANGPConfig(critic_packing=0)
