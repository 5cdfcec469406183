"""Every family of the registry, on the paths it offers: several devices and mixed precision.

- Two logical CPU devices under MirroredStrategy give the same weights as one device after
  a few steps (tests/every_family_check.py, in a fresh process, with SGD so that a summed
  instead of averaged gradient would show).
- Under mixed_float16 (the GPU path, with loss scaling), every family that offers it
  trains with finite losses and float32 outputs; one that does not refuses at start-up.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course.data import load_dataset, make_dataset
from gan_course.registry import RECIPES, get_recipe
from gan_course.training.settings import RunSettings
from tests.tiny_configs import TINY

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = sorted(RECIPES)


def test_every_registered_family_has_a_tiny_config():
    assert sorted(TINY) == FAMILIES


@pytest.fixture(scope="module")
def mirrored_reports():
    # Logical devices must be configured before TensorFlow starts: a fresh process, once.
    result = subprocess.run(
        [sys.executable, "-m", "tests.every_family_check", *FAMILIES],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {report["model"]: report for report in reports}


@pytest.mark.parametrize("model", FAMILIES)
def test_two_replicas_give_the_weights_of_one_device(mirrored_reports, model):
    report = mirrored_reports[model]
    assert report["replicas"] == 2
    assert report["max_weight_change"] > 1e-4  # the steps really trained
    # A gradient summed over replicas instead of averaged would differ by about the
    # change itself; float32 reduction order leaves a few units in the last place.
    assert report["max_weight_difference"] < 1e-3 * report["max_weight_change"] + 1e-6, report
    for single, mirrored in zip(report["single_losses"], report["mirrored_losses"], strict=True):
        for key, value in single.items():
            if not key.endswith("grad_norm"):  # per-replica norms: not the global norm
                assert mirrored[key] == pytest.approx(value, rel=1e-4, abs=1e-5), key


def tiny_setup(model: str, precision: str):
    recipe = get_recipe(model)
    changes, dataset = TINY[model]
    images, labels = load_dataset(dataset)
    setup = recipe.build(
        recipe.load_config_class()(**changes),
        image_shape=images.shape[1:],
        settings=RunSettings(batch_size=16, precision=precision, seed=0),
    )
    batches = make_dataset(
        images[:48],
        labels[:48] if setup.conditional else None,
        batch_size=16,
        scale=setup.scale,
        seed=0,
        epoch=1,
    )
    return setup, batches


@pytest.mark.parametrize("model", FAMILIES)
def test_mixed_float16_trains_finite_with_float32_outputs(model):
    supported = get_recipe(model).load_setup_function().precisions
    if "mixed_float16" not in supported:
        with pytest.raises(ValueError, match="does not support precision"):
            tiny_setup(model, "mixed_float16")
        return
    setup, batches = tiny_setup(model, "mixed_float16")
    layers = [layer for m in setup.models.values() for layer in m.layers]
    assert any(layer.compute_dtype == "float16" for layer in layers)  # the policy was applied
    assert all(v.dtype == "float32" for m in setup.models.values() for v in m.weights)
    assert keras.config.dtype_policy().name == "float32"  # restored after building
    assert all(
        isinstance(o, keras.optimizers.LossScaleOptimizer) for o in setup.optimizers.values()
    )
    before = [v.numpy().copy() for m in setup.models.values() for v in m.trainable_variables]
    # Dynamic loss scaling starts at 2**15 and halves on each overflowed (skipped) step:
    # losses summed over 784 pixels need up to ~9 steps before the first update.
    for batch in batches.repeat(4):
        outputs = setup.train_step(batch)
    assert all(np.isfinite(float(value)) for value in outputs.values()), outputs
    after = [v.numpy() for m in setup.models.values() for v in m.trainable_variables]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    samples = tf.nest.flatten(setup.sample(setup.fixed_inputs))
    assert all(tf.convert_to_tensor(s).dtype in (tf.float32, tf.int32, tf.uint8) for s in samples)
    assert all(np.isfinite(np.asarray(s, dtype=np.float64)).all() for s in samples)


def test_a_family_refuses_an_unsupported_strategy_at_start_up():
    setup_function = get_recipe("dcgan").load_setup_function()
    from gan_course.training.setup import family_setup

    @family_setup(setup_function.run_defaults, strategies=("default",))
    def build_single_device_setup(config, *, image_shape, settings):
        raise AssertionError("never reached: refused before anything is built")

    with pytest.raises(ValueError, match="does not support strategy 'mirrored'"):
        build_single_device_setup(
            None, image_shape=(28, 28, 1), settings=RunSettings(strategy="mirrored")
        )
