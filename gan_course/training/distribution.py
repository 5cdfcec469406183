"""Multi-device training through `tf.distribute` (no home-made engine).

What changes for a user: build the models, optimizers and RNG inside `strategy.scope()`,
and pass `strategy=` to `training.fit`, which distributes the dataset and runs the step on
every replica. Inside a step, each replica sees its share of the global batch; Keras
optimizers *sum* gradients over replicas, so steps divide their loss by the number of
replicas before taking gradients (`scale_for_replicas`), which makes the update the mean
over the global batch, as on one device.

- `default`: one device (GPU if present, else CPU).
- `mirrored`: all local GPUs (or logical CPU devices), synchronous data parallelism.
- `multiworker`: `MultiWorkerMirroredStrategy` across machines listed in `TF_CONFIG`.
- On Colab TPU: `tf.distribute.TPUStrategy(tf.distribute.cluster_resolver.TPUClusterResolver())`
  plugs in the same way (`fit(..., strategy=...)`), untested here for lack of a TPU.
"""

from __future__ import annotations

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multiworker")


def get_strategy(name: str = "default") -> tf.distribute.Strategy:
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def scale_for_replicas(loss):
    """`loss / replicas`: gradients of this, summed by the optimizer over replicas, give the global mean."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / tf.cast(replicas, loss.dtype)


def replica_gradient_norm(gradients):
    """Global norm of the gradient of one replica's unscaled loss (undoes `scale_for_replicas`)."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return tf.linalg.global_norm(gradients) * replicas


def distribute_step(step, strategy: tf.distribute.Strategy):
    """Run `step` on every replica and average each returned scalar over replicas."""

    @tf.function
    def distributed(batch):
        per_replica = strategy.run(step, args=(batch,))
        return {
            key: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
            for key, value in per_replica.items()
        }

    return distributed
