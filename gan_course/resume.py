"""How a run resumes: every rule in one place.

Training into a folder that holds a run continues it exactly where it stopped:

1. **The record.** `run.json` in the run folder holds the model, the dataset, the image
   shape (and for your own data the `--image-size`, `--channels` and class names), the
   model config and the run settings (`write_record`). A resumed run keeps its image size
   and channels (`gan_course.run_data.resolve_image_options`).
2. **What may change.** Resuming takes the saved config and settings; `check_resume`
   refuses, with a one-line message, any model-config value or any of `FIXED_SETTINGS`
   that differs from the saved run (another batch size would change the data order,
   another precision the optimizer's state). `epochs` may be raised to train longer;
   `max_minutes` is per invocation (not carried over); `jit_compile`,
   `checkpoint_every_steps` and `strategy` may change (the multi-device step is the
   single-device one, tests/test_every_family.py).
3. **The state.** `training.checkpoints.CheckpointKeeper` saves the models, optimizers,
   the train step's RNG and any extra state the family declares
   (`TrainingSetup.trackables`), with the epoch, the step and the position inside the
   epoch; `training.loop.fit` restores the newest usable checkpoint before the first step.
4. **The data.** `data.make_dataset(..., seed=, epoch=)` orders each epoch by (seed, epoch)
   only, so the resumed run sees the batches the uninterrupted one would have seen.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from gan_course.training.settings import RunSettings

RUN_FILE = "run.json"
FIXED_SETTINGS = ("batch_size", "precision", "seed")


def read_record(directory: str | Path) -> dict:
    path = Path(directory) / RUN_FILE
    if not path.exists():
        raise ValueError(
            f"{directory} holds no training run (no {RUN_FILE}); train one first with `gan-course train MODEL --out {directory}`"
        )
    return json.loads(path.read_text())


def config_from_record(config_class, values: dict):
    """The config of a record; lists from JSON become tuples, unknown keys are ignored."""
    fields = {field.name for field in dataclasses.fields(config_class)}
    return config_class(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in fields}
    )


def settings_from_record(record: dict) -> RunSettings:
    return RunSettings(**record["settings"])


def write_record(directory: Path, *, model, dataset, image_shape, config, settings, **data) -> None:
    """Write run.json; `data` adds what the run's data were made of (gan_course.run_data:
    image_size, channels, a folder's classes)."""
    record = {
        "model": model,
        "dataset": dataset,
        "image_shape": list(image_shape),
        **data,
        "config": dataclasses.asdict(config),
        "settings": dataclasses.asdict(settings),
    }
    (directory / RUN_FILE).write_text(json.dumps(record, indent=1))


def resolve_run(
    record: dict | None,
    *,
    model: str,
    dataset: str,
    config_class,
    overrides: dict,
    requested: RunSettings,
    family_defaults: RunSettings,
):
    """(config, settings) of the run to train: a new run's from the defaults and the user's
    values; a resumed run's from its record, after `check_resume`."""
    from gan_course.config import with_overrides
    from gan_course.training.settings import resolve_settings

    if record is None:
        return with_overrides(config_class(), **overrides), resolve_settings(
            requested, family_defaults
        )
    check_resume(record, model=model, dataset=dataset, overrides=overrides, requested=requested)
    config = config_from_record(config_class, record["config"])
    # The time budget belongs to one invocation: a resumed run gets the one it is given now.
    saved = dataclasses.replace(settings_from_record(record), max_minutes=None)
    return config, requested.over(saved)


def check_resume(
    record: dict, *, model: str, dataset: str, overrides: dict, requested: RunSettings
):
    """Raise ValueError (one line) if a value the user gave conflicts with the saved run."""
    where = "choose another --out to start a new run"
    if record["model"] != model:
        raise ValueError(f"the run folder holds a {record['model']!r} run, not {model!r}; {where}")
    if record["dataset"] != dataset:
        raise ValueError(
            f"the run folder holds a run on {record['dataset']!r}, not {dataset!r}; {where}"
        )
    for name, wanted in overrides.items():
        saved = record["config"].get(name)
        saved = tuple(saved) if isinstance(saved, list) else saved
        if wanted is not None and saved != wanted:
            raise ValueError(
                f"the run folder holds a run with {name}={saved!r}; to resume, drop that option, or {where}"
            )
    saved_settings = settings_from_record(record)
    for name in FIXED_SETTINGS:
        saved, wanted = getattr(saved_settings, name), getattr(requested, name)
        if wanted is not None and saved != wanted:
            option = "--" + name.replace("_", "-")
            raise ValueError(
                f"the run folder holds a run with {name}={saved!r}; resume it with {option} {saved} or {where}"
            )
