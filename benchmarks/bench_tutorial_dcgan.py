"""Images/s of the TensorFlow DCGAN tutorial's models, side by side: the tutorial's own
train step against the course's step machinery (`gan_course.training.gan_steps`) in float32 and in
the mixed-precision policy that `precision="auto"` picks for this machine.

    python benchmarks/bench_tutorial_dcgan.py     # ~4 minutes: 3 rounds x 5 ways x 12 s

Same models (5x5 kernels, 256-128-64 generator, dropout discriminator), Adam(1e-4), batch
256, noise 100, on mnist_5k. Ways:
- tutorial step, float32 (the reference: https://www.tensorflow.org/tutorials/generative/dcgan);
- course step, simultaneous updates, float32 (the tutorial's update scheme, our code);
- course step, simultaneous, precision auto (mixed_bfloat16 on a CPU with bf16 units,
  mixed_float16 on a tensor-core GPU, float32 otherwise);
- the same with the batch held in memory (no tf.data), to show the input pipeline's share;
- course step, alternating updates (the course default), precision auto.
Tracing is not timed; the ways take turns in rounds and the median is shown. GFLOP/s
comes from counting each layer's multiply-adds (backward = 2x forward) against the
matmul peak measured at the start (benchmarks/machine.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BATCH_SIZE = 256


def forward_flops(model) -> float:
    """FLOPs of one image's forward pass through the dense and convolution layers (2 per MAC)."""
    import keras

    total = 0.0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            kh, kw, c_out, c_in = layer.kernel.shape
            height, width = layer.input.shape[1:3]
            total += 2 * height * width * kh * kw * c_in * c_out
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, c_in, c_out = layer.kernel.shape
            height, width = layer.output.shape[1:3]
            total += 2 * height * width * kh * kw * c_in * c_out
    return total


def build_way(kind: str, precision: str, seed: int = 0):
    """(step, generator, discriminator) for one way; models built under `precision`."""
    import keras
    import tensorflow as tf
    from reference_tf_dcgan import (
        NOISE_DIM,
        make_discriminator_model,
        make_generator_model,
        make_tutorial_train_step,
    )

    from gan_course.training.gan_steps import make_gan_train_step
    from gan_course.training.precision import precision_policy
    from gan_course.training.setup import adam

    keras.utils.set_random_seed(seed)
    with precision_policy(precision):
        output_dtype = None if kind == "tutorial" else "float32"
        generator = make_generator_model(output_dtype)
        discriminator = make_discriminator_model(output_dtype)
        g_optimizer = adam(1e-4, 0.9).build(generator.trainable_variables)
        d_optimizer = adam(1e-4, 0.9).build(discriminator.trainable_variables)
    if kind == "tutorial":
        # The tutorial's Adam(1e-4) has Keras' default beta_1 = 0.9, as adam(1e-4, 0.9) here.
        step = make_tutorial_train_step(generator, discriminator, g_optimizer, d_optimizer)
    else:
        step = make_gan_train_step(
            generator,
            discriminator,
            g_optimizer,
            d_optimizer,
            latent_dim=NOISE_DIM,
            rng=tf.random.Generator.from_seed(seed),
            simultaneous=(kind == "simultaneous"),
        )
    return step, generator, discriminator


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=12.0, help="timed seconds per way and round"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    import tensorflow as tf
    from machine import machine_report, matmul_peak

    from gan_course.data import load_dataset, make_dataset
    from gan_course.training.precision import resolve_precision

    print(machine_report())
    auto = resolve_precision("auto")
    peaks = {"float32": matmul_peak("float32")}
    if auto == "mixed_bfloat16":
        peaks[auto] = matmul_peak("bfloat16")
    print("matmul peak: " + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in peaks.items()))
    images, _ = load_dataset("mnist_5k")
    ways = {
        "tutorial step, float32": ("tutorial", "float32", True),
        "course step, simultaneous, float32": ("simultaneous", "float32", True),
        f"course step, simultaneous, auto ({auto})": ("simultaneous", auto, True),
        "  same, batch in memory (no tf.data)": ("simultaneous", auto, False),
        f"course step, alternating, auto ({auto})": ("alternating", auto, True),
    }
    runners = {}
    for name, (kind, precision, pipeline) in ways.items():
        step, generator, discriminator = build_way(kind, precision)
        g_flops, d_flops = forward_flops(generator), forward_flops(discriminator)
        # Simultaneous: G fwd+bwd on B, D fwd+bwd on 2B. Alternating adds a G forward and a
        # D forward + input-gradient backward on B fakes (no D weight gradients there).
        per_image = 3 * g_flops + 6 * d_flops
        if kind == "alternating":
            per_image += g_flops + 2 * d_flops
        if pipeline:
            batches = iter(make_dataset(images, batch_size=BATCH_SIZE, seed=0).repeat())
            next_batch = lambda batches=batches: next(batches)  # noqa: E731
        else:
            fixed = next(iter(make_dataset(images, batch_size=BATCH_SIZE, seed=0)))
            next_batch = lambda fixed=fixed: fixed  # noqa: E731
        runners[name] = (step, next_batch, per_image, precision)
        for _ in range(3):  # tracing and warm-up, not timed
            result = step(next_batch())
        tf.nest.map_structure(lambda t: t.numpy(), result)

    timings = {name: [] for name in runners}
    for _ in range(args.rounds):
        for name, (step, next_batch, _, _) in runners.items():
            steps, start = 0, time.monotonic()
            while time.monotonic() - start < args.seconds:
                result = step(next_batch())
                steps += 1
            tf.nest.map_structure(lambda t: t.numpy(), result)  # wait for the last step
            timings[name].append(steps * BATCH_SIZE / (time.monotonic() - start))
    baseline = statistics.median(timings["tutorial step, float32"])
    print(f"\n| way | images/s | vs tutorial | GFLOP/s | share of {'/'.join(peaks)} peak |")
    print("|---|---:|---:|---:|---:|")
    for name, values in timings.items():
        median = statistics.median(values)
        _, _, per_image, precision = runners[name]
        gflops = median * per_image / 1e9
        peak = peaks.get(precision, peaks["float32"])
        print(
            f"| {name} | {median:.0f} | {median / baseline:.2f}x | {gflops:.0f} | "
            f"{100 * gflops / peak:.0f}% |"
        )
    print(
        "rounds (images/s): "
        + "; ".join(
            f"{n.strip()}: {', '.join(f'{v:.0f}' for v in vs)}" for n, vs in timings.items()
        )
    )


if __name__ == "__main__":
    main()
