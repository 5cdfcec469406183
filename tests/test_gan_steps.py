"""The shared adversarial step: simultaneous updates match a hand-written two-tape step."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course import losses
from gan_course.training.gan_steps import make_gan_train_step, repeat_step


def tiny_pair(seed):
    keras.utils.set_random_seed(seed)
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="tanh")])
    discriminator = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
    return generator, discriminator


def sgd(variables):
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(variables)
    return optimizer


def tiny_step(generator, discriminator, *, seed=5, **options):
    return make_gan_train_step(
        generator,
        discriminator,
        sgd(generator.trainable_variables),
        sgd(discriminator.trainable_variables),
        latent_dim=4,
        rng=tf.random.Generator.from_seed(seed),
        **options,
    )


def test_simultaneous_step_uses_one_batch_of_fakes_for_both_updates():
    real = tf.constant(np.random.default_rng(0).normal(size=(8, 6)), tf.float32)
    generator, discriminator = tiny_pair(0)
    outputs = tiny_step(generator, discriminator, simultaneous=True)(real)

    # By hand: the same noise, both gradients taken before either update.
    expected_generator, expected_discriminator = tiny_pair(0)
    noise = tf.random.Generator.from_seed(5).normal((8, 4))
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake_logits = expected_discriminator(expected_generator(noise))
        d_loss = losses.discriminator_loss(expected_discriminator(real), fake_logits)
        g_loss = losses.generator_loss_nonsaturating(fake_logits)
    d_gradients = d_tape.gradient(d_loss, expected_discriminator.trainable_variables)
    g_gradients = g_tape.gradient(g_loss, expected_generator.trainable_variables)
    for variable, gradient in zip(expected_discriminator.trainable_variables, d_gradients):
        variable.assign_sub(0.1 * gradient)
    for variable, gradient in zip(expected_generator.trainable_variables, g_gradients):
        variable.assign_sub(0.1 * gradient)

    assert float(outputs["d_loss"]) == pytest.approx(float(d_loss), rel=1e-6)
    assert float(outputs["g_loss"]) == pytest.approx(float(g_loss), rel=1e-6)
    pairs = zip(
        generator.weights + discriminator.weights,
        expected_generator.weights + expected_discriminator.weights,
        strict=True,
    )
    for actual, expected in pairs:
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_alternating_step_differs_from_simultaneous():
    """The default lets the generator see the updated discriminator: different weights."""
    real = tf.constant(np.random.default_rng(0).normal(size=(8, 6)), tf.float32)
    results = []
    for simultaneous in (False, True):
        generator, discriminator = tiny_pair(0)
        tiny_step(generator, discriminator, simultaneous=simultaneous)(real)
        results.append(generator.weights[0].numpy())
    assert not np.allclose(results[0], results[1])


def test_simultaneous_needs_one_discriminator_step():
    generator, discriminator = tiny_pair(0)
    with pytest.raises(ValueError, match="discriminator_steps=1"):
        tiny_step(generator, discriminator, discriminator_steps=2, simultaneous=True)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_repeat_step_matches_the_same_steps_called_one_by_one(jit_compile):
    batches = tf.constant(np.random.default_rng(1).normal(size=(3, 8, 6)), tf.float32)
    generator, discriminator = tiny_pair(0)
    # XLA draws different normals from the same generator state than the TF kernels do, so
    # the reference steps are compiled the same way as the repeated ones.
    one_by_one = tiny_step(generator, discriminator, jit_compile=jit_compile)
    for batch in batches:  # (8, 6) each
        expected = one_by_one(batch)

    repeated_generator, repeated_discriminator = tiny_pair(0)
    repeated = repeat_step(
        tiny_step(repeated_generator, repeated_discriminator), 3, jit_compile=jit_compile
    )
    outputs = repeated(batches)  # (3, 8, 6): three steps in one call

    assert float(outputs["d_loss"]) == pytest.approx(float(expected["d_loss"]), rel=1e-5)
    for ours, theirs in zip(
        repeated_generator.weights + repeated_discriminator.weights,
        generator.weights + discriminator.weights,
    ):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="steps_per_call"):
        repeat_step(one_by_one, 0)


def test_r1_gamma_adds_half_gamma_times_the_penalty_to_the_discriminator_loss():
    real = tf.constant(np.random.default_rng(2).normal(size=(8, 6)), tf.float32)
    plain_generator, plain_discriminator = tiny_pair(0)
    plain = tiny_step(plain_generator, plain_discriminator)(real)
    generator, discriminator = tiny_pair(0)
    # The linear discriminator's input gradient is its kernel: the penalty is ||w||^2.
    expected_penalty = float(tf.reduce_sum(tf.square(discriminator.layers[0].kernel)))
    penalised = tiny_step(generator, discriminator, r1_gamma=4.0)(real)
    assert float(penalised["d_loss"]) == pytest.approx(
        float(plain["d_loss"]) + 2.0 * expected_penalty, rel=1e-5
    )
    with pytest.raises(ValueError, match="r1_gamma"):
        tiny_step(generator, discriminator, r1_gamma=-1.0)
    with pytest.raises(ValueError, match="simultaneous=False"):
        tiny_step(generator, discriminator, r1_gamma=1.0, simultaneous=True)
