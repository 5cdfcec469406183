"""Style mixing and truncation of a trained StyleGAN-lite, measured (goal 5 of quality_bar.py).

    python benchmarks/stylegan_mixing.py --run runs/quality_bar/stylegan_run --out runs/quality_bar

Draws from the run's weight average (what `gan-course sample` draws from) and writes
OUT/stylegan_mixing.json: {"rows": [{"criterion", "figure", "passed"}], "mixing": ...,
"truncation": [...]}. The measures and their bars are in gan_course.evaluation.style_mixing:
- mixing, at crossover 4 (7x7 and 14x14 styles from A, 28x28 styles from B), on 2,000 pairs:
  the classifier reads A's digit in >= 80% of the mixes whose A and B are different digits,
  and the mixes' ink mass follows B's (Pearson r >= 0.5, and above its r with A's);
- truncation, 2,000 samples at psi = 1, 0.8, 0.6, 0.4, 0.2 scored as `evaluate` scores them:
  recall falls at every step down in psi and precision at psi 0.2 is above psi 1's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(run: Path, *, count: int = 2000) -> dict:
    from gan_course.data import load_dataset
    from gan_course.evaluation import style_mixing
    from gan_course.runs import load_run

    record, setup = load_run(run)
    if record["model"] != "stylegan":
        raise ValueError(f"{run} holds a {record['model']} run; give a stylegan run folder")
    generator = setup.models.get("generator_average", setup.models["generator"])
    mapping, synthesis = generator.get_layer("mapping"), generator.get_layer("synthesis")
    train, _ = load_dataset("mnist_5k")
    held_out, _ = load_dataset("mnist_5k", split="test")
    style_mixing.centre_w_average(mapping)  # the averaged mapping's own mean w
    mixing = style_mixing.mixing_scores(mapping, synthesis, count=count)
    curve = style_mixing.truncation_curve(
        mapping, synthesis, real=train, train=train, held_out=held_out, count=count
    )
    keeps, ink = style_mixing.mixing_passed(mixing)
    first, last = curve[0], curve[-1]
    rows = [
        {
            "criterion": f"style mixing: A's digit kept in >= {style_mixing.KEEPS_CLASS_BAR:.0%}"
            f" of mixes (crossover {mixing['crossover']})",
            "figure": f"{mixing['keeps_coarse']:.3f} of {mixing['pairs']} pairs "
            f"(B's digit {mixing['takes_fine']:.3f})",
            "passed": keeps,
        },
        {
            "criterion": f"style mixing: ink mass follows B (r >= {style_mixing.INK_CORRELATION_BAR}"
            " and above r with A)",
            "figure": f"r with B {mixing['ink_follows_fine']:.2f}, "
            f"with A {mixing['ink_follows_coarse']:.2f}",
            "passed": ink,
        },
        {
            "criterion": "truncation: recall falls and precision rises as psi falls",
            "figure": "; ".join(
                f"psi {row['psi']:g}: FID {row['fid']:.1f}, P {row['precision']:.2f}, "
                f"R {row['recall']:.2f}"
                for row in curve
            )
            + f" (precision {first['precision']:.2f} -> {last['precision']:.2f})",
            "passed": style_mixing.truncation_passed(curve),
        },
    ]
    shown = run.resolve()
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown  # no home paths
    return {"run": str(shown), "count": count, "rows": rows, "mixing": mixing, "truncation": curve}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--run", default="runs/quality_bar/stylegan_run", help="stylegan run folder"
    )
    parser.add_argument("--out", default="runs/quality_bar", help="folder for stylegan_mixing.json")
    parser.add_argument("--count", type=int, default=2000, help="pairs and samples (default 2000)")
    arguments = parser.parse_args(argv)
    try:
        result = measure(Path(arguments.run), count=arguments.count)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "stylegan_mixing.json").write_text(json.dumps(result, indent=1) + "\n")
    for row in result["rows"]:
        print(f"{'PASS' if row['passed'] else 'FAIL'}  {row['criterion']}: {row['figure']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
