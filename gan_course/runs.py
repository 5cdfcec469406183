"""The run driver: whole runs from a model name, what the command line calls, usable from
Python too.

    train_run("dcgan", out_dir="runs/dcgan", settings=RunSettings(max_minutes=5))
    record, setup = load_run("runs/dcgan")

A run folder holds run.json (model, dataset, image shape, config, settings), checkpoints/,
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
    image_size: int | None = None,
    channels: int | None = None,
    verbose: bool = True,
) -> list[dict]:
    """Train MODEL into `out_dir` (resuming if it holds a run); return the history.

    `settings` are the run settings (unset fields: the family's defaults, or the saved run's
    when resuming); `overrides` set fields of the model's config. `dataset` is a name or
    ``folder:PATH``; `image_size` and `channels` resize and convert it (gan_course.run_data).
    `verbose=False` drops the line per epoch (a notebook plots the history instead).
    """
    from gan_course.data import normalise_spec
    from gan_course.seeding import set_seed
    from gan_course.training import fit
    from gan_course.training.checkpoints import CheckpointKeeper
    from gan_course.training.distribution import get_strategy

    recipe, out_dir, dataset = get_recipe(model), Path(out_dir), normalise_spec(dataset)
    settings, data = _plan(
        recipe, model, out_dir, dataset, settings, dict(overrides or {}), image_size, channels
    )
    config, images, labels = data.config, data.images, data.labels
    _check_writable(out_dir)
    set_seed(settings.seed, deterministic=deterministic)
    distribution = get_strategy(settings.strategy)
    with distribution.scope():  # models, optimizers and RNG become replicated variables
        setup = recipe.build(
            config, image_shape=images.shape[1:], settings=settings, held_out=data.held_out
        )

    record = {"model": model, "dataset": dataset, "image_shape": images.shape[1:], **data.record}
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
        verbose=verbose,
    )


def _plan(recipe, model, out_dir: Path, dataset, settings, overrides, image_size, channels):
    """(settings, RunData) of the run, every input checked before anything is written."""
    from gan_course.run_data import prepare_run_data

    record = read_record(out_dir) if (out_dir / "run.json").exists() else None
    config, settings = _resolve(recipe, model, record, dataset, settings, overrides)
    data = prepare_run_data(
        recipe,
        model,
        dataset=dataset,
        config=config,
        overrides=overrides,
        record=record,
        image_size=image_size,
        channels=channels,
    )
    if settings.batch_size > len(data.images):
        raise ValueError(
            f"batch_size {settings.batch_size} is larger than the dataset ({len(data.images)} images); choose a smaller --batch-size"
        )
    return settings, data


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


def _resolve(recipe, model: str, record, dataset: str, settings, overrides: dict):
    """(config, settings) of the run: a new one's, or the saved run's (`record`) when resuming."""
    config_class = recipe.load_config_class()
    _check_overrides(config_class, overrides, model)
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
                evaluation_size=_monitor_size(len(images), setup.settings.batch_size),
                num_classes=setup.num_classes or 10,
            )
        )
    if setup.output == "points":
        from gan_course.lab2d.scoring import ModeScore

        # Modes covered and high-quality share after every epoch (PacGAN/VEEGAN protocol).
        callbacks.append(ModeScore(setup.models["generator"], dataset, latent_dim=setup.latent_dim))
    points = setup.output == "points"
    if points:
        from gan_course.data.mixtures import mode_centres
    callbacks.append(
        SampleGrids(
            setup.sample,
            setup.fixed_inputs,
            out_dir / "samples",
            scale=setup.scale,
            gif_path=out_dir / "progress.gif",
            # Points: the mode centres and one square (the data's extent + 10%) in every
            # frame, so the frames show samples moving from mode to mode.
            reference=mode_centres(dataset) if points else None,
            limit=1.1 * float(abs(images).max()) if points else None,
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


def _monitor_size(count: int, batch_size: int) -> int:
    """The GAN monitor's 200 images, or for a smaller set (a folder) as many whole batches as
    it holds: a packed discriminator judges whole packs, and a batch is whole packs."""
    return 200 if count >= 200 else max(2, count // batch_size * batch_size)


def load_run(directory: str | Path):
    """Rebuild a trained run's setup from its folder and restore its latest checkpoint:
    returns (record, setup)."""
    from gan_course.run_data import placeholder_held_out
    from gan_course.training.checkpoints import CheckpointKeeper

    record = read_record(directory)
    recipe = get_recipe(record["model"])
    config = config_from_record(recipe.load_config_class(), record["config"])
    settings = settings_from_record(record).replace(strategy="default")
    setup = recipe.build(
        config,
        image_shape=tuple(record["image_shape"]),
        settings=settings,
        held_out=placeholder_held_out(recipe, record),
    )
    keeper = CheckpointKeeper(Path(directory) / "checkpoints", **setup.trackables())
    if not keeper.restore_latest():
        raise ValueError(
            f"{directory} has no checkpoint yet; train first (the run may have been stopped before epoch 1 ended)"
        )
    return record, setup
