"""Whole runs from a model name: what the command line calls, usable from Python too.

    train_run("dcgan", out_dir="runs/dcgan", max_minutes=5)
    sample_run("runs/dcgan", count=100, out_file="samples.npz")

A run folder holds run.json (model, dataset, config), checkpoints/, samples/*.png,
progress.gif and history.json. Training again into the same folder resumes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from gan_course.config import with_overrides
from gan_course.registry import get_recipe

RUN_FILE = "run.json"


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


def _config_from_dict(config_class, values: dict):
    fields = {field.name for field in dataclasses.fields(config_class)}
    return config_class(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in fields}
    )


def read_run(directory: str | Path) -> dict:
    path = Path(directory) / RUN_FILE
    if not path.exists():
        raise ValueError(
            f"{directory} holds no training run (no {RUN_FILE}); train one first with `gan-course train MODEL --out {directory}`"
        )
    return json.loads(path.read_text())


def _resolve_config(model: str, out_dir: Path, overrides: dict):
    """The config of a new run, or the saved one when resuming (conflicting overrides raise)."""
    config_class = get_recipe(model).load_config_class()
    field_names = {field.name for field in dataclasses.fields(config_class)}
    unknown = [k for k, v in overrides.items() if v is not None and k not in field_names]
    if unknown:
        raise ValueError(f"model {model!r} has no option {unknown[0]!r}")
    if not (out_dir / RUN_FILE).exists():
        return with_overrides(config_class(), **overrides), None
    saved = read_run(out_dir)
    if saved["model"] != model:
        raise ValueError(
            f"{out_dir} holds a {saved['model']!r} run, not {model!r}; choose another --out"
        )
    config = _config_from_dict(config_class, saved["config"])
    for key, value in overrides.items():
        if value is not None and key != "epochs" and getattr(config, key) != value:
            raise ValueError(
                f"{out_dir} holds a run with {key}={getattr(config, key)!r}; to resume, drop that option, "
                "or choose another --out to start a new run"
            )
    return with_overrides(config, epochs=overrides.get("epochs")), saved


def train_run(
    model: str,
    *,
    out_dir: str | Path,
    dataset: str = "mnist_5k",
    max_minutes: float | None = None,
    seed: int = 0,
    deterministic: bool = False,
    tensorboard: str | Path | None = None,
    checkpoint_every_steps: int | None = None,
    strategy: str = "default",
    progress: bool = True,
    **overrides,
) -> list[dict]:
    """Train MODEL into `out_dir` (resuming if it holds a run); `overrides` set config fields.

    `strategy` is 'default', 'mirrored' (all local GPUs) or 'multiworker' (TF_CONFIG); the
    batch size is the global one, split over replicas.
    """
    from gan_course.data import load_dataset, make_dataset
    from gan_course.seeding import set_seed
    from gan_course.training import fit
    from gan_course.training.callbacks import SampleGrids, TensorBoard
    from gan_course.training.checkpoints import CheckpointKeeper
    from gan_course.training.distribution import get_strategy
    from gan_course.training.monitor import GANMonitor

    recipe = get_recipe(model)
    out_dir = Path(out_dir)
    config, saved = _resolve_config(model, out_dir, overrides)
    if saved is not None and saved["dataset"] != dataset:
        raise ValueError(
            f"{out_dir} holds a run on {saved['dataset']!r}, not {dataset!r}; choose another --out"
        )
    if saved is not None and saved["seed"] != seed:
        raise ValueError(
            f"{out_dir} holds a run with seed {saved['seed']}; resume it with --seed {saved['seed']} or choose another --out"
        )
    images, labels = load_dataset(dataset)
    if config.batch_size > len(images):  # checked before anything is written
        raise ValueError(
            f"batch_size {config.batch_size} is larger than the dataset ({len(images)} images); choose a smaller --batch-size"
        )
    _check_writable(out_dir)
    set_seed(seed, deterministic=deterministic)
    distribution = get_strategy(strategy)
    with distribution.scope():  # models, optimizers and RNG become replicated variables
        setup = recipe.build(config, image_shape=images.shape[1:], seed=seed)

    def train_data(epoch: int):
        # The order is a function of (seed, epoch) only, so a resumed run sees the same batches.
        labels_if_needed = labels if setup.conditional else None
        return make_dataset(
            images,
            labels_if_needed,
            batch_size=config.batch_size,
            scale=setup.scale,
            seed=seed,
            epoch=epoch,
        )

    record = {
        "model": model,
        "dataset": dataset,
        "seed": seed,
        "image_shape": list(images.shape[1:]),
        "config": dataclasses.asdict(config),
    }
    (out_dir / RUN_FILE).write_text(json.dumps(record, indent=1))
    keeper = CheckpointKeeper(out_dir / "checkpoints", **setup.trackables())
    callbacks = [
        SampleGrids(
            setup.sample,
            setup.fixed_inputs,
            out_dir / "samples",
            scale=setup.scale,
            gif_path=out_dir / "progress.gif",
        )
    ]
    if "discriminator" in setup.models and images.ndim == 4:
        # Health signs and named flags each epoch (history.json, TensorBoard); first in the
        # list, so the callbacks after it see its numbers.
        callbacks.insert(
            0,
            GANMonitor(
                setup.models["generator"],
                setup.models["discriminator"],
                images,
                latent_dim=setup.latent_dim,
                real_labels=labels if setup.conditional else None,
                scale=setup.scale,
                seed=seed,
            ),
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
    return fit(
        setup.train_step,
        train_data,
        epochs=config.epochs,
        max_minutes=max_minutes,
        keeper=keeper,
        history_path=out_dir / "history.json",
        callbacks=callbacks,
        checkpoint_every_steps=checkpoint_every_steps,
        strategy=None if strategy == "default" else distribution,
        progress=progress,
    )


def load_run(directory: str | Path):
    """Rebuild a trained run's setup from its folder and restore its latest checkpoint."""
    from gan_course.training.checkpoints import CheckpointKeeper

    record = read_run(directory)
    recipe = get_recipe(record["model"])
    config = _config_from_dict(recipe.load_config_class(), record["config"])
    setup = recipe.build(config, image_shape=tuple(record["image_shape"]), seed=record["seed"])
    keeper = CheckpointKeeper(Path(directory) / "checkpoints", **setup.trackables())
    if not keeper.restore_latest():
        raise ValueError(
            f"{directory} has no checkpoint yet; train first (the run may have been stopped before epoch 1 ended)"
        )
    return record, setup


