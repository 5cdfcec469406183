"""How the course DCGAN's cost grows: images/s against batch size, image size and width.

    python benchmarks/bench_cost_growth.py          # ~4 minutes on 2 cores
    python benchmarks/bench_cost_growth.py --precision auto

Each row trains the course DCGAN step (`gan_course.models.dcgan` builders, alternating updates,
float32 unless --precision says otherwise) on random images of the row's size for a few
seconds after tracing, with the batch held in memory. "GFLOP/s" counts the multiply-adds
of every dense and convolution layer (backward = 2x forward; the alternating step runs
the generator twice and the discriminator on three batches, one without weight gradients, see bench_tutorial_dcgan.py), and
"% of peak" divides by the float32 (or bfloat16) matmul peak measured at the start: the
share of the machine's arithmetic the step uses. The rest goes to memory-bound work
(BatchNorm, activations, optimizer updates) and per-op overhead, which is why small
batches and small images sit far below the peak.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# (label, batch, image_shape, generator_filters, discriminator_filters)
ROWS = [
    *[(f"batch {b}", b, (28, 28, 1), (128, 64), (64, 128)) for b in (32, 64, 128, 256, 512)],
    ("image 32x32x3 (CIFAR-10 shape)", 64, (32, 32, 3), (128, 64), (64, 128)),
    ("image 64x64x1 (resized digits)", 64, (64, 64, 1), (128, 64), (64, 128)),
    ("width x0.5", 64, (28, 28, 1), (64, 32), (32, 64)),
    ("width x2", 64, (28, 28, 1), (256, 128), (128, 256)),
    ("width x4", 64, (28, 28, 1), (512, 256), (256, 512)),
]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--precision", default="float32")
    args = parser.parse_args(argv)

    import numpy as np
    from bench_tutorial_dcgan import forward_flops
    from machine import machine_report, matmul_peak

    from gan_course.models.dcgan import DCGANConfig, build_dcgan_setup
    from gan_course.training.precision import resolve_precision
    from gan_course.training.settings import RunSettings

    precision = resolve_precision(args.precision)
    print(machine_report())
    peak = matmul_peak("bfloat16" if precision == "mixed_bfloat16" else "float32")
    print(f"precision {precision}; matmul peak {peak:.0f} GFLOP/s\n")
    print("| row | images/s | steps/s | GFLOP/s | % of peak |")
    print("|---|---:|---:|---:|---:|")
    for label, batch, shape, g_filters, d_filters in ROWS:
        config = DCGANConfig(generator_filters=g_filters, discriminator_filters=d_filters)
        settings = RunSettings(batch_size=batch, precision=precision, seed=0)
        setup = build_dcgan_setup(config, image_shape=shape, settings=settings)
        images = np.random.default_rng(0).uniform(-1, 1, (batch, *shape)).astype("float32")
        for _ in range(3):
            setup.train_step(images)["d_loss"].numpy()  # tracing and warm-up
        steps, start = 0, time.monotonic()
        while time.monotonic() - start < args.seconds:
            outputs = setup.train_step(images)
            steps += 1
        outputs["d_loss"].numpy()
        per_second = steps / (time.monotonic() - start)
        g_flops = forward_flops(setup.models["generator"])
        d_flops = forward_flops(setup.models["discriminator"])
        per_image = 4 * g_flops + 8 * d_flops  # alternating step, as in bench_tutorial_dcgan
        gflops = per_second * batch * per_image / 1e9
        print(
            f"| {label} | {per_second * batch:.0f} | {per_second:.1f} | {gflops:.1f} | "
            f"{100 * gflops / peak:.0f}% |",
            flush=True,
        )


if __name__ == "__main__":
    main()
