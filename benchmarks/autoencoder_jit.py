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
    build_autoencoder_models,
    make_autoencoder_train_step,
)
from gan_course.models.vae import VAEConfig, build_vae_models, make_vae_train_step  # noqa: E402
from gan_course.training.setup import build_adam  # noqa: E402


def steps_per_second(family, architecture, jit_compile, *, batch_size=128, steps=60):
    if family == "autoencoder":
        config = AutoencoderConfig(architecture=architecture)
        encoder, decoder = build_autoencoder_models(config)
    else:
        config = VAEConfig(architecture=architecture)
        encoder, decoder = build_vae_models(config)
    optimizer = build_adam(
        1e-3, 0.9, variables=encoder.trainable_variables + decoder.trainable_variables
    )
    rng = tf.random.Generator.from_seed(0)
    if family == "autoencoder":
        step = make_autoencoder_train_step(
            encoder, decoder, optimizer, rng=rng, jit_compile=jit_compile
        )
    else:
        step = make_vae_train_step(encoder, decoder, optimizer, rng=rng, jit_compile=jit_compile)
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
