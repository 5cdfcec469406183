"""The 2-D mode-collapse lab over three seeds: every toy model with its package defaults.

    flock /tmp/gan_course_cpu.lock .venv/bin/python benchmarks/toy2d_seeds.py
    flock /tmp/gan_course_cpu.lock .venv/bin/python benchmarks/toy2d_seeds.py \
        --models toy-wgan-gp --datasets grid25          # the row that meets the grid target

Trains toy-gan, toy-wgan-gp and toy-pacgan on ring8 and grid25 for seeds 0, 1, 2 (or the
subset given), scores 2,500 samples with the PacGAN/VEEGAN protocol, then applies
discriminator rejection sampling (gan_course.models.rejection, a post-hoc remedy) to every
generator.
Prints a Markdown table (mean ± std over seeds, per-seed values, minutes per run) for
benchmarks/README.md.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from gan_course import lab2d  # noqa: E402
from gan_course.models import rejection  # noqa: E402

SEEDS = (0, 1, 2)
MODELS = {
    "toy-gan": lab2d.Toy2DConfig(),
    "toy-wgan-gp": lab2d.ToyWGANGPConfig(),
    "toy-pacgan": lab2d.ToyPacGANConfig(),
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument(
        "--datasets", nargs="+", choices=list(lab2d.TOY_DATASETS), default=list(lab2d.TOY_DATASETS)
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    args = parser.parse_args(argv)
    results = []  # one dict per (dataset, method, seed)
    for name in args.datasets:
        real, _ = lab2d.load_toy_dataset(name)
        for model in args.models:
            config = MODELS[model]
            for seed in args.seeds:
                trained = lab2d.train_toy(model, name, config, seed=seed)
                row = {"dataset": name, "method": model, "seed": seed, **trained["score"]}
                results.append({**row, "minutes": trained["minutes"]})
                print(json.dumps(results[-1]), flush=True)
                # DRS on every generator: it shows what post-hoc filtering can and cannot fix.
                start = time.monotonic()
                drs = rejection.discriminator_rejection_sampling(
                    trained["generator"],
                    real,
                    lab2d.PROTOCOL_SAMPLES,
                    latent_dim=config.latent_dim,
                    seed=seed,
                )
                extra = (time.monotonic() - start) / 60
                results.append(
                    {
                        **row,
                        "method": f"{model} + DRS",
                        **lab2d.score_modes(drs["samples"], name),
                        "minutes": trained["minutes"] + extra,
                        "acceptance": drs["acceptance"],
                    }
                )
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
