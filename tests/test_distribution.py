"""tf.distribute pieces on one device: step outputs averaged, random draws unchanged.

The multi-device equality of every family is tests/test_every_family.py."""

import numpy as np
import pytest
import tensorflow as tf

from gan_course.training import randomness
from gan_course.training.distribution import distribute_step, get_strategy


def test_distribute_step_averages_and_unknown_strategy_raises():
    strategy = get_strategy("default")

    def step(batch):
        return {"mean": tf.reduce_mean(batch)}

    assert float(distribute_step(step, strategy)(tf.constant([1.0, 3.0]))["mean"]) == 2.0
    with pytest.raises(ValueError, match="unknown strategy"):
        get_strategy("horovod")


def test_random_draws_on_one_device_are_the_generators_own():
    ours, reference = tf.random.Generator.from_seed(3), tf.random.Generator.from_seed(3)
    drawn = randomness.normal(ours, (4, 2), stddev=0.5)
    assert np.array_equal(drawn.numpy(), reference.normal((4, 2), stddev=0.5).numpy())
    integers = randomness.uniform(ours, (5,), 0, 7, dtype=tf.int32)
    assert np.array_equal(integers.numpy(), reference.uniform((5,), 0, 7, dtype=tf.int32).numpy())
