"""What do the sample metrics say about sets whose quality we know? One table.

    python benchmarks/calibrate_metrics.py

Reference ("real") = the 4,500 mnist_5k training images. Memorisation is measured
against the same training images with the 500 held-out digits as the baseline, so the
held-out row is 1 by construction. Prints a Markdown table for benchmarks/README.md.
"""

import datetime
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from scipy import ndimage  # noqa: E402

from gan_course.data import load_dataset  # noqa: E402
from gan_course.evaluation.metrics import evaluate_samples  # noqa: E402

COLUMNS = (
    ("n", "{:d}"),
    ("fid", "{:.1f}"),
    ("kid", "{:.2f}"),
    ("kid_se", "{:.2f}"),
    ("classifier_score", "{:.2f}"),
    ("precision", "{:.2f}"),
    ("recall", "{:.2f}"),
    ("min_class_share", "{:.3f}"),
    ("kl_to_uniform", "{:.3f}"),
    ("memorisation", "{:.2f}"),
)


def calibration_sets(train_images, test_images, test_labels) -> dict:
    """Name -> uint8 (N, 28, 28) image set of known quality."""
    test = test_images[..., 0]
    blurred = ndimage.gaussian_filter(test.astype(np.float32), sigma=(0, 1.0, 1.0))
    rng = np.random.default_rng(0)
    return {
        "held-out real digits (real vs real)": test,
        "copies of training digits": train_images[::9, ..., 0],  # 500, every class
        "held-out digits blurred (sigma 1 px)": np.clip(np.round(blurred), 0, 255).astype(np.uint8),
        "uniform noise": rng.integers(0, 256, size=test.shape, dtype=np.uint8),
        "one held-out digit repeated": np.repeat(test[:1], len(test), axis=0),
        "held-out digits 0, 1, 2 only": test[test_labels < 3],
    }


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    train_images, _ = load_dataset("mnist_5k", split="train")
    test_images, test_labels = load_dataset("mnist_5k", split="test")
    rows = {}
    start = time.monotonic()
    for name, samples in calibration_sets(train_images, test_images, test_labels).items():
        rows[name] = evaluate_samples(
            samples, real=train_images, train=train_images, held_out=test_images
        )
    seconds = time.monotonic() - start
    import tensorflow as tf

    print(
        f"Measured {datetime.date.today().isoformat()} on {cpu_name()} ({os.cpu_count()} cores), "
        f"TensorFlow {tf.__version__}, CPU only: {seconds:.0f} s for all rows.\n"
    )
    print("| set | " + " | ".join(name for name, _ in COLUMNS) + " |")
    print("|---|" + "---:|" * len(COLUMNS))
    for name, row in rows.items():
        cells = [fmt.format(row[key]) for key, fmt in COLUMNS]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
