"""Random draws inside train steps that are the same on one device and on several.

Under `tf.distribute`, a `tf.random.Generator` gives each replica its own stream, so two
replicas would not see the noise that one device sees for the same global batch, and a
multi-device run would follow another trajectory. These helpers draw the *global* batch's
numbers once, in cross-replica context (`merge_call`), from the one generator state, and
hand each replica its slice: one device and N replicas see the same numbers, which is what
the registry-wide test in tests/test_every_family.py checks. On one device they are a
plain generator call.
"""

from __future__ import annotations

import tensorflow as tf


def _draw(rng: tf.random.Generator, shape, per_example: bool, draw):
    context = tf.distribute.get_replica_context()
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if context is None or replicas == 1:
        return draw(shape)
    shape = tf.convert_to_tensor(shape, tf.int32)
    if not per_example:  # one value for the whole batch: every replica gets the same one
        return context.merge_call(lambda strategy: draw(shape))
    local = shape[0]
    global_shape = tf.concat([[local * replicas], shape[1:]], axis=0)
    full = context.merge_call(lambda strategy: draw(global_shape))
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * local
    return full[start : start + local]


def normal(
    rng: tf.random.Generator,
    shape,
    *,
    stddev=1.0,
    dtype=tf.float32,
    per_example: bool = True,
):
    """Normal numbers (mean 0) of `shape`, (B, ...) per replica when `per_example`."""
    return _draw(rng, shape, per_example, lambda s: rng.normal(s, stddev=stddev, dtype=dtype))


def uniform(
    rng: tf.random.Generator,
    shape,
    minval=0.0,
    maxval=1.0,
    *,
    dtype=tf.float32,
    per_example: bool = True,
):
    """Uniform numbers in [minval, maxval) of `shape` (integers when `dtype` is an int type)."""
    return _draw(
        rng, shape, per_example, lambda s: rng.uniform(s, minval=minval, maxval=maxval, dtype=dtype)
    )
