"""Time to quality: minutes of training on this machine until an image family (package
defaults; the DCGAN unless --model says) reaches a target FID. Goal 7 of the quality bar
(benchmarks/quality_goals.py) runs it with --target 40 for each unconditional family.

    python benchmarks/time_to_quality.py                  # up to 10 min of training
    python benchmarks/time_to_quality.py --model self-conditioned --target 40 --max-minutes 5

Training runs the package's compiled step on mnist_5k. At the last step that ends before
each `--every` minutes of training the clock stops, 4,500 samples from fixed noise are
scored (FID on the course classifier against the 4,500 training digits, as in
quality_bar.py), and the clock restarts, so the minutes reported are training minutes only.
Run it alone (under the CPU lock) so the clock is honest. Prints one line per evaluation
and a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target",
        type=float,
        default=36.08,
        help="FID to reach (default: the classic MLP GAN's 10-minute FID)",
    )
    parser.add_argument("--max-minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=0.5, help="minutes between evaluations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--model",
        default="dcgan",
        help="an unconditional image family: dcgan, self-conditioned, wgan, wgan-gp, stylegan",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a field of the model's config or of RunSettings (batch_size, precision, jit_compile)",
    )
    args = parser.parse_args(argv)

    import dataclasses

    import numpy as np
    from machine import machine_report

    from gan_course.config import parse_assignments
    from gan_course.data import load_dataset, make_dataset, to_uint8
    from gan_course.evaluation import classifier, metrics
    from gan_course.registry import get_recipe
    from gan_course.run_data import cluster_labels
    from gan_course.seeding import set_seed
    from gan_course.training.settings import RunSettings

    print(machine_report())
    recipe = get_recipe(args.model)
    config_class = recipe.load_config_class()
    values = parse_assignments((config_class, RunSettings), args.set)
    run_fields = {field.name for field in dataclasses.fields(RunSettings)}
    config = dataclasses.replace(
        config_class(), **{k: v for k, v in values.items() if k not in run_fields}
    )
    settings = RunSettings(seed=args.seed, **{k: v for k, v in values.items() if k in run_fields})
    set_seed(args.seed)
    images, _ = load_dataset("mnist_5k")
    # A family conditioned on clusters trains on the k-means cluster of each image, as
    # `gan-course train` does; the others train on images alone.
    labels, config = cluster_labels(config, images, None)
    print(f"config: {config}")
    real_features = classifier.digit_features(images)
    setup = recipe.build(config, image_shape=images.shape[1:], settings=settings)
    print(f"settings: {setup.settings}")
    noise = np.random.default_rng(args.seed + 1).standard_normal((len(images), config.latent_dim))
    noise = noise.astype("float32")
    if labels is not None:  # each sample's cluster drawn with its share, as `gan-course sample`
        drawn = np.random.default_rng(args.seed + 2).choice(
            config.clusters, size=len(noise), p=config.cluster_shares()
        )
        inputs = list(zip(np.split(noise, 9), np.split(drawn.astype("int32"), 9)))
    else:
        inputs = np.split(noise, 9)

    def evaluate() -> tuple[float, float, int]:
        """FID, the rarest digit's share of the samples and that digit."""
        samples = np.concatenate(
            [to_uint8(np.asarray(setup.sample(chunk)), "gan") for chunk in inputs]
        )
        features, probabilities = classifier.features_and_probabilities(samples)
        shares = metrics.class_balance_from_labels(probabilities.argmax(axis=1))["shares"]
        score = metrics.fid_from_features(real_features, features)
        return score, float(shares.min()), int(shares.argmin())

    trained, steps, epoch, reached = 0.0, 0, 0, None
    step_seconds = 0.0
    next_evaluation = args.every * 60
    rows = []
    while trained < args.max_minutes * 60 and reached is None:
        start = time.perf_counter()
        for batch in make_dataset(
            images,
            labels,
            batch_size=setup.settings.batch_size,
            scale="gan",
            seed=args.seed,
            epoch=epoch,
        ):
            step_start = time.perf_counter()
            outputs = setup.train_step(batch)
            float(next(iter(outputs.values())))  # wait for the step before reading the clock
            steps += 1
            now = time.perf_counter()
            # Stop at the last step that ends before the mark: if one more step as long as the
            # one just measured would cross it, evaluate now, so no evaluation lands past its
            # mark. The first step also traces the graph, so it predicts nothing.
            step_seconds = now - step_start if steps > 1 else 0.0
            if trained + now - start + step_seconds > next_evaluation:
                break
        trained += time.perf_counter() - start
        epoch += 1
        if trained + step_seconds > next_evaluation:  # the loop above stopped at the mark
            score, rarest_share, rarest_digit = evaluate()
            rows.append(
                {
                    "minutes": round(trained / 60, 2),
                    "steps": steps,
                    "fid": round(score, 2),
                    "rarest_digit_share": round(rarest_share, 4),
                    "rarest_digit": rarest_digit,
                }
            )
            print(
                f"{trained / 60:5.2f} min  {steps:6d} steps  FID {score:7.2f}"
                f"  rarest digit {rarest_digit}: {100 * rarest_share:.1f}%",
                flush=True,
            )
            if score <= args.target:
                reached = trained / 60
            next_evaluation += args.every * 60
    print(
        json.dumps(
            {
                "target_fid": args.target,
                "minutes_to_target": None if reached is None else round(reached, 2),
                "evaluations": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
