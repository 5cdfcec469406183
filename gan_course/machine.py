"""What a benchmark or a notebook ran on, and how fast this machine multiplies matrices.

Every benchmark and notebook prints `machine_report()`, so each result names its machine
(`python -m gan_course.machine` prints it with the peaks). Benchmarks print it first and can express its own speed as a share
of `matmul_peak()`, the GFLOP/s of a large matrix product measured here and now (float32,
and bfloat16 where the CPU has bf16 units), which is the most a dense or convolutional
layer can reach on this machine.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_report() -> str:
    """One paragraph: CPU, cores, Python/TF/Keras versions, oneDNN, bf16 units, GPUs."""
    import keras
    import tensorflow as tf

    from gan_course.training.precision import cpu_has_bf16_units, resolve_precision

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    # oneDNN is on by default for x86 builds of TF >= 2.9 unless TF_ENABLE_ONEDNN_OPTS=0.
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"
    gpus = [gpu.name for gpu in tf.config.list_physical_devices("GPU")]
    return (
        f"{cpu_model()}, {cores} cores visible; Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}; oneDNN "
        f"{'on' if onednn else 'off'}; bf16 CPU units: {'yes' if cpu_has_bf16_units() else 'no'}; "
        f"GPUs: {', '.join(gpus) or 'none'}; precision 'auto' -> {resolve_precision('auto')}"
    )


def matmul_peak(dtype: str = "float32", size: int = 2048, seconds: float = 3.0) -> float:
    """GFLOP/s of a (size x size) @ (size x size) product in `dtype`, best of a few runs."""
    import tensorflow as tf

    a = tf.random.normal((size, size), dtype=tf.float32)
    a = tf.cast(a, dtype)
    product = tf.function(lambda x: tf.matmul(x, x))
    product(a).numpy()  # warm-up
    best, start = 0.0, time.monotonic()
    while time.monotonic() - start < seconds:
        begin = time.perf_counter()
        product(a).numpy()
        best = max(best, 2 * size**3 / (time.perf_counter() - begin) / 1e9)
    return best


def main() -> None:
    print(machine_report())
    print(f"matmul peak: float32 {matmul_peak('float32'):.0f} GFLOP/s", end="")
    print(f", bfloat16 {matmul_peak('bfloat16'):.0f} GFLOP/s")


if __name__ == "__main__":
    main()
