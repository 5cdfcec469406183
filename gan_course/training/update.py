"""The package's one update path: every train step changes weights through `apply_update`.

One call does the four things that multi-device and float16 training need, in the order
they must happen, so no family can forget one:

1. divide by the number of replicas: Keras optimizers *sum* gradients over replicas, so
   each replica's mean loss is divided by their number and the sum is the global mean;
2. apply the float16 loss scale (`LossScaleOptimizer`, 1 under other policies), seeded into
   the backward pass so small float16 gradients do not underflow on the way back;
3. take the gradients of the variables;
4. apply them (the optimizer unscales them, and skips a step whose float16 gradients
   overflowed).

It returns the global norm of one replica's gradient of its *unscaled* loss, for the
monitor and the history.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def replicas_in_sync() -> int:
    """How many replicas run this step together (1 outside `tf.distribute`)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def apply_update(tape: tf.GradientTape, loss, variables, optimizer) -> tf.Tensor:
    """Update `variables` to lower `loss` (recorded on `tape`); return the unscaled gradient norm.

    `loss` is this replica's scalar mean loss, float32. The tape must be closed (the call
    sits after its `with` block).
    """
    replicas = replicas_in_sync()
    # d(scale * loss / replicas) = seeding the backward pass with scale / replicas: the
    # same gradients as scaling the loss inside the tape, without asking every step to.
    seed = optimizer.scale_loss(tf.ones_like(loss)) / tf.cast(replicas, loss.dtype)
    gradients = tape.gradient(loss, variables, output_gradients=seed)
    norm = tf.linalg.global_norm(gradients) * tf.cast(replicas, tf.float32)
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        norm = norm / tf.cast(optimizer.dynamic_scale, norm.dtype)
        # An overflowed float16 step is skipped by the optimizer; report 0, not inf, so the
        # NaN guard stops only on real divergence (a non-finite loss).
        norm = tf.where(tf.math.is_finite(norm), norm, tf.zeros_like(norm))
    optimizer.apply_gradients(zip(gradients, variables))
    return norm


def minimize(loss_function, variables, optimizer) -> tuple[tf.Tensor, tf.Tensor]:
    """`apply_update` for a loss given as a function of nothing: returns (loss, gradient norm)."""
    with tf.GradientTape() as tape:
        loss = loss_function()
    return loss, apply_update(tape, loss, variables, optimizer)
