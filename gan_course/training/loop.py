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
    if strategy is not None:
        from gan_course.training.distribution import distribute_step

        train_step = distribute_step(train_step, strategy)
    loop = _Loop(
        train_step,
        dataset if callable(dataset) else (lambda epoch: dataset),
        keeper=keeper,
        history_path=history_path,
        callbacks=callbacks,
        checkpoint_every_steps=checkpoint_every_steps,
        strategy=strategy,
        log_every=log_every,
        verbose=verbose,
    )
    if not loop.restore(epochs):
        return loop.history
    return loop.run(epochs, max_minutes, progress)


class _Loop:
    """The state of one `fit` call: counters, history, and where the run stands."""

    def __init__(
        self,
        train_step,
        dataset_for_epoch,
        *,
        keeper,
        history_path,
        callbacks,
        checkpoint_every_steps,
        strategy,
        log_every,
        verbose,
    ):
        self.train_step, self.dataset_for_epoch = train_step, dataset_for_epoch
        self.keeper, self.history_path, self.callbacks = keeper, history_path, callbacks
        self.checkpoint_every_steps, self.strategy = checkpoint_every_steps, strategy
        self.log_every, self.verbose = log_every, verbose
        self.history = load_history(history_path) if history_path else []
        self.completed_epochs, self.step, self.skip = 0, 0, 0

    def restore(self, epochs: int) -> bool:
        """Continue from the newest checkpoint, if any; False when there is nothing to do."""
        if self.keeper is not None:
            if self.keeper.restore_latest():
                self.completed_epochs, self.step, self.skip = (
                    int(v.numpy())
                    for v in (self.keeper.epoch, self.keeper.step, self.keeper.epoch_step)
                )
                if self.verbose:
                    print(
                        f"Resuming from {self.keeper.restored_path} "
                        f"(epoch {self.completed_epochs}, step {self.step})."
                    )
            self.history = [e for e in self.history if e["epoch"] <= self.completed_epochs]
        elif self.history:
            self.history = []  # no checkpoint to continue from: start a fresh history
        if self.completed_epochs >= epochs:
            if self.verbose:
                print(
                    f"Already trained for {self.completed_epochs} epochs; nothing to do (raise epochs to continue)."
                )
            return False
        return True

    def save(self, epoch_done: int, position: int) -> None:
        if self.keeper is not None:
            self.keeper.epoch.assign(epoch_done)
            self.keeper.step.assign(self.step)
            self.keeper.epoch_step.assign(position)
            self.keeper.save()

    def run(self, epochs: int, max_minutes: float | None, progress: bool) -> list[dict]:
        first_dataset = self.dataset_for_epoch(self.completed_epochs + 1)
        cardinality = int(first_dataset.cardinality().numpy())
        # None when batches vary in size
        self.images_per_step = tf.nest.flatten(first_dataset.element_spec)[0].shape[0]
        self.steps_per_epoch = cardinality if cardinality > 0 else None
        total = (
            self.steps_per_epoch * (epochs - self.completed_epochs)
            if self.steps_per_epoch
            else None
        )
        self.deadline = time.monotonic() + 60.0 * max_minutes if max_minutes else math.inf
        for callback in self.callbacks:
            callback.on_train_begin(self.completed_epochs)
        self.bar = _progress_bar(total, self.skip, progress, self.images_per_step)
        for epoch in range(self.completed_epochs + 1, epochs + 1):
            logs, position = self.run_epoch(epoch)
            self.end_epoch(epoch, epochs, logs, position)
            if self.out_of_time:
                where = (
                    ""
                    if logs["complete"]
                    else f" ({position} of {self.steps_per_epoch} steps of epoch {epoch}; rerun to continue)"
                )
                self.bar.write(f"Time budget of {max_minutes} min reached{where}.")
                break
        self.bar.close()
        for callback in self.callbacks:
            callback.on_train_end(self.history)
        return self.history

    def run_epoch(self, epoch: int) -> tuple[dict, int]:
        """Train one epoch (or what is left of it, or until the deadline): its logs and position."""
        epoch_start = time.monotonic()
        batches = self.dataset_for_epoch(epoch)
        position = self.skip if epoch == self.completed_epochs + 1 else 0
        if position:
            batches = batches.skip(position)  # resume inside the epoch
        if self.strategy is not None:
            batches = self.strategy.experimental_distribute_dataset(batches)
        sums, count, recent, timed_start = None, 0, [], None
        self.out_of_time = False
        for batch in batches:
            outputs = self.train_step(batch)
            if timed_start is None:
                # Throughput is timed from the end of each epoch's first step, which leaves
                # out the tracing and compilation of the run's first call.
                timed_start = time.monotonic()
            sums = dict(outputs) if sums is None else {k: sums[k] + outputs[k] for k in sums}
            count, position, self.step = count + 1, position + 1, self.step + 1
            recent.append((self.step, outputs))
            self.bar.update(1)
            self.out_of_time = time.monotonic() >= self.deadline
            every = self.checkpoint_every_steps
            due_save = every and self.step % every == 0
            if count % self.log_every == 0 or due_save or self.out_of_time:
                # One host read checks every step since the last check: NaN/Inf propagates into the sums.
                if not all(math.isfinite(float(value)) for value in sums.values()):
                    _raise_non_finite(*_first_non_finite(recent), self.keeper)
                recent = []
                self.bar.set_postfix(
                    {k: f"{float(v):.3f}" for k, v in outputs.items()}, refresh=False
                )
            if self.out_of_time:
                break
            if due_save and position != self.steps_per_epoch:
                self.save(epoch - 1, position)
        if count == 0:
            raise ValueError("the dataset produced no batches: is batch_size larger than the data?")
        found = _first_non_finite(recent)
        if found:
            _raise_non_finite(*found, self.keeper)
        complete = not self.out_of_time or position == self.steps_per_epoch
        logs = {
            "epoch": epoch,
            "step": self.step,
            "seconds": round(time.monotonic() - epoch_start, 3),
        }
        logs.update({key: float(value.numpy()) / count for key, value in sums.items()})
        if self.images_per_step and count > 1:
            logs["images_per_second"] = round(
                (count - 1) * self.images_per_step / (time.monotonic() - timed_start), 1
            )
        logs["complete"] = complete
        return logs, position

    def end_epoch(self, epoch: int, epochs: int, logs: dict, position: int) -> None:
        """Callbacks, history, checkpoint and the epoch's one printed line."""
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)
        self.history = [entry for entry in self.history if entry["epoch"] != epoch] + [logs]
        complete = logs["complete"]
        self.save(epoch if complete else epoch - 1, 0 if complete else position)
        if self.history_path:
            save_history(self.history_path, self.history)
        if self.verbose:
            shown = ", ".join(
                f"{k} {v:.4g}" for k, v in logs.items() if isinstance(v, float) and k != "seconds"
            )
            self.bar.write(f"epoch {epoch}/{epochs} ({logs['seconds']:.1f}s): {shown}")
