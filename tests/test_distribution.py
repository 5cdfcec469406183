"""tf.distribute: a MirroredStrategy step on two logical CPUs equals a single-device step."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf

from gan_course.training.distribution import distribute_step, get_strategy, scale_for_replicas

ROOT = Path(__file__).resolve().parent.parent


def test_mirrored_step_matches_single_device_step():
    # Logical devices must be configured before TensorFlow starts: a fresh process.
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "mirrored_check.py")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["max_weight_difference"] < 1e-6
    assert report["mirrored_losses"] == pytest.approx(report["single_losses"], rel=1e-6)
    # The shared GAN step and the loop run under the strategy: finite, and the generator learns.
    epoch = report["gan_history"][0]
    assert epoch["step"] == 4 and report["gan_generator_moved"]
    assert report["gan_average_updates"] == 4  # the weight average moved once per step
    # Weight clipping holds on every replica's copy of the critic.
    assert 0 < report["wgan_largest_critic_weight"] <= report["wgan_clip_value"]
    assert all(
        math.isfinite(epoch[key]) for key in ("d_loss", "g_loss", "d_grad_norm", "g_grad_norm")
    )


def test_default_strategy_leaves_losses_unscaled_and_distribute_step_averages():
    loss = tf.constant(3.0)
    assert scale_for_replicas(loss) is loss
    strategy = get_strategy("default")

    def step(batch):
        return {"mean": tf.reduce_mean(batch)}

    assert float(distribute_step(step, strategy)(tf.constant([1.0, 3.0]))["mean"]) == 2.0
    with pytest.raises(ValueError, match="unknown strategy"):
        get_strategy("horovod")
