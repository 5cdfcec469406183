"""The run driver: whole runs from a model name, what the command line calls, usable from
Python too.

    train_run("dcgan", out_dir="runs/dcgan", settings=RunSettings(max_minutes=5))
    record, setup = load_run("runs/dcgan")

A run folder holds run.json (model, dataset, config, settings), checkpoints/,
samples/*.png, progress.gif and history.json. Training again into the same folder resumes
(the rules: gan_course.resume). The driver reads what each family declares on its
`TrainingSetup` (output kind, classes, monitor, what to checkpoint) and never guesses from
model names.
"""

from __future__ import annotations

from pathlib import Path

from gan_course.registry import get_recipe
from gan_course.resume import (
    config_from_record,
    read_record,
    resolve_run,
    settings_from_record,
    write_record,
)
from gan_course.training.settings import RunSettings


def _check_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write_test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ValueError(
            f"cannot write to output folder {directory} ({error.strerror}); choose another --out"
        ) from error


def _check_overrides(config_class, overrides: dict, model: str) -> None:
    import dataclasses

    fields = {field.name for field in dataclasses.fields(config_class)}
    unknown = [name for name in overrides if name not in fields]
    if unknown:
        raise ValueError(f"model {model!r} has no option {unknown[0]!r}")


def train_run(
    model: str,
    *,
    out_dir: str | Path,
    dataset: str = "mnist_5k",
    settings: RunSettings | None = None,
    overrides: dict | None = None,
    deterministic: bool = False,
    tensorboard: str | Path | None = None,
    progress: bool = True,
) -> list[dict]:
    """Train MODEL into `out_dir` (resuming if it holds a run); return the history.

    `settings` are the run settings (unset fields: the family's defaults, or the saved run's
    when resuming); `overrides` set fields of the model's config.
    """
    from gan_course.data import load_dataset
    from gan_course.seeding import set_seed
    from gan_course.training import fit
    from gan_course.training.checkpoints import CheckpointKeeper
    from gan_course.training.distribution import get_strategy

    recipe, out_dir = get_recipe(model), Path(out_dir)
    config, settings = _resolve(recipe, model, out_dir, dataset, settings, dict(overrides or {}))
    images, labels = load_dataset(dataset)
    if settings.batch_size > len(images):  # checked before anything is written
        raise ValueError(
            f"batch_size {settings.batch_size} is larger than the dataset ({len(images)} images); choose a smaller --batch-size"
        )
    _check_writable(out_dir)
    set_seed(settings.seed, deterministic=deterministic)
    distribution = get_strategy(settings.strategy)
    with distribution.scope():  # models, optimizers and RNG become replicated variables
        setup = recipe.build(config, image_shape=images.shape[1:], settings=settings)

    record = {"model": model, "dataset": dataset, "image_shape": images.shape[1:]}
    write_record(out_dir, **record, config=config, settings=setup.settings)
    return fit(
        setup.train_step,
        _epoch_data(images, labels, setup),
        epochs=settings.epochs,
        max_minutes=settings.max_minutes,
        keeper=CheckpointKeeper(out_dir / "checkpoints", **setup.trackables()),
        history_path=out_dir / "history.json",
        callbacks=_callbacks(setup, out_dir, images, labels, dataset, tensorboard),
        checkpoint_every_steps=settings.checkpoint_every_steps,
        strategy=None if settings.strategy == "default" else distribution,
        progress=progress,
    )


def _epoch_data(images, labels, setup):
    """`epoch -> tf.data.Dataset` for `fit`: the order is a function of (seed, epoch) only,
    so a resumed run sees the batches an uninterrupted one would."""
    from gan_course.data import make_dataset

    def for_epoch(epoch: int):
        return make_dataset(
            images,
            labels if setup.conditional else None,
            batch_size=setup.settings.batch_size,
            scale=setup.scale,
            seed=setup.settings.seed,
            epoch=epoch,
        )

    return for_epoch


def _resolve(recipe, model: str, out_dir: Path, dataset: str, settings, overrides: dict):
    """(config, settings) of the run: a new one's, or the saved run's when resuming."""
    config_class = recipe.load_config_class()
    _check_overrides(config_class, overrides, model)
    record = read_record(out_dir) if (out_dir / "run.json").exists() else None
    return resolve_run(
        record,
        model=model,
        dataset=dataset,
        config_class=config_class,
        overrides=overrides,
        requested=settings or RunSettings(),
        family_defaults=recipe.load_setup_function().run_defaults,
    )


def _callbacks(setup, out_dir: Path, images, labels, dataset: str, tensorboard) -> list:
    """The callbacks a run gets, from what its setup declares."""
    from gan_course.training.callbacks import SampleGrids, TensorBoard

    callbacks = []
    if setup.monitor is not None:
        from gan_course.training.monitor import GANMonitor

        # Health signs and named flags each epoch (history.json, TensorBoard); first in the
        # list, so the callbacks after it see its numbers.
        callbacks.append(
            GANMonitor(
                setup.models[setup.monitor.generator],
                setup.models[setup.monitor.discriminator],
                images,
                latent_dim=setup.latent_dim,
                real_labels=labels if setup.conditional else None,
                scale=setup.scale,
                seed=setup.settings.seed,
            )
        )
    if setup.output == "points":
        from gan_course.lab2d.scoring import ModeScore

        # Modes covered and high-quality share after every epoch (PacGAN/VEEGAN protocol).
        callbacks.append(ModeScore(setup.models["generator"], dataset, latent_dim=setup.latent_dim))
    callbacks.append(
        SampleGrids(
            setup.sample,
            setup.fixed_inputs,
            out_dir / "samples",
            scale=setup.scale,
            gif_path=out_dir / "progress.gif",
        )
    )
    if tensorboard:
        callbacks.append(
            TensorBoard(
                tensorboard,
                sample_fn=setup.sample,
                fixed_inputs=setup.fixed_inputs,
                scale=setup.scale,
            )
        )
    return callbacks


def load_run(directory: str | Path):
    """Rebuild a trained run's setup from its folder and restore its latest checkpoint:
    returns (record, setup)."""
    from gan_course.training.checkpoints import CheckpointKeeper

    record = read_record(directory)
    recipe = get_recipe(record["model"])
    config = config_from_record(recipe.load_config_class(), record["config"])
    settings = settings_from_record(record).replace(strategy="default")
    setup = recipe.build(config, image_shape=tuple(record["image_shape"]), settings=settings)
    keeper = CheckpointKeeper(Path(directory) / "checkpoints", **setup.trackables())
    if not keeper.restore_latest():
        raise ValueError(
            f"{directory} has no checkpoint yet; train first (the run may have been stopped before epoch 1 ended)"
        )
    return record, setup
