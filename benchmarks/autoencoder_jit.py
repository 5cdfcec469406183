"""Train-step speed of the dense and conv autoencoder / VAE, with and without XLA.

    python benchmarks/autoencoder_jit.py

Runs every variant side by side in one process on the machine it reports, best of
three alternating rounds each.
"""

import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from gan_course.models.autoencoder import (  # noqa: E402
    AutoencoderConfig,
    build_autoencoder_setup,
)
from gan_course.models.vae import VAEConfig, build_vae_setup  # noqa: E402
from gan_course.training.settings import RunSettings  # noqa: E402


def steps_per_second(family, architecture, jit_compile, *, batch_size=128, steps=60):
    settings = RunSettings(batch_size=batch_size, jit_compile=jit_compile, seed=0)
    if family == "autoencoder":
        setup = build_autoencoder_setup(
            AutoencoderConfig(architecture=architecture), settings=settings
        )
    else:
        setup = build_vae_setup(VAEConfig(architecture=architecture), settings=settings)
    step = setup.train_step
    batch = tf.constant(np.random.default_rng(0).random((batch_size, 28, 28, 1), np.float32))
    for _ in range(5):  # trace and warm up
        float(step(batch)["loss"])
    start = time.perf_counter()
    for _ in range(steps):
        outputs = step(batch)
    float(outputs["loss"])
    return steps / (time.perf_counter() - start)


def main():
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, TensorFlow {tf.__version__}"
    )
    for family in ("autoencoder", "vae"):
        for architecture in ("dense", "conv"):
            # Best of three alternating rounds: the shared CPU makes single timings noisy.
            plain, xla = 0.0, 0.0
            for _ in range(3):
                plain = max(plain, steps_per_second(family, architecture, False))
                xla = max(xla, steps_per_second(family, architecture, True))
            print(
                f"{family:12s} {architecture:6s} steps/s (batch 128): no XLA {plain:6.1f} | XLA {xla:6.1f}"
            )


if __name__ == "__main__":
    main()
