"""Reliability: exact resume after SIGKILL, corrupt checkpoints, NaN guard."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from gan_course.training import NonFiniteLossError, fit
from gan_course.training.checkpoints import CheckpointKeeper
from tests.test_training import make_regression

TRAIN = [
    sys.executable,
    "-m",
    "gan_course",
    "train",
    "dcgan",
    "--epochs",
    "2",
    "--batch-size",
    "256",
    "--latent-dim",
    "16",
    "--checkpoint-every",
    "5",
    "--deterministic",
    "--no-progress",
]


def checkpoint_values(directory):
    """Every saved tensor of the newest checkpoint in a run folder, by name."""
    reader = tf.train.load_checkpoint(str(directory / "checkpoints"))
    names = [
        name
        for name in reader.get_variable_to_shape_map()
        if "save_counter" not in name and "_CHECKPOINTABLE_OBJECT_GRAPH" not in name
    ]
    return {name: reader.get_tensor(name) for name in names}


def test_sigkill_mid_epoch_then_rerun_gives_the_uninterrupted_weights(tmp_path):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    straight = tmp_path / "straight"
    subprocess.run(
        [*TRAIN, "--out", str(straight)],
        check=True,
        env=environment,
        capture_output=True,
        timeout=300,
    )

    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(
        [*TRAIN, "--out", str(interrupted)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    # Kill as soon as the first mid-epoch checkpoint (step 5 of 17) is registered. Its files
    # appear before the manager's state file names it; a kill in between leaves nothing to
    # resume from (training then restarts, correctly, but this test wants a resume).
    while tf.train.latest_checkpoint(str(interrupted / "checkpoints")) is None:
        assert process.poll() is None and time.monotonic() < deadline, (
            "training ended before it could be killed"
        )
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (interrupted / "history.json").exists()  # killed inside epoch 1

    resumed = subprocess.run(
        [*TRAIN, "--out", str(interrupted)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming from" in resumed.stdout and "step " in resumed.stdout
    expected, actual = checkpoint_values(straight), checkpoint_values(interrupted)
    assert expected.keys() == actual.keys()
    assert any("rng" in name for name in actual) and any("optimizer" in name for name in actual)
    for name in expected:
        np.testing.assert_array_equal(expected[name], actual[name], err_msg=name)


def test_corrupt_latest_checkpoint_falls_back_with_a_warning(tmp_path):
    model, optimizer, step, dataset = make_regression()
    fit(
        step,
        dataset,
        epochs=2,
        keeper=CheckpointKeeper(tmp_path, model=model, optimizer=optimizer),
        progress=False,
        verbose=False,
    )
    newest = tmp_path / "ckpt-8.data-00000-of-00001"
    newest.write_bytes(newest.read_bytes()[:20])  # a truncated write
    model, optimizer, _, _ = make_regression()
    keeper = CheckpointKeeper(tmp_path, model=model, optimizer=optimizer)
    with pytest.warns(UserWarning, match="ckpt-8 is corrupt.*falling back to .*ckpt-4"):
        assert keeper.restore_latest()
    assert int(keeper.epoch.numpy()) == 1 and int(keeper.step.numpy()) == 4


def test_all_checkpoints_corrupt_is_an_error_not_a_silent_restart(tmp_path):
    model, optimizer, step, dataset = make_regression()
    fit(
        step,
        dataset,
        epochs=1,
        keeper=CheckpointKeeper(tmp_path, model=model, optimizer=optimizer),
        progress=False,
        verbose=False,
    )
    (tmp_path / "ckpt-4.data-00000-of-00001").write_bytes(b"")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="no usable checkpoint"):
        CheckpointKeeper(tmp_path, model=model, optimizer=optimizer).restore_latest()


def test_nan_stops_training_names_step_and_keeps_last_good_checkpoint(tmp_path):
    model, optimizer, step, dataset = make_regression()
    calls = {"count": 0}

    def poisoned_step(batch):
        outputs = step(batch)
        calls["count"] += 1
        if calls["count"] == 7:  # step 7 = the 3rd step of epoch 2
            outputs = {**outputs, "loss": outputs["loss"] * float("nan")}
        return outputs

    keeper = CheckpointKeeper(tmp_path, model=model, optimizer=optimizer)
    with pytest.raises(
        NonFiniteLossError, match=r"non-finite loss at step 7.*ckpt-4.*learning rate.*epsilon"
    ):
        fit(poisoned_step, dataset, epochs=3, keeper=keeper, progress=False, verbose=False)
    assert keeper.manager.latest_checkpoint.endswith("ckpt-4")
    assert calls["count"] == 8  # stopped at the end of epoch 2's last step, before any save


def test_nan_is_caught_at_the_periodic_check_before_a_mid_epoch_save(tmp_path):
    model, optimizer, step, dataset = make_regression()

    def nan_gradient_norm_step(batch):
        return {**step(batch), "grad_norm": tf.constant(float("inf"))}

    keeper = CheckpointKeeper(tmp_path, model=model, optimizer=optimizer)
    with pytest.raises(NonFiniteLossError, match="non-finite grad_norm at step 1"):
        fit(
            nan_gradient_norm_step,
            dataset,
            epochs=1,
            keeper=keeper,
            checkpoint_every_steps=2,
            progress=False,
            verbose=False,
        )
    assert keeper.manager.latest_checkpoint is None


def test_same_seed_gives_identical_samples_and_metrics(tmp_path):
    from gan_course.cli import main
    from gan_course.evaluation.score_file import evaluate_file

    def train_and_sample(run: str, seed: int) -> np.ndarray:
        """One short DCGAN run with `seed`, then 200 samples: uint8 (200, 28, 28)."""
        folder, samples_file = str(tmp_path / run), str(tmp_path / f"{run}.npz")
        train = ["train", "dcgan", "--epochs", "1", "--batch-size", "256", "--latent-dim", "16"]
        assert main([*train, "--seed", str(seed), "--out", folder, "--no-progress"]) == 0
        assert main(["sample", "--from", folder, "--n", "200", "--out", samples_file]) == 0
        return np.load(samples_file)["x"]

    first, second = train_and_sample("a", seed=3), train_and_sample("b", seed=3)
    np.testing.assert_array_equal(first, second)
    assert evaluate_file(tmp_path / "a.npz") == evaluate_file(tmp_path / "b.npz")
    # and a different seed gives different samples
    assert not np.array_equal(train_and_sample("c", seed=4), first)
