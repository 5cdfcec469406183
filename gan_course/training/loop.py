"""One small loop that runs any compiled train step over a dataset, with resume.

    history = fit(train_step, dataset, epochs=20, keeper=keeper, callbacks=[...])

The step is any callable `batch -> dict of scalar tensors` (usually a `tf.function`).
`dataset` is a `tf.data.Dataset`, or a function `epoch -> Dataset` whose order depends
only on the epoch (see `data.make_dataset(..., epoch=)`), which makes a resumed run see
exactly the batches an uninterrupted one would. Metrics are summed on the device and read
back every `log_every` steps, so the loop does not stall the step with host round-trips.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import tensorflow as tf

from gan_course.training.callbacks import Callback
from gan_course.training.checkpoints import CheckpointKeeper


class NonFiniteLossError(RuntimeError):
    """A train step returned NaN or Inf; training stopped and no checkpoint was written after it."""


def load_history(path: str | Path) -> list[dict]:
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else []


def save_history(path: str | Path, history: list[dict]) -> None:
    path = Path(path)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(history, indent=1))
    temporary.replace(path)  # atomic: a crash never leaves half a history file


def _progress_bar(total: int | None, initial: int, enabled: bool, images_per_step: int | None):
    """Counts steps, shown as images (and images/s) when the batch size is fixed."""
    from tqdm.auto import tqdm

    unit, scale = ("img", images_per_step) if images_per_step else ("step", False)
    return tqdm(
        total=total,
        initial=initial,
        disable=not enabled,
        unit=unit,
        unit_scale=scale,
        mininterval=2.0,
        dynamic_ncols=True,
    )


def _first_non_finite(recent: list[tuple[int, dict]]) -> tuple[int, str] | None:
    """(step, metric) of the first non-finite value among recent step outputs, if any."""
    for step, outputs in recent:
        for key, value in outputs.items():
            if not math.isfinite(float(value)):
                return step, key
    return None


def _raise_non_finite(step: int, key: str, keeper: CheckpointKeeper | None):
    kept = (
        f"The last good checkpoint is kept: {keeper.manager.latest_checkpoint}. "
        if keeper is not None and keeper.manager.latest_checkpoint
        else ""
    )
    raise NonFiniteLossError(
        f"non-finite {key} at step {step}; training stopped. {kept}Likely causes: a learning rate "
        "that is too high, a missing epsilon (e.g. inside the gradient-penalty norm or a log), "
        "or bad input data (NaN pixels)."
    )


def fit(
    train_step: Callable,
    dataset: tf.data.Dataset | Callable[[int], tf.data.Dataset],
    *,
    epochs: int,
    max_minutes: float | None = None,
    keeper: CheckpointKeeper | None = None,
    history_path: str | Path | None = None,
    callbacks: Sequence[Callback] = (),
    checkpoint_every_steps: int | None = None,
    strategy: tf.distribute.Strategy | None = None,
    log_every: int = 25,
    progress: bool = True,
    verbose: bool = True,
) -> list[dict]:
    """Train for `epochs` epochs or `max_minutes`, whichever ends first; return the history.

    With a `keeper`, the newest usable checkpoint in its folder is restored first, so the
    same call again resumes at the saved epoch, step and position in the epoch. Checkpoints
    are written after every epoch, every `checkpoint_every_steps` steps, and when the time
    budget ends (mid-epoch; the history marks that epoch "complete": false until a later
    run finishes it). Values are checked for NaN/Inf every `log_every` steps and before
    every save: the first non-finite one raises `NonFiniteLossError` naming the step.

    With a `strategy` (see `gan_course.training.distribution`), each batch is split over its
    replicas and the step runs on all of them; build the models in `strategy.scope()`.
    `images_per_second` in the history counts the data the step consumed, excluding the
    first step of the run (tracing and compilation).
    """
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if max_minutes is not None and not max_minutes > 0:
        raise ValueError(f"max_minutes must be positive, got {max_minutes!r}")
    if checkpoint_every_steps is not None and checkpoint_every_steps <= 0:
        raise ValueError(f"checkpoint_every_steps must be positive, got {checkpoint_every_steps!r}")
    dataset_for_epoch = dataset if callable(dataset) else (lambda epoch: dataset)
    if strategy is not None:
        from gan_course.training.distribution import distribute_step

        train_step = distribute_step(train_step, strategy)
    history = load_history(history_path) if history_path else []
    completed_epochs, step, skip = 0, 0, 0
    if keeper is not None:
        if keeper.restore_latest():
            completed_epochs, step, skip = (
                int(v.numpy()) for v in (keeper.epoch, keeper.step, keeper.epoch_step)
            )
            if verbose:
                print(
                    f"Resuming from {keeper.restored_path} (epoch {completed_epochs}, step {step})."
                )
        history = [entry for entry in history if entry["epoch"] <= completed_epochs]
    elif history:
        history = []  # no checkpoint to continue from: start a fresh history
    if completed_epochs >= epochs:
        if verbose:
            print(
                f"Already trained for {completed_epochs} epochs; nothing to do (raise epochs to continue)."
            )
        return history

    first_dataset = dataset_for_epoch(completed_epochs + 1)
    cardinality = int(first_dataset.cardinality().numpy())
    images_per_step = tf.nest.flatten(first_dataset.element_spec)[0].shape[
        0
    ]  # None if batches vary
    steps_per_epoch = cardinality if cardinality > 0 else None
    total = steps_per_epoch * (epochs - completed_epochs) if steps_per_epoch else None
    deadline = time.monotonic() + 60.0 * max_minutes if max_minutes else math.inf
    for callback in callbacks:
        callback.on_train_begin(completed_epochs)

    def save(epoch_done: int, position: int) -> None:
        if keeper is not None:
            keeper.epoch.assign(epoch_done)
            keeper.step.assign(step)
            keeper.epoch_step.assign(position)
            keeper.save()

    bar = _progress_bar(total, skip, progress, images_per_step)
    out_of_time = False
    for epoch in range(completed_epochs + 1, epochs + 1):
        epoch_start = time.monotonic()
        batches = dataset_for_epoch(epoch)
        position = skip if epoch == completed_epochs + 1 else 0
        if position:
            batches = batches.skip(position)  # resume inside the epoch
        if strategy is not None:
            batches = strategy.experimental_distribute_dataset(batches)
        sums, count, recent = None, 0, []
        timed_start = None
        for batch in batches:
            outputs = train_step(batch)
            if timed_start is None:
                # Throughput is timed from the end of each epoch's first step, which leaves
                # out the tracing and compilation of the run's first call.
                timed_start = time.monotonic()

            sums = dict(outputs) if sums is None else {k: sums[k] + outputs[k] for k in sums}
            count += 1
            position += 1
            step += 1
            recent.append((step, outputs))
            bar.update(1)
            out_of_time = time.monotonic() >= deadline
            due_save = checkpoint_every_steps and step % checkpoint_every_steps == 0
            if count % log_every == 0 or due_save or out_of_time:
                # One host read checks every step since the last check: NaN/Inf propagates into the sums.
                if not all(math.isfinite(float(value)) for value in sums.values()):
                    _raise_non_finite(*_first_non_finite(recent), keeper)
                recent = []
                bar.set_postfix({k: f"{float(v):.3f}" for k, v in outputs.items()}, refresh=False)
            if out_of_time:
                break
            if due_save and position != steps_per_epoch:
                save(epoch - 1, position)
        if count == 0:
            raise ValueError("the dataset produced no batches: is batch_size larger than the data?")
        found = _first_non_finite(recent)
        if found:
            _raise_non_finite(*found, keeper)
        complete = not out_of_time or position == steps_per_epoch
        logs = {"epoch": epoch, "step": step, "seconds": round(time.monotonic() - epoch_start, 3)}
        logs.update({key: float(value.numpy()) / count for key, value in sums.items()})
        if images_per_step and count > 1:
            logs["images_per_second"] = round(
                (count - 1) * images_per_step / (time.monotonic() - timed_start), 1
            )
        logs["complete"] = complete
        for callback in callbacks:
            callback.on_epoch_end(epoch, logs)
        history = [entry for entry in history if entry["epoch"] != epoch] + [logs]
        save(epoch if complete else epoch - 1, 0 if complete else position)
        if history_path:
            save_history(history_path, history)
        if verbose:
            shown = ", ".join(
                f"{k} {v:.4g}" for k, v in logs.items() if isinstance(v, float) and k != "seconds"
            )
            bar.write(f"epoch {epoch}/{epochs} ({logs['seconds']:.1f}s): {shown}")
        if out_of_time:
            where = (
                ""
                if complete
                else f" ({position} of {steps_per_epoch} steps of epoch {epoch}; rerun to continue)"
            )
            bar.write(f"Time budget of {max_minutes} min reached{where}.")
            break
    bar.close()
    for callback in callbacks:
        callback.on_train_end(history)
    return history
