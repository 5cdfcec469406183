"""What do the sample metrics say about sets whose quality we know? One table, and checks.

    python benchmarks/calibrate_metrics.py      # ~1 min on a 2-core CPU

Reference ("real") = the 4,500 mnist_5k training images with their labels. Memorisation
is measured against the same training images with the 500 held-out digits as the
baseline, so the held-out row is 1 by construction. Every set carries labels (the digit
it stands for), so the conditional scores of `gan-course evaluate` are calibrated too.

Each metric is checked on the orderings it is meant to see (`CHECKS`): the overall scores
(FID, KID, classifier score) must rank real > blurred > three classes > noise and one
repeated digit; the per-sample ones (precision, recognisable share) must put real above
blurred and noise at the bottom, and need not punish sets made of real digits (three
classes, one digit); the coverage ones (recall, per-class recall) must put the collapsed
sets at the bottom. Prints the Markdown table for benchmarks/README.md, "Metric
calibration", and PASS/FAIL per metric. `calibration_results()` returns the same as a dict.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/machine.py

import numpy as np  # noqa: E402

SETS = {  # key -> row name in the table
    "real": "held-out real digits (real vs real)",
    "copies": "copies of training digits",
    "blurred": "held-out digits blurred (sigma 1 px)",
    "three": "held-out digits 0, 1, 2 only",
    "noise": "uniform noise (labels of the held-out digits)",
    "one": "one held-out digit repeated",
    "one_per_class": "one held-out digit per class, each repeated 50 times",
}
COLUMNS = (  # key, format; every key `evaluate` reports for a labelled file
    ("n", "{:d}"),
    ("fid", "{:.1f}"),
    ("kid_raw", "{:.2f}"),
    ("kid_raw_se", "{:.2f}"),
    ("classifier_score", "{:.2f}"),
    ("recognisable_share", "{:.3f}"),
    ("precision", "{:.2f}"),
    ("recall", "{:.2f}"),
    ("min_class_share", "{:.3f}"),
    ("kl_to_uniform", "{:.3f}"),
    ("memorisation", "{:.2f}"),
    ("conditional_accuracy", "{:.3f}"),
    ("per_class_recall_mean", "{:.2f}"),
    ("per_class_recall_min", "{:.2f}"),
)
_OVERALL = {"order": [("real", "blurred", "three", "noise"), ("three", "one")]}
CHECKS = {
    # metric: higher (is better), order (chains, best first, strict), bounds {set: (low, high)}
    "fid": {"higher": False, **_OVERALL},
    "kid_raw": {"higher": False, **_OVERALL},
    "classifier_score": {"higher": True, **_OVERALL},
    "recognisable_share": {
        "higher": True,
        "order": [("real", "blurred", "noise")],
        "bounds": {"real": (0.9, 1.0), "noise": (0.0, 0.1)},
    },
    "precision": {
        "higher": True,
        "order": [("real", "blurred", "noise")],
        "bounds": {"real": (0.6, 1.0), "noise": (0.0, 0.1)},
    },
    "recall": {
        "higher": True,
        "order": [("real", "blurred"), ("real", "three", "one")],
        "bounds": {"real": (0.6, 1.0), **{key: (0.0, 0.1) for key in ("noise", "one_per_class")}},
    },
    "min_class_share": {
        "higher": True,
        "order": [("real", "three")],
        "bounds": {"real": (0.08, 1.0), "blurred": (0.05, 1.0), "three": (0.0, 0.01)},
    },
    "kl_to_uniform": {
        "higher": False,
        "order": [("real", "three", "one")],
        "bounds": {"real": (0.0, 0.05), "blurred": (0.0, 0.05), "three": (0.5, 9.0)},
    },
    "memorisation": {
        "bounds": {
            "copies": (0.0, 0.2),
            "real": (0.8, 1.25),
            **{key: (0.8, 99.0) for key in ("blurred", "three", "noise", "one")},
        },
    },
    "conditional_accuracy": {
        "higher": True,
        "order": [("real", "blurred", "noise")],
        "bounds": {"real": (0.95, 1.0), "noise": (0.0, 0.2)},
    },
    "per_class_recall_mean": {
        "higher": True,
        "order": [("real", "blurred"), ("real", "three", "one")],
        "bounds": {"real": (0.6, 1.0), **{key: (0.0, 0.1) for key in ("noise", "one_per_class")}},
    },
    "per_class_recall_min": {
        "higher": True,
        "order": [("real", "blurred")],
        "bounds": {
            "real": (0.5, 1.0),
            **{key: (0.0, 0.1) for key in ("three", "noise", "one", "one_per_class")},
        },
    },
}


def calibration_sets(train_images, train_labels, test_images, test_labels) -> dict:
    """Key -> (uint8 (N, 28, 28) images, int labels (N,)) of known quality."""
    from scipy import ndimage

    test = test_images[..., 0]
    blurred = ndimage.gaussian_filter(test.astype(np.float32), sigma=(0, 1.0, 1.0))
    noise = np.random.default_rng(0).integers(0, 256, size=test.shape, dtype=np.uint8)
    firsts = [int(np.flatnonzero(test_labels == digit)[0]) for digit in range(10)]
    return {
        "real": (test, test_labels),
        "copies": (train_images[::9, ..., 0], train_labels[::9]),  # 500, every class
        "blurred": (np.clip(np.round(blurred), 0, 255).astype(np.uint8), test_labels),
        "three": (test[test_labels < 3], test_labels[test_labels < 3]),
        "noise": (noise, test_labels),
        "one": (np.repeat(test[:1], len(test), axis=0), np.repeat(test_labels[:1], len(test))),
        "one_per_class": (np.repeat(test[firsts], 50, axis=0), np.repeat(test_labels[firsts], 50)),
    }


def check_metric(metric: str, values: dict) -> list[str]:
    """The expectations of CHECKS[metric] that `values` (set key -> value) breaks."""
    spec, broken = CHECKS[metric], []
    for chain in spec.get("order", []):
        for better, worse in zip(chain, chain[1:]):
            ok = (
                values[better] > values[worse] if spec["higher"] else values[better] < values[worse]
            )
            if not ok:
                sign = ">" if spec["higher"] else "<"
                broken.append(f"{better} {values[better]:.3g} {sign} {worse} {values[worse]:.3g}")
    for key, (low, high) in spec.get("bounds", {}).items():
        if not low <= values[key] <= high:
            broken.append(f"{key} {values[key]:.3g} not in [{low:g}, {high:g}]")
    return broken


def host() -> str:
    import tensorflow as tf
    from machine import cpu_model

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu_model()} ({cores} cores), TensorFlow {tf.__version__}, CPU only"


def calibration_results() -> dict:
    """{"rows": {set key: evaluate row}, "names": SETS, "checks": {metric: {"passed",
    "broken"}}, "passed": all metrics pass, "host", "seconds"}."""
    from gan_course.data import load_dataset
    from gan_course.evaluation.metrics import evaluate_samples

    train_images, train_labels = load_dataset("mnist_5k", split="train")
    test_images, test_labels = load_dataset("mnist_5k", split="test")
    start, rows = time.monotonic(), {}
    for key, (images, labels) in calibration_sets(
        train_images, train_labels, test_images, test_labels
    ).items():
        rows[key] = evaluate_samples(
            images,
            real=train_images,
            train=train_images,
            held_out=test_images,
            labels=labels,
            real_labels=train_labels,
        )
    seconds = time.monotonic() - start
    checks = {}
    for metric in CHECKS:
        broken = check_metric(metric, {key: row[metric] for key, row in rows.items()})
        checks[metric] = {"passed": not broken, "broken": broken}
    passed = all(check["passed"] for check in checks.values())
    return {
        "rows": rows,
        "names": SETS,
        "checks": checks,
        "passed": passed,
        "host": host(),
        "seconds": seconds,
    }


def markdown(results: dict) -> str:
    lines = ["| set | " + " | ".join(key for key, _ in COLUMNS) + " |"]
    lines.append("|---|" + "---:|" * len(COLUMNS))
    for key, row in results["rows"].items():
        cells = [fmt.format(row[column]) for column, fmt in COLUMNS]
        lines.append(f"| {SETS[key]} | " + " | ".join(cells) + " |")
    lines.append("")
    for metric, check in results["checks"].items():
        verdict = "PASS" if check["passed"] else "FAIL: " + "; ".join(check["broken"])
        lines.append(f"- `{metric}`: {verdict}")
    return "\n".join(lines)


def main() -> int:
    results = calibration_results()
    print(f"Measured on {results['host']}: {results['seconds']:.0f} s for all rows.\n")
    print(markdown(results))
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
