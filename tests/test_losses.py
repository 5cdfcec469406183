"""GAN, VAE and autoencoder losses against hand-computed values."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course import losses


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_discriminator_loss_matches_cross_entropy_by_hand():
    real, fake = tf.constant([[2.0], [0.0]]), tf.constant([[-1.0], [1.0]])
    expected_real = -np.mean([math.log(sigmoid(2.0)), math.log(sigmoid(0.0))])
    expected_fake = -np.mean([math.log(1 - sigmoid(-1.0)), math.log(1 - sigmoid(1.0))])
    assert losses.discriminator_loss(real, fake).numpy() == pytest.approx(
        expected_real + expected_fake, rel=1e-6
    )


def test_one_sided_label_smoothing_targets_real_only():
    real, fake = tf.constant([[2.0]]), tf.constant([[-1.0]])
    p = sigmoid(2.0)
    expected = -(0.9 * math.log(p) + 0.1 * math.log(1 - p)) - math.log(1 - sigmoid(-1.0))
    assert losses.discriminator_loss(real, fake, real_label=0.9).numpy() == pytest.approx(
        expected, rel=1e-6
    )


def test_generator_losses_by_hand_and_saturation():
    logits = tf.constant([[-1.0], [0.5]])
    nonsaturating = -np.mean([math.log(sigmoid(-1.0)), math.log(sigmoid(0.5))])
    minimax = np.mean([math.log(1 - sigmoid(-1.0)), math.log(1 - sigmoid(0.5))])
    assert losses.generator_loss_nonsaturating(logits).numpy() == pytest.approx(
        nonsaturating, rel=1e-6
    )
    assert losses.generator_loss_minimax(logits).numpy() == pytest.approx(minimax, rel=1e-6)
    # When D confidently rejects fakes (logit -10), the minimax gradient all but vanishes.
    rejected = tf.Variable([[-10.0]])
    with tf.GradientTape(persistent=True) as tape:
        saturating_loss = losses.generator_loss_minimax(rejected)
        strong_loss = losses.generator_loss_nonsaturating(rejected)
    assert abs(tape.gradient(saturating_loss, rejected).numpy()).item() < 1e-4
    assert abs(tape.gradient(strong_loss, rejected).numpy()).item() > 0.99
    with pytest.raises(ValueError, match="unknown generator loss"):
        losses.get_generator_loss("hinge")


def test_wasserstein_losses():
    real, fake = tf.constant([[3.0], [1.0]]), tf.constant([[0.5], [-0.5]])
    assert losses.critic_loss(real, fake).numpy() == pytest.approx(0.0 - 2.0)
    assert losses.wasserstein_generator_loss(fake).numpy() == pytest.approx(0.0)


def test_gaussian_kl_closed_form():
    # KL(N(1, 1) || N(0, 1)) = 0.5 per dimension; KL(N(0, e^{-2}) || N(0,1)) = 0.5(e^{-2} + 2 - 1)
    assert losses.gaussian_kl(tf.ones((3, 2)), tf.zeros((3, 2))).numpy() == pytest.approx(1.0)
    expected = 0.5 * (math.exp(-2.0) + 2.0 - 1.0)
    assert losses.gaussian_kl(tf.zeros((1, 1)), tf.fill((1, 1), -2.0)).numpy() == pytest.approx(
        expected, rel=1e-6
    )


def test_reconstruction_losses_sum_pixels_and_average_batch():
    targets = tf.zeros((2, 2, 2, 1))
    outputs = tf.ones((2, 2, 2, 1)) * 0.5
    assert losses.reconstruction_loss(targets, outputs).numpy() == pytest.approx(4 * 0.25)
    expected = 4 * math.log(2.0)  # target 0.5 would be minimal; target 0 with logit 0 costs log 2
    assert losses.bernoulli_reconstruction_loss(
        targets, tf.zeros_like(targets)
    ).numpy() == pytest.approx(expected, rel=1e-6)


def test_r1_penalty_of_a_linear_discriminator_is_its_squared_weight_norm():
    # D(x) = w . x + b has gradient w at every x, so E||grad D||^2 = ||w||^2 exactly.
    discriminator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    weights = np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    discriminator.layers[0].set_weights([weights, np.array([0.3], dtype="float32")])
    real = tf.constant(np.random.default_rng(0).normal(size=(5, 3)), tf.float32)
    penalty, logits = losses.r1_penalty(discriminator, real)
    assert float(penalty) == pytest.approx(1.0 + 4.0 + 0.25, rel=1e-6)
    np.testing.assert_allclose(logits.numpy(), real.numpy() @ weights + 0.3, rtol=1e-5)


def test_r1_penalty_is_zero_and_finite_for_a_flat_discriminator():
    discriminator = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="zeros")]
    )
    real = tf.zeros((4, 3))
    penalty, _ = losses.r1_penalty(discriminator, real)
    assert float(penalty) == 0.0
