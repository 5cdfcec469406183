"""How each family's `jit_compile` default was chosen: its train step timed with and
without XLA, side by side, at its default width and batch size, on this machine.

    python benchmarks/xla_choice.py                 # every registered family
    python benchmarks/xla_choice.py dcgan wgan-gp   # some of them

Each variant runs `--steps` steps after 3 warm-up steps (which include tracing and XLA
compilation), alternating the two variants for `--rounds` rounds and keeping the best.
It prints a Markdown table and the family's current default, for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for machine.py

from machine import machine_report  # noqa: E402

from gan_course.data import load_dataset, make_dataset  # noqa: E402
from gan_course.registry import RECIPES, get_recipe  # noqa: E402
from gan_course.training.settings import RunSettings  # noqa: E402

DATASET = {"toy-gan": "grid25", "toy-pacgan": "grid25", "toy-wgan-gp": "grid25"}


def build(model: str, jit_compile: bool):
    recipe = get_recipe(model)
    images, labels = load_dataset(DATASET.get(model, "mnist_5k"))
    defaults = recipe.run_defaults()
    setup = recipe.build(
        recipe.load_config_class()(),
        image_shape=images.shape[1:],
        settings=RunSettings(jit_compile=jit_compile, batch_size=defaults.batch_size, seed=0),
    )
    data = make_dataset(
        images,
        labels if setup.conditional else None,
        batch_size=defaults.batch_size,
        scale=setup.scale,
        seed=0,
    ).repeat()
    return setup.train_step, iter(data), defaults


def steps_per_second(step, batches, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        outputs = step(next(batches))
    float(next(iter(outputs.values())))  # wait for the last step
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=sorted(RECIPES))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(machine_report())
    print("\n| model | batch | steps/s, no XLA | steps/s, XLA | XLA / no XLA | default |")
    print("|---|---:|---:|---:|---:|---|")
    for model in args.models:
        variants = {flag: build(model, flag) for flag in (False, True)}
        for step, batches, _ in variants.values():
            for _ in range(3):
                step(next(batches))  # tracing and compilation
        best = {False: 0.0, True: 0.0}
        for _ in range(args.rounds):
            for flag, (step, batches, _) in variants.items():
                best[flag] = max(best[flag], steps_per_second(step, batches, args.steps))
        defaults = variants[False][2]
        print(
            f"| {model} | {defaults.batch_size} | {best[False]:.1f} | {best[True]:.1f} | "
            f"{best[True] / best[False]:.2f}x | jit_compile={defaults.jit_compile} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
