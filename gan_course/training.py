"""One small loop that runs any compiled train step over a dataset, with resume.

    history = fit(train_step, dataset, epochs=20, keeper=keeper, callbacks=[...])

The step is any callable `batch -> dict of scalar tensors` (usually a `tf.function`).
Metrics are summed on the device and read back once per epoch (and every `log_every`
steps for the progress bar), so the loop does not stall the step with host round-trips.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import tensorflow as tf

from gan_course.callbacks import Callback
from gan_course.checkpoints import CheckpointKeeper


def load_history(path: str | Path) -> list[dict]:
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else []


def save_history(path: str | Path, history: list[dict]) -> None:
    path = Path(path)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(history, indent=1))
    temporary.replace(path)  # atomic: a crash never leaves half a history file


def _progress_bar(total: int | None, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        disable=not enabled,
        unit="step",
        mininterval=2.0,
        dynamic_ncols=True,
    )


def fit(
    train_step: Callable,
    dataset: tf.data.Dataset,
    *,
    epochs: int,
    max_minutes: float | None = None,
    keeper: CheckpointKeeper | None = None,
    history_path: str | Path | None = None,
    callbacks: Sequence[Callback] = (),
    log_every: int = 25,
    progress: bool = True,
    verbose: bool = True,
) -> list[dict]:
    """Train for `epochs` epochs or `max_minutes`, whichever ends first; return the history.

    With a `keeper`, the latest checkpoint in its folder is restored first, so running the
    same call again resumes at the saved epoch and step; a checkpoint is written after
    every epoch and when the time budget ends. A run stopped by the time budget records
    its last epoch as incomplete ("complete": false) and the next run starts a new epoch.
    """
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if max_minutes is not None and not max_minutes > 0:
        raise ValueError(f"max_minutes must be positive, got {max_minutes!r}")
    history = load_history(history_path) if history_path else []
    start_epoch, step = 0, 0
    if keeper is not None:
        if keeper.restore_latest():
            start_epoch, step = int(keeper.epoch.numpy()), int(keeper.step.numpy())
            if verbose:
                print(f"Resuming from {keeper.latest} (epoch {start_epoch}, step {step}).")
        history = [entry for entry in history if entry["epoch"] <= start_epoch]
    elif history:
        history = []  # no checkpoint to continue from: start a fresh history
    if start_epoch >= epochs:
        if verbose:
            print(
                f"Already trained for {start_epoch} epochs; nothing to do (raise epochs to continue)."
            )
        return history

    cardinality = int(dataset.cardinality().numpy())
    steps_per_epoch = cardinality if cardinality > 0 else None
    total = steps_per_epoch * epochs if steps_per_epoch else None
    deadline = time.monotonic() + 60.0 * max_minutes if max_minutes else math.inf
    for callback in callbacks:
        callback.on_train_begin(start_epoch)
    bar = _progress_bar(total, start_epoch * (steps_per_epoch or 0), progress)
    out_of_time = False
    for epoch in range(start_epoch + 1, epochs + 1):
        epoch_start = time.monotonic()
        sums, count = None, 0
        for batch in dataset:
            outputs = train_step(batch)
            sums = dict(outputs) if sums is None else {k: sums[k] + outputs[k] for k in sums}
            count += 1
            step += 1
            bar.update(1)
            if count % log_every == 0:
                bar.set_postfix({k: f"{float(v):.3f}" for k, v in outputs.items()}, refresh=False)
            if time.monotonic() >= deadline:
                out_of_time = True
                break
        if count == 0:
            raise ValueError("the dataset produced no batches: is batch_size larger than the data?")
        logs = {"epoch": epoch, "step": step, "seconds": round(time.monotonic() - epoch_start, 3)}
        logs.update({key: float(value.numpy()) / count for key, value in sums.items()})
        logs["complete"] = not out_of_time or count == steps_per_epoch
        for callback in callbacks:
            callback.on_epoch_end(epoch, logs)
        history.append(logs)
        if keeper is not None:
            keeper.epoch.assign(epoch)
            keeper.step.assign(step)
            keeper.save()
        if history_path:
            save_history(history_path, history)
        if verbose:
            shown = ", ".join(
                f"{k} {v:.4g}" for k, v in logs.items() if isinstance(v, float) and k != "seconds"
            )
            bar.write(f"epoch {epoch}/{epochs} ({logs['seconds']:.1f}s): {shown}")
        if out_of_time:
            bar.write(f"Time budget of {max_minutes} min reached after epoch {epoch}.")
            break
    bar.close()
    for callback in callbacks:
        callback.on_train_end(history)
    return history
