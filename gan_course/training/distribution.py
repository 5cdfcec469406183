"""Multi-device training through `tf.distribute` (no home-made engine).

What changes for a user: build the models, optimizers and RNG inside `strategy.scope()`,
and pass `strategy=` to `training.fit`, which distributes the dataset and runs the step on
every replica. Inside a step, each replica sees its share of the global batch; Keras
optimizers *sum* gradients over replicas, so the one update path
(`gan_course.training.update.apply_update`) divides each replica's loss by the number of
replicas before taking gradients, which makes the update the mean over the global batch,
as on one device.

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
