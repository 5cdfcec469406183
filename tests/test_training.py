"""The training loop: history, checkpoints with counters, resume, time budget, callbacks."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course.training import fit
from gan_course.training.callbacks import Callback, SampleGrids
from gan_course.training.checkpoints import CheckpointKeeper


def make_regression(seed=0):
    """A linear model (initialised from `seed`), its optimizer, a compiled step and fixed data."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    optimizer = keras.optimizers.Adam(0.05)
    optimizer.build(model.trainable_variables)
    target_weights = tf.constant([[1.0], [-2.0], [0.5], [3.0]])

    @tf.function
    def step(batch):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(batch) - batch @ target_weights))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return {"loss": loss}

    dataset = tf.data.Dataset.from_tensor_slices(
        np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    ).batch(16)
    return model, optimizer, step, dataset


def test_fit_records_history_and_learns(tmp_path):
    model, optimizer, step, dataset = make_regression()
    history = fit(
        step, dataset, epochs=5, history_path=tmp_path / "h.json", progress=False, verbose=False
    )
    assert [entry["epoch"] for entry in history] == [1, 2, 3, 4, 5]
    assert [entry["step"] for entry in history] == [4, 8, 12, 16, 20]
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    assert json.loads((tmp_path / "h.json").read_text()) == history


def test_checkpoint_roundtrip_restores_weights_and_counters(tmp_path):
    model, optimizer, step, dataset = make_regression()
    keeper = CheckpointKeeper(tmp_path, model=model, optimizer=optimizer)
    fit(step, dataset, epochs=2, keeper=keeper, progress=False, verbose=False)
    saved = [w.numpy() for w in model.weights] + [v.numpy() for v in optimizer.variables]

    fresh_model, fresh_optimizer, _, _ = make_regression(seed=1)
    fresh = CheckpointKeeper(tmp_path, model=fresh_model, optimizer=fresh_optimizer)
    assert fresh.restore_latest()
    restored = [w.numpy() for w in fresh_model.weights] + [
        v.numpy() for v in fresh_optimizer.variables
    ]
    for a, b in zip(saved, restored, strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(fresh.epoch.numpy()) == 2 and int(fresh.step.numpy()) == 8


def test_checkpoint_of_another_model_is_refused(tmp_path):
    model, optimizer, step, dataset = make_regression()
    fit(
        step,
        dataset,
        epochs=1,
        keeper=CheckpointKeeper(tmp_path, model=model, optimizer=optimizer),
        progress=False,
        verbose=False,
    )
    inputs = keras.Input((4,))
    other = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(8)(inputs)))
    with pytest.raises(ValueError, match="does not match"):
        CheckpointKeeper(tmp_path, model=other).restore_latest()


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    # Uninterrupted: 4 epochs in one go.
    model, optimizer, step, dataset = make_regression()
    straight = fit(step, dataset, epochs=4, progress=False, verbose=False)
    expected = [w.numpy() for w in model.weights]

    # Interrupted after 2 epochs, then a new process-like start resumes from the folder.
    model, optimizer, step, dataset = make_regression()
    fit(
        step,
        dataset,
        epochs=2,
        keeper=CheckpointKeeper(tmp_path / "ck", model=model, optimizer=optimizer),
        history_path=tmp_path / "h.json",
        progress=False,
        verbose=False,
    )
    model, optimizer, step, dataset = make_regression(seed=5)  # different init: must be overwritten
    keeper = CheckpointKeeper(tmp_path / "ck", model=model, optimizer=optimizer)
    resumed = fit(
        step,
        dataset,
        epochs=4,
        keeper=keeper,
        history_path=tmp_path / "h.json",
        progress=False,
        verbose=False,
    )
    assert [entry["epoch"] for entry in resumed] == [1, 2, 3, 4]
    assert resumed[-1]["step"] == straight[-1]["step"] == 16
    for a, b in zip(expected, [w.numpy() for w in model.weights], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # running again with the same epochs does nothing more
    again = fit(
        step,
        dataset,
        epochs=4,
        keeper=keeper,
        history_path=tmp_path / "h.json",
        progress=False,
        verbose=False,
    )
    assert len(again) == 4 and int(keeper.step.numpy()) == 16


def test_time_budget_stops_mid_epoch_and_marks_it_incomplete():
    _, _, step, dataset = make_regression()
    history = fit(step, dataset, epochs=50, max_minutes=1e-9, progress=False, verbose=False)
    assert len(history) == 1 and history[0]["step"] == 1 and history[0]["complete"] is False


def test_callbacks_see_every_epoch_and_sample_grids_write_frames_and_gif(tmp_path):
    _, _, step, dataset = make_regression()
    seen = []

    class Recorder(Callback):
        def on_epoch_end(self, epoch, logs):
            seen.append((epoch, sorted(logs)))

    fixed = np.linspace(-1, 1, 4 * 28 * 28, dtype="float32").reshape(4, 28, 28, 1)
    grids = SampleGrids(
        lambda x: x, fixed, tmp_path / "samples", gif_path=tmp_path / "progress.gif"
    )
    fit(step, dataset, epochs=3, callbacks=[Recorder(), grids], progress=False, verbose=False)
    assert [epoch for epoch, _ in seen] == [1, 2, 3]
    assert "loss" in seen[0][1]
    assert sorted(p.name for p in (tmp_path / "samples").glob("*.png")) == [
        f"epoch_000{i}.png" for i in range(4)
    ]
    assert (tmp_path / "progress.gif").read_bytes()[:6] == b"GIF89a"


@pytest.mark.parametrize("kwargs", [{"epochs": 0}, {"epochs": -1}, {"epochs": 2, "max_minutes": 0}])
def test_fit_rejects_bad_arguments(kwargs):
    _, _, step, dataset = make_regression()
    with pytest.raises(ValueError):
        fit(step, dataset, progress=False, verbose=False, **kwargs)
