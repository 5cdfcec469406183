"""Images/s of the MLP GAN side by side: classic `train_on_batch`, our `tf.function`
step, the same step with XLA (`jit_compile=True`), and XLA in the precision that
`precision="auto"` picks for this machine (mixed_bfloat16 on a CPU with bf16 units).

    python benchmarks/bench_vanilla_gan.py      # ~3 minutes: 3 rounds x 4 ways x 10 s

Each way trains the same architecture at batch 128 on mnist_5k after a warm-up (tracing
and XLA compilation are not timed); the ways take turns in rounds so a burst of load from
elsewhere hits all of them, and the median is shown. One "image" = one real image seen by
a discriminator update (plus one fake for the generator update): batch_size per step.
On a shared machine run it under the course's CPU lock (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for reference_classic_gan


def timed(step_fn, seconds: float, images_per_call: int, finish=lambda result: None):
    """(images per wall-clock second, images per CPU second) of `step_fn()` run for `seconds`.

    CPU seconds (this process, all threads) are less sensitive than wall-clock to other
    programs competing for the cores, so both are reported.
    """
    steps, start, cpu_start, result = 0, time.monotonic(), time.process_time(), None
    while time.monotonic() - start < seconds:
        result = step_fn()
        steps += 1
    finish(result)  # wait for asynchronous work of the last step
    images = steps * images_per_call
    return images / (time.monotonic() - start), images / (time.process_time() - cpu_start)


def flops_per_image(generator_widths, discriminator_widths, latent_dim=100, pixels=784) -> float:
    """Floating-point operations of one alternating step per real image (2 per multiply-add).

    With g and d the multiply-adds of one generator and one discriminator forward pass:
    discriminator update g (fakes) + 2d (real and fake) + 4d (their backward pass, weights
    and inputs); generator update g + d forward, d backward to the fake images only, 2g
    backward. In all 4g + 8d multiply-adds; biases and activations are not counted.
    """
    g_sizes = [latent_dim, *generator_widths, pixels]
    d_sizes = [pixels, *discriminator_widths, 1]
    g = sum(a * b for a, b in zip(g_sizes, g_sizes[1:]))
    d = sum(a * b for a, b in zip(d_sizes, d_sizes[1:]))
    return 2.0 * (4 * g + 8 * d)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="timed seconds per way and round"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps-per-call", type=int, default=8, help="for the multi-step way")
    args = parser.parse_args(argv)

    import keras
    from reference_classic_gan import build_classic_gan, classic_training_steps, flat_images

    from gan_course.data import load_dataset, make_dataset
    from gan_course.models.vanilla_gan import VanillaGANConfig, build_vanilla_gan_setup
    from gan_course.training.gan_steps import repeat_step
    from gan_course.training.settings import RunSettings

    images, _ = load_dataset("mnist_5k", split="train")
    from machine import machine_report, matmul_peak

    print(machine_report())
    peak = matmul_peak("float32")
    print(f"float32 matmul peak (2048x2048): {peak:.0f} GFLOP/s")
    defaults = VanillaGANConfig()
    flops = flops_per_image(defaults.generator_widths, defaults.discriminator_widths)
    print(f"{flops / 1e6:.1f} MFLOP per image and step (counted by layer, see flops_per_image)")
    print(f"batch {args.batch_size}")
    keras.utils.set_random_seed(0)
    classic_steps = classic_training_steps(
        *build_classic_gan(), flat_images(images), batch_size=args.batch_size
    )
    ways = {"classic train_on_batch + predict": (lambda: next(classic_steps), lambda r: None)}
    from gan_course.training.precision import resolve_precision

    auto = resolve_precision("auto")
    variants = [("tf.function", False, "float32"), ("tf.function + XLA", True, "float32")]
    if auto != "float32":
        variants.append((f"tf.function + XLA, {auto}", True, auto))
    for name, jit_compile, precision in variants:
        settings = RunSettings(
            jit_compile=jit_compile, batch_size=args.batch_size, precision=precision, seed=0
        )
        setup = build_vanilla_gan_setup(defaults, image_shape=images.shape[1:], settings=settings)
        batches = iter(make_dataset(images, batch_size=args.batch_size, seed=0).repeat())
        step = lambda setup=setup, batches=batches: setup.train_step(next(batches))  # noqa: E731
        ways[f"gan_course step, {name}"] = (step, lambda r: r["d_loss"].numpy())
    # Several steps per call: K batches stacked (K, B, 28, 28, 1), one tf.function call.
    settings = RunSettings(jit_compile=True, batch_size=args.batch_size, seed=0)
    setup = build_vanilla_gan_setup(defaults, image_shape=images.shape[1:], settings=settings)
    multi_step = repeat_step(setup.train_step, args.steps_per_call, jit_compile=True)
    stacked = iter(
        make_dataset(images, batch_size=args.batch_size, seed=0)
        .repeat()
        .batch(args.steps_per_call, drop_remainder=True)
    )
    multi_name = f"gan_course step, XLA, {args.steps_per_call} steps per call"
    ways[multi_name] = (lambda: multi_step(next(stacked)), lambda r: r["d_loss"].numpy())
    images_per_call = {name: args.batch_size for name in ways}
    images_per_call[multi_name] = args.batch_size * args.steps_per_call
    for step_fn, finish in ways.values():  # warm-up: tracing and XLA compilation not timed
        for _ in range(10):
            result = step_fn()
        finish(result)
    # Interleave the ways in rounds so a burst of load from elsewhere hits all of them.
    results = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, (step_fn, finish) in ways.items():
            results[name].append(timed(step_fn, args.seconds, images_per_call[name], finish))
    baseline = statistics.median(wall for wall, _ in results["classic train_on_batch + predict"])
    for name, values in results.items():
        median = statistics.median(wall for wall, _ in values)
        per_cpu = statistics.median(cpu for _, cpu in values)
        rounds = ", ".join(f"{wall:.0f}" for wall, _ in values)
        gflops = median * flops / 1e9
        print(
            f"{name:36s} {median:6.0f} images/s  ({median / baseline:.2f}x classic; "
            f"rounds {rounds}); {per_cpu:.0f} images per CPU-second; "
            f"{gflops:.0f} GFLOP/s = {100 * gflops / peak:.0f}% of the matmul peak"
        )


if __name__ == "__main__":
    main()
