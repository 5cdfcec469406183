"""Run in a fresh process (logical devices must be set before TensorFlow starts): for each
family named on the command line, a few train steps of a tiny config on two logical CPUs
under MirroredStrategy against the same steps on one device. Prints one JSON line per
family: the largest weight difference, the largest weight change, and both runs' losses.

Every optimizer is swapped for plain SGD here: its update is proportional to the gradient,
so a loss that is summed over replicas instead of averaged shows at once (Adam divides by
the gradient's own scale and would hide it).
"""

import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gan_course.data import load_dataset, make_dataset  # noqa: E402
from gan_course.registry import get_recipe  # noqa: E402
from gan_course.training import setup as setup_module  # noqa: E402
from gan_course.training.distribution import distribute_step  # noqa: E402
from gan_course.training.precision import wrap_optimizer  # noqa: E402
from gan_course.training.settings import RunSettings  # noqa: E402
from tests.tiny_configs import TINY  # noqa: E402

STEPS, BATCH = 2, 16


def sgd(self, variables):
    optimizer = wrap_optimizer(keras.optimizers.SGD(learning_rate=0.05))
    optimizer.build(variables)
    return optimizer


setup_module.OptimizerSpec.build = sgd


def weights(setup):
    return [np.array(v.numpy()) for model in setup.models.values() for v in model.weights]


def run(model: str, strategy):
    recipe = get_recipe(model)
    changes, dataset = TINY[model]
    images, labels = load_dataset(dataset)
    with strategy.scope():
        keras.utils.set_random_seed(0)  # the same initial weights in both runs
        setup = recipe.build(
            recipe.load_config_class()(**changes),
            image_shape=images.shape[1:],
            # Several replicas never run XLA (training.setup explains why), and XLA draws
            # other random numbers: both runs take the plain step, so they are comparable.
            settings=RunSettings(batch_size=BATCH, seed=0, jit_compile=False),
        )
    before = weights(setup)
    data = make_dataset(
        images[: STEPS * BATCH],
        labels[: STEPS * BATCH] if setup.conditional else None,
        batch_size=BATCH,
        scale=setup.scale,
        seed=0,
        epoch=1,
    )
    step = setup.train_step
    if strategy.num_replicas_in_sync > 1:
        step = distribute_step(step, strategy)
        data = strategy.experimental_distribute_dataset(data)
    losses = [{k: float(v) for k, v in step(batch).items()} for batch in data]
    return before, weights(setup), losses


mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
for model in sys.argv[1:]:
    start, single, single_losses = run(model, tf.distribute.get_strategy())
    _, replicated, mirrored_losses = run(model, mirrored)
    print(
        json.dumps(
            {
                "model": model,
                "replicas": mirrored.num_replicas_in_sync,
                "max_weight_difference": max(
                    float(np.max(np.abs(a - b))) for a, b in zip(single, replicated, strict=True)
                ),
                "max_weight_change": max(
                    float(np.max(np.abs(a - b))) for a, b in zip(single, start, strict=True)
                ),
                "single_losses": single_losses,
                "mirrored_losses": mirrored_losses,
            }
        ),
        flush=True,
    )
