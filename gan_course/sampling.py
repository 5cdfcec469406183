"""Drawing samples from a trained run into an .npz file: what `gan-course sample` does."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan_course.run_data import own_data
from gan_course.runs import load_run


def _draw(setup, noise, labels, batch_size: int, progress: bool, sample) -> np.ndarray:
    """`sample(inputs, start)` of `noise` (and `labels`) in batches that begin at `start`:
    uint8 images or float32 points."""
    from tqdm.auto import tqdm

    from gan_course.data import to_uint8

    chunks = []
    for start in tqdm(
        range(0, len(noise), batch_size), disable=not progress, unit="batch", desc="sampling"
    ):
        stop = start + batch_size
        inputs = (noise[start:stop], labels[start:stop]) if setup.conditional else noise[start:stop]
        samples = np.asarray(sample(inputs, start))
        points = setup.output == "points"  # 2-D points: never scaled or quantised
        chunks.append(samples.astype(np.float32) if points else to_uint8(samples, setup.scale))
    return np.concatenate(chunks)


def _check_request(model: str, setup, label, rejection: bool) -> None:
    """Raise ValueError (one line) when the run cannot give what was asked."""
    if not setup.generative:
        raise ValueError(
            f"{model!r} translates or reconstructs given images; it has nothing to sample from noise"
        )
    if label is not None and not setup.conditional:
        raise ValueError(f"{model!r} is not conditional; --label needs a conditional model")
    if label is not None and setup.label_shares is not None:
        raise ValueError(
            f"{model!r} is conditioned on clusters of its images, not on classes; sample without --label"
        )
    if label is not None and not (isinstance(label, int) and 0 <= label < setup.num_classes):
        raise ValueError(f"--label must be a class 0-{setup.num_classes - 1}, got {label!r}")
    if rejection and setup.output != "points":
        # The density-ratio discriminator is a Fourier-feature MLP on points.
        raise ValueError(f"--rejection works with the 2-D lab's models (toy-*), not {model!r}")


def _labels(setup, count: int, label, generator) -> np.ndarray | None:
    """The labels of `count` samples (int32 (count,)), or None for an unconditional model."""
    if not setup.conditional:
        return None
    if label is not None:
        return np.full(count, label, np.int32)
    if setup.label_shares is not None:  # clusters, drawn as often as the data hold them
        return generator.choice(setup.num_classes, size=count, p=setup.label_shares).astype(
            np.int32
        )
    return np.arange(count, dtype=np.int32) % setup.num_classes  # every class equally often


def _sampler(model: str, setup, ddim_steps: int | None, ancestral: bool, seed: int):
    """`(inputs, start) -> samples`: the run's own sampler, or for an iterative one (DDPM) the
    DDIM steps or the ancestral sampler asked for; ValueError (one line) when it has none."""
    if ddim_steps is None and not ancestral:
        return lambda inputs, start: setup.sample(inputs)
    if setup.iterative is None:
        raise ValueError(
            f"--ddim-steps and --ancestral work with diffusion models (ddpm), not {model!r}"
        )
    if ancestral and ddim_steps is not None:
        raise ValueError("choose --ddim-steps N or --ancestral (all timesteps), not both")
    timesteps = setup.iterative.timesteps
    if ddim_steps is not None and not (
        isinstance(ddim_steps, int) and 1 <= ddim_steps <= timesteps
    ):
        raise ValueError(
            f"--ddim-steps must be 1 to the run's {timesteps} timesteps, got {ddim_steps!r}"
        )
    # The ancestral sampler's fresh noise is keyed by (seed, first index of the batch).
    return lambda inputs, start: setup.iterative.draw(
        inputs, ddim_steps=ddim_steps, seed=(seed, start)
    )


def sample_run(
    from_dir: str | Path,
    *,
    count: int,
    out_file: str | Path,
    label: int | None = None,
    seed: int = 0,
    rejection: bool = False,
    batch_size: int = 256,
    progress: bool = True,
    ddim_steps: int | None = None,
    ancestral: bool = False,
) -> dict:
    """Draw `count` samples from a trained run and save them as uint8 `x` (with the labels asked
    for as `y`, or the clusters drawn as `cluster`) in an .npz.

    `x` has the trained shape (N, H, W, C); runs on the grey named sets as they come (the
    digits) write (N, 28, 28), the layout the digit metrics read.

    Runs on 2-D points save float32 points x (N, 2). `rejection=True` draws through
    discriminator rejection sampling (gan_course.models.rejection): a density-ratio
    discriminator is fitted on the run's training data, and candidates are kept with the
    probability it gives; the file then also holds the acceptance rate.

    Diffusion runs (ddpm) sample with the DDIM steps their config names; `ddim_steps`
    gives another number, and `ancestral=True` runs the ancestral sampler over all T steps.
    """
    if not isinstance(count, int) or count <= 0:
        raise ValueError(f"--n must be a positive integer, got {count!r}")
    record, setup = load_run(from_dir)
    _check_request(record["model"], setup, label, rejection)
    sample = _sampler(record["model"], setup, ddim_steps, ancestral, seed)
    arrays = {}
    if rejection:
        from gan_course.data import load_dataset
        from gan_course.models.rejection import sample_with_rejection

        real, _ = load_dataset(record["dataset"])
        samples, info = sample_with_rejection(setup, real, count=count, seed=seed)
        arrays["x"] = np.asarray(samples)
        arrays["acceptance"] = np.float32(info["acceptance"])
    else:
        generator = np.random.default_rng(seed)
        noise = generator.standard_normal((count, setup.latent_dim)).astype("float32")
        labels = _labels(setup, count, label, generator)
        if labels is not None:
            # `y` is the class each sample was asked for (evaluate scores it as a digit);
            # a cluster is no class, so it is kept under its own name.
            arrays["cluster" if setup.label_shares is not None else "y"] = labels
        arrays["x"] = _draw(setup, noise, labels, batch_size, progress, sample)
    if arrays["x"].ndim == 4 and arrays["x"].shape[-1] == 1 and not own_data(record):
        arrays["x"] = arrays["x"][..., 0]  # (N, 28, 28) for grey digits
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_file, **arrays)
    return arrays
