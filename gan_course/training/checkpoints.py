"""Checkpoints with their epoch and step counters, through `tf.train.CheckpointManager`.

Saving is crash-safe: TensorFlow writes a checkpoint's files first and only then points
the `checkpoint` index file at it, so a crash during a save leaves the previous one in
use. Restoring checks the newest checkpoint and falls back, with a warning naming the
file, to older ones when it is corrupt or partial.
"""

from __future__ import annotations

import warnings
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
        # Batches already done in the epoch after `epoch`: non-zero for mid-epoch checkpoints.
        self.epoch_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch_step")
        self.checkpoint = tf.train.Checkpoint(
            epoch=self.epoch, step=self.step, epoch_step=self.epoch_step, **trackables
        )
        self.restored_path: str | None = None
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, str(self.directory), max_to_keep=max_to_keep
        )

    @property
    def latest(self) -> str | None:
        return self.manager.latest_checkpoint

    def restore_latest(self) -> bool:
        """Restore the newest usable checkpoint; return whether anything was restored.

        A checkpoint whose files are missing or corrupt is skipped with a warning; one that
        belongs to another model raises `ValueError`.
        """
        candidates = list(reversed(self.manager.checkpoints))
        # A truncated file surfaces as a TensorFlow OpError (DataLoss, NotFound, ...) or as
        # IndexError("Read less bytes than requested") from the checkpoint reader.
        for index, path in enumerate(candidates):
            try:
                status = self.checkpoint.restore(path)
                # Every object of this run must find its values: another model's checkpoint fails here.
                status.assert_existing_objects_matched()
            except (tf.errors.OpError, IndexError, OSError, EOFError) as error:
                following = candidates[index + 1] if index + 1 < len(candidates) else None
                warnings.warn(
                    f"checkpoint {path} is corrupt or incomplete ({type(error).__name__}); "
                    + (
                        f"falling back to {following}"
                        if following
                        else "and no older one is usable"
                    ),
                    stacklevel=2,
                )
                continue
            except (AssertionError, ValueError) as error:
                raise ValueError(
                    f"checkpoint {path} does not match this model ({str(error).splitlines()[0][:200]}); "
                    "it was written by another model or configuration: choose another output folder"
                ) from error
            self.restored_path = path
            return True
        if candidates:
            raise ValueError(
                f"no usable checkpoint in {self.directory}: every one is corrupt; delete the folder "
                "or choose another output folder to start afresh"
            )
        return False

    def save(self) -> str:
        return self.manager.save(checkpoint_number=int(self.step.numpy()))
