"""Quality at equal steps: the course DCGAN trained in float32 and in mixed_bfloat16.

    python benchmarks/bf16_quality.py --steps 1500 --seeds 0 1

The target: the bfloat16 policy, which `precision="auto"` picks on CPUs with bf16
units, costs no quality: FID "within noise" of float32 after the same number of steps.
Noise here is the spread between seeds of the same precision, so each precision trains one
run per seed (same data order, same noise draws) and the script prints both precisions'
FIDs per seed, their means and the difference of the means against the seed spread.

The numerics do not depend on the CPU having bf16 units: without them TensorFlow emulates
bfloat16 (slowly), with the same rounding, so the comparison is valid on any machine; only
the time per step changes (printed, but not the point here).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

PRECISIONS = ("float32", "mixed_bfloat16")


def train_and_score(precision: str, *, steps: int, seed: int, images, real_features) -> dict:
    """FID of 4,500 samples (fixed noise) after `steps` train steps under `precision`."""
    import numpy as np

    from gan_course.data import make_dataset, to_uint8
    from gan_course.evaluation import classifier, metrics
    from gan_course.models.dcgan import DCGANConfig, build_dcgan_setup
    from gan_course.seeding import set_seed
    from gan_course.training.settings import RunSettings

    set_seed(seed)
    config = DCGANConfig()
    settings = RunSettings(precision=precision, seed=seed)
    setup = build_dcgan_setup(config, image_shape=images.shape[1:], settings=settings)
    done, epoch, start = 0, 0, time.perf_counter()
    while done < steps:
        for batch in make_dataset(
            images, batch_size=setup.settings.batch_size, scale="gan", seed=seed, epoch=epoch
        ):
            outputs = setup.train_step(batch)
            done += 1
            if done == steps:
                break
        epoch += 1
    float(outputs["d_loss"])  # wait for the last step before reading the clock
    seconds = time.perf_counter() - start
    noise = np.random.default_rng(seed + 1).standard_normal((len(images), config.latent_dim))
    samples = np.concatenate(
        [
            to_uint8(np.asarray(setup.sample(chunk.astype("float32")), dtype="float32"), "gan")
            for chunk in np.split(noise, 9)
        ]
    )
    fid = metrics.fid_from_features(real_features, classifier.digit_features(samples))
    return {"precision": precision, "seed": seed, "steps": steps, "fid": fid, "seconds": seconds}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args(argv)
    if args.steps < 1 or len(args.seeds) < 2:
        parser.error("give --steps >= 1 and at least two --seeds (the noise is their spread)")

    from machine import machine_report

    from gan_course.data import load_dataset
    from gan_course.evaluation import classifier

    print(machine_report())
    images, _ = load_dataset("mnist_5k")
    real_features = classifier.digit_features(images)
    rows = []
    for seed in args.seeds:
        for precision in PRECISIONS:
            rows.append(
                train_and_score(
                    precision,
                    steps=args.steps,
                    seed=seed,
                    images=images,
                    real_features=real_features,
                )
            )
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n| precision | FID after {args.steps} steps, per seed | mean | seconds per run |")
    print("|---|---|---:|---:|")
    means, spreads = {}, []
    for precision in PRECISIONS:
        scores = [row["fid"] for row in rows if row["precision"] == precision]
        seconds = [row["seconds"] for row in rows if row["precision"] == precision]
        means[precision] = statistics.mean(scores)
        spreads.append(statistics.stdev(scores))
        print(
            f"| {precision} | {', '.join(f'{s:.2f}' for s in scores)} | {means[precision]:.2f} "
            f"| {statistics.mean(seconds):.0f} |"
        )
    difference = means["mixed_bfloat16"] - means["float32"]
    noise = max(spreads)
    print(
        f"\nbfloat16 - float32: {difference:+.2f} FID; seed-to-seed spread (std): "
        f"{', '.join(f'{s:.2f}' for s in spreads)}; within noise: {abs(difference) <= noise}"
    )


if __name__ == "__main__":
    main()
