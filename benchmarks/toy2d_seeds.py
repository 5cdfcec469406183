"""The 2-D mode-collapse lab over three seeds: every toy model with its package defaults.

    flock /tmp/gan_course_cpu.lock .venv/bin/python benchmarks/toy2d_seeds.py
    flock /tmp/gan_course_cpu.lock .venv/bin/python benchmarks/toy2d_seeds.py \
        --models toy-wgan-gp --datasets grid25          # the row that meets the grid target

Trains toy-gan, toy-wgan-gp and toy-pacgan on ring8 and grid25 for seeds 0, 1, 2 (or the
subset given) through the run driver (`gan_course.runs.train_run`, as `gan-course train`
does), scores 2,500 samples with the PacGAN/VEEGAN protocol, then applies discriminator
rejection sampling (`gan_course.models.rejection.sample_with_rejection`, a post-hoc remedy,
as `gan-course sample --rejection` does) to every generator.
Prints a Markdown table (mean ± std over seeds, per-seed values, minutes per run) for
benchmarks/README.md.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from gan_course import lab2d  # noqa: E402
from gan_course.models import rejection  # noqa: E402
from gan_course.runs import load_run, train_run  # noqa: E402
from gan_course.training.settings import RunSettings  # noqa: E402

SEEDS = (0, 1, 2)
MODELS = ("toy-gan", "toy-wgan-gp", "toy-pacgan")  # each with its package defaults


def train_and_score(model: str, name: str, seed: int, out_dir: Path) -> dict:
    """One run through the run driver (as the command line trains it), then its score and
    its DRS score."""
    start = time.monotonic()
    train_run(model, out_dir=out_dir, dataset=name, settings=RunSettings(seed=seed), progress=False)
    minutes = (time.monotonic() - start) / 60
    _, setup = load_run(out_dir)
    generator = setup.models["generator"]
    row = {"dataset": name, "method": model, "seed": seed}
    plain = {**row, **lab2d.score_generator(generator, name, latent_dim=setup.latent_dim)}
    # DRS on every generator: it shows what post-hoc filtering can and cannot fix.
    start = time.monotonic()
    real, _ = lab2d.load_toy_dataset(name)
    samples, info = rejection.sample_with_rejection(
        setup, real, count=lab2d.PROTOCOL_SAMPLES, seed=seed
    )
    drs = {
        **row,
        "method": f"{model} + DRS",
        **lab2d.score_modes(samples, name),
        "minutes": minutes + (time.monotonic() - start) / 60,
        "acceptance": info["acceptance"],
    }
    return {"plain": {**plain, "minutes": minutes}, "drs": drs}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument(
        "--datasets", nargs="+", choices=list(lab2d.TOY_DATASETS), default=list(lab2d.TOY_DATASETS)
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    args = parser.parse_args(argv)
    results = []  # one dict per (dataset, method, seed)
    with tempfile.TemporaryDirectory() as runs:
        for name in args.datasets:
            for model in args.models:
                for seed in args.seeds:
                    scored = train_and_score(
                        model, name, seed, Path(runs) / f"{model}-{name}-{seed}"
                    )
                    for key in ("plain", "drs"):
                        results.append(scored[key])
                        print(json.dumps(results[-1]), flush=True)
    print("\n| data | method | modes | %HQ | minutes per run | per seed (modes / %HQ) |")
    print("|---|---|---|---|---|---|")
    for name in args.datasets:
        methods = dict.fromkeys(r["method"] for r in results if r["dataset"] == name)
        for method in methods:
            rows = [r for r in results if r["dataset"] == name and r["method"] == method]
            modes = np.array([r["modes"] for r in rows], float)
            quality = np.array([r["hq_percent"] for r in rows])
            minutes = np.array([r["minutes"] for r in rows])
            per_seed = ", ".join(f"{r['modes']} / {r['hq_percent']:.1f}" for r in rows)
            print(
                f"| {name} | {method} | {modes.mean():.1f} ± {modes.std():.1f} "
                f"| {quality.mean():.1f} ± {quality.std():.1f} | {minutes.mean():.2f} (max {minutes.max():.2f}) | {per_seed} |"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
