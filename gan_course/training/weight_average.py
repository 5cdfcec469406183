"""An exponential moving average of a generator's weights, used for sampling.

GAN weights orbit an equilibrium instead of settling on it; their running average sits
closer to it and draws cleaner, more stable samples at no training cost (Yazici et al.
2019, "The unusual effectiveness of averaging in GAN training"; used by ProGAN and
StyleGAN). The average covers every weight, BatchNorm's moving statistics included, so
the averaged model can be called with `training=False` on its own.
"""

from __future__ import annotations

import keras
import tensorflow as tf


class WeightAverage:
    """Holds `average`, a copy of `model` whose weights track theirs: a <- d a + (1 - d) w.

    The decay is warmed up as min(decay, (1 + t) / (10 + t)) in the update count t, so the
    first updates are not dominated by the random initial weights.
    """

    def __init__(self, model: keras.Model, *, decay: float = 0.999):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), e.g. 0.999, got {decay!r}")
        self.model = model
        self.decay = decay
        self.average = keras.models.clone_model(model)
        self.average.set_weights(model.get_weights())
        self.average.name = f"{model.name}_average"
        self.updates = tf.Variable(
            0,
            dtype=tf.int64,
            trainable=False,
            name="weight_average_updates",
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
        )

    def update(self) -> None:
        """Move the average one step towards the model's weights (inside a train step)."""
        context = tf.distribute.get_replica_context()
        if context is None or tf.distribute.get_strategy().num_replicas_in_sync == 1:
            self._assign()
        else:
            # Mirrored variables are written in cross-replica context, once for all copies.
            context.merge_call(self._assign)

    def _assign(self, strategy=None) -> None:
        # In cross-replica context a mirrored variable's assign writes every copy; the weights
        # it reads are identical on all replicas after the synchronous update.
        count = tf.cast(self.updates, tf.float32)
        decay = tf.minimum(self.decay, (1.0 + count) / (10.0 + count))
        for average, weight in zip(self.average.weights, self.model.weights, strict=True):
            average.assign(decay * average + (1.0 - decay) * tf.cast(weight, average.dtype))
        self.updates.assign_add(1)


def attach_weight_average(models: dict, decay: float):
    """Add `models["generator_average"]`, a `WeightAverage` of `models["generator"]`, when
    `decay > 0`; return (average or None, the model to sample from, its checkpointed state)."""
    generator = models["generator"]
    if decay <= 0:
        return None, generator, {}
    average = WeightAverage(generator, decay=decay)
    models["generator_average"] = average.average
    return average, average.average, {"generator_average_updates": average.updates}