def sample_run(
    from_dir: str | Path,
    *,
    count: int,
    out_file: str | Path,
    label: int | None = None,
    seed: int = 0,
    batch_size: int = 256,
    progress: bool = True,
) -> dict:
    """Draw `count` samples from a trained run and save them as uint8 `x` (and `y`) in an .npz.

    Runs on 2-D points (the toy datasets, scale "none") save float32 points x (N, 2) as they are.
    """
    from tqdm.auto import tqdm

    from gan_course.data import to_uint8

    if not isinstance(count, int) or count <= 0:
        raise ValueError(f"--n must be a positive integer, got {count!r}")
    if label is not None and not (isinstance(label, int) and 0 <= label <= 9):
        raise ValueError(f"--label must be a digit 0-9, got {label!r}")
    record, setup = load_run(from_dir)
    if not setup.generative:
        raise ValueError(
            f"{record['model']!r} is not a generative model; sample from 'vae' or a GAN instead"
        )
    if label is not None and not setup.conditional:
        raise ValueError(f"{record['model']!r} is not conditional; --label works with 'cgan' only")
    generator = np.random.default_rng(seed)
    noise = generator.standard_normal((count, setup.latent_dim)).astype("float32")
    labels = (
        np.full(count, label, np.int32)
        if label is not None
        else np.arange(count, dtype=np.int32) % 10
    )
    chunks = []
    for start in tqdm(
        range(0, count, batch_size), disable=not progress, unit="batch", desc="sampling"
    ):
        stop = start + batch_size
        inputs = (noise[start:stop], labels[start:stop]) if setup.conditional else noise[start:stop]
        samples = np.asarray(setup.sample(inputs))
        points = setup.scale == "none"  # 2-D points: never scaled or quantised
        chunks.append(samples.astype(np.float32) if points else to_uint8(samples, setup.scale))
    images = np.concatenate(chunks)
    if images.shape[-1] == 1:
        images = images[..., 0]  # (N, 28, 28) for MNIST-like data
    arrays = {"x": images}
    if setup.conditional:
        arrays["y"] = labels
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_file, **arrays)
    return arrays


def float_images_to_uint8(images, *, name: str = "images"):
    """Float images in [-1, 1] (any value below 0) or [0, 1] -> uint8; other arrays pass through.

    The range is read from the data: generator outputs in [-1, 1] always have a black
    background below 0, while [0, 1] images never do.
    """
    from gan_course.data import to_uint8

    images = np.asarray(images)
    if images.dtype.kind != "f" or images.size == 0:
        return images
    if not np.isfinite(images).all():
        raise ValueError(f"{name} contains NaN or Inf; check the generator that produced it")
    low, high = float(images.min()), float(images.max())
    if low < -1.0 - 1e-3 or high > 1.0 + 1e-3:
        raise ValueError(
            f"{name} has float values in [{low:.3g}, {high:.3g}]; floats must be in [-1, 1] or [0, 1] (or pass uint8 0..255)"
        )
    return to_uint8(images, "gan" if low < 0 else "unit")


def evaluate_file(path: str | Path, *, dataset: str = "mnist_5k") -> dict:
    """Score an .npz of samples (`x`: uint8, or float in [-1, 1] or [0, 1]; shape (N, 28, 28)
    or (N, 28, 28, 1); optional labels `y`) against real digits.

    Reference set: the dataset's training split (4,500 images for mnist_5k); memorisation
    compares with the training split and the held-out split. With `y`, also the share of
    samples the digit classifier assigns to the requested label.
    """
    from gan_course.data import load_dataset
    from gan_course.evaluation import classifier, metrics

    if dataset not in ("mnist_5k", "mnist"):
        raise ValueError(
            f"the metrics use a digit classifier: evaluate against 'mnist_5k' or 'mnist', not {dataset!r}"
        )
    path = Path(path)
    if not path.exists():
        raise ValueError(
            f"{path} does not exist; write one with `gan-course sample ... --out {path}`"
        )
    try:
        arrays = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path} is not a readable .npz file ({error}); write one with `gan-course sample`"
        ) from error
    if "x" not in arrays:
        raise ValueError(
            f"{path} has no array 'x' (found {sorted(arrays)}); it must hold uint8 images as x"
        )
    samples = classifier.check_images(
        float_images_to_uint8(arrays["x"], name=f"{path.name}['x']"), name=f"{path.name}['x']"
    )
    train, _ = load_dataset(dataset, split="train")
    held_out, _ = load_dataset(dataset, split="test")
    result = metrics.evaluate_samples(samples, real=train, train=train, held_out=held_out)
    if "y" in arrays:
        result["conditional_accuracy"] = metrics.conditional_accuracy(samples, arrays["y"])
    return result
