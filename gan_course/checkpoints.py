"""Checkpoints with their epoch and step counters, through `tf.train.CheckpointManager`."""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf


class CheckpointKeeper:
    """Saves and restores models, optimizers, RNG state and the epoch/step counters together.

    Pass every trackable that defines the run as a keyword (generator=..., rng=...).
    Optimizers must be built (`optimizer.build(variables)`) before `restore_latest`, so
    their slots exist when the saved values arrive.
    """

    def __init__(self, directory: str | Path, *, max_to_keep: int = 3, **trackables):
        self.directory = Path(directory)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.checkpoint = tf.train.Checkpoint(epoch=self.epoch, step=self.step, **trackables)
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, str(self.directory), max_to_keep=max_to_keep
        )

    @property
    def latest(self) -> str | None:
        return self.manager.latest_checkpoint

    def restore_latest(self) -> bool:
        """Restore the newest checkpoint if there is one; return whether anything was restored."""
        if self.latest is None:
            return False
        try:
            status = self.checkpoint.restore(self.latest)
            # Every object of this run must find its values: a checkpoint of another model fails here.
            status.assert_existing_objects_matched()
        except (AssertionError, ValueError) as error:
            raise ValueError(
                f"checkpoint {self.latest} does not match this model ({str(error).splitlines()[0][:200]}); "
                "it was written by another model or configuration: choose another output folder"
            ) from error
        return True

    def save(self) -> str:
        return self.manager.save(checkpoint_number=int(self.step.numpy()))
