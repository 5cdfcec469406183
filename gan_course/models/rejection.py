"""Discriminator rejection sampling (DRS, Azadi et al. 2019): a post-hoc remedy.

For the optimal discriminator the logit is log p_data(x) / p_g(x). Accepting a generated
x with probability exp(logit(x) - max logit) is ordinary rejection sampling: the kept
samples follow p_data wherever p_g > 0. The generator is not changed; it pays with
1 / acceptance-rate candidates per kept sample, and it cannot add modes it never draws.
The discriminator used here is trained after the GAN, on the frozen generator, so that
its logit estimates that density ratio.

From the command line it is an option of sampling a trained toy run
(`sample_with_rejection` is what it calls):

    gan-course sample --from runs/toy-pacgan-grid25 --n 2500 --rejection --out points.npz
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_course import losses
from gan_course.training import randomness
from gan_course.training.setup import adam
from gan_course.training.update import apply_update


def build_fourier_discriminator(
    *,
    input_dim: int = 2,
    features: int = 64,
    frequency_scale: float = 1.0,
    hidden_units: tuple[int, ...] = (256, 256),
    seed: int = 0,
) -> keras.Model:
    """Points (B, input_dim) -> logits (B, 1), unbounded; fixed random Fourier features first.

    An MLP on raw coordinates learns sharp bumps slowly (its spectral bias); sin and cos of
    fixed random projections 2*pi*B x, B ~ N(0, frequency_scale^2) (Tancik et al. 2020),
    let it carve blobs 0.05 wide in a few hundred steps.
    """
    points = keras.Input((input_dim,), name="points")
    initializer = keras.initializers.RandomNormal(stddev=2 * math.pi * frequency_scale, seed=seed)
    projected = layers.Dense(
        features, use_bias=False, trainable=False, kernel_initializer=initializer
    )(points)  # (B, features)
    x = layers.Concatenate()([keras.ops.sin(projected), keras.ops.cos(projected)])  # (B, 2F)
    for width in hidden_units:
        x = layers.Dense(width)(x)  # (B, width)
        x = layers.LeakyReLU(0.2)(x)
    logits = layers.Dense(1)(x)  # (B, 1)
    return keras.Model(points, logits, name="fourier_discriminator")


def fit_density_ratio(
    discriminator,
    generator,
    real: np.ndarray,
    *,
    latent_dim: int,
    steps: int,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    seed: int = 0,
    jit_compile: bool = False,
) -> list[float]:
    """Train `discriminator` (logits) to tell `real` from the frozen generator; returns the losses.

    Only the discriminator's weights change. Each step draws `batch_size` real rows and as
    many fakes, with the binary cross-entropy of `losses.discriminator_loss`.
    """
    if steps <= 0 or batch_size <= 0:
        raise ValueError(f"steps and batch_size must be positive, got {steps}, {batch_size}")
    variables = discriminator.trainable_variables
    optimizer = adam(learning_rate, beta_1=0.5).build(variables)
    rng = tf.random.Generator.from_seed(seed)
    real = tf.constant(real)  # (N, D)

    @tf.function(jit_compile=jit_compile)
    def step():
        index = randomness.uniform(rng, (batch_size,), 0, tf.shape(real)[0], dtype=tf.int32)
        noise = randomness.normal(rng, (batch_size, latent_dim))  # (B, latent_dim)
        fake = generator(noise, training=False)  # outside the tape: the generator stays frozen
        with tf.GradientTape() as tape:
            loss = losses.discriminator_loss(
                discriminator(tf.gather(real, index), training=True),  # (B, 1)
                discriminator(fake, training=True),
            )
        apply_update(tape, loss, variables, optimizer)
        return loss

    return [float(step()) for _ in range(steps)]


def rejection_scores(logits, max_logit: float, *, gamma: float = 0.0, epsilon: float = 1e-6):
    """DRS's F(x) = D(x) - D_M - log(1 - exp(D(x) - D_M - eps)) - gamma; keep x with prob. sigmoid(F).

    For logits well below the maximum D_M, sigmoid(F) ~ exp(D(x) - D_M - gamma): exact
    rejection sampling when gamma = 0; a larger gamma keeps fewer, better samples.
    """
    shifted = np.asarray(logits, dtype=np.float64) - max_logit
    return shifted - np.log1p(-np.exp(np.minimum(shifted, 0.0) - epsilon)) - gamma


def rejection_sample(
    generator,
    discriminator,
    n: int,
    *,
    latent_dim: int,
    gamma: float | None = None,
    gamma_percentile: float = 95.0,
    seed: int = 0,
    batch_size: int = 10_000,
    max_candidates: int = 5_000_000,
) -> tuple[np.ndarray, float]:
    """`n` samples kept by DRS and the acceptance rate (kept / drawn).

    D_M is the largest logit seen so far (a first batch sets it), as in the paper. With
    `gamma=None` (the paper's practical choice) each batch sets gamma to the
    `gamma_percentile`-th percentile of its F values, so roughly the best (100 - percentile)%
    of candidates are kept whatever the scale of the logits; a float fixes gamma instead.
    Raises RuntimeError when `max_candidates` draws do not yield `n` samples.
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    rng = np.random.default_rng(seed)

    def candidates():
        noise = rng.standard_normal((batch_size, latent_dim)).astype(np.float32)
        samples = np.asarray(generator(noise, training=False))
        return samples, np.asarray(discriminator(samples, training=False)).reshape(-1)

    max_logit = candidates()[1].max()  # burn-in batch: only sets D_M
    kept, drawn = [], 0
    while sum(len(batch) for batch in kept) < n:
        if drawn >= max_candidates:
            raise RuntimeError(
                f"DRS kept {sum(len(b) for b in kept)} of {n} samples in {drawn} draws; "
                "lower gamma or train the discriminator longer"
            )
        samples, logits = candidates()
        drawn += batch_size
        max_logit = max(max_logit, logits.max())
        scores = rejection_scores(logits, max_logit)
        scores -= np.percentile(scores, gamma_percentile) if gamma is None else gamma
        accept_probability = 0.5 * (1.0 + np.tanh(0.5 * scores))  # sigmoid, no overflow
        kept.append(samples[rng.uniform(size=batch_size) < accept_probability])
    kept = np.concatenate(kept)
    return kept[:n], len(kept) / drawn


def discriminator_rejection_sampling(
    generator,
    real: np.ndarray,
    n: int,
    *,
    latent_dim: int,
    steps: int = 1000,
    gamma_percentile: float = 99.0,
    seed: int = 0,
) -> dict:
    """DRS for low-dimensional points: fit a fresh Fourier discriminator, then keep `n` samples.

    Returns {"samples" (n, D), "acceptance", "losses"}. The defaults (steps, percentile)
    were measured: benchmarks/README.md, "2-D lab defaults".
    """
    discriminator = build_fourier_discriminator(input_dim=real.shape[1], seed=seed)
    fitted = fit_density_ratio(
        discriminator, generator, real, latent_dim=latent_dim, steps=steps, seed=seed
    )
    samples, acceptance = rejection_sample(
        generator,
        discriminator,
        n,
        latent_dim=latent_dim,
        gamma_percentile=gamma_percentile,
        seed=seed,
    )
    return {"samples": samples, "acceptance": acceptance, "losses": fitted}


def sample_with_rejection(
    setup,
    real: np.ndarray,
    *,
    count: int,
    seed: int = 0,
    steps: int = 1000,
    gamma_percentile: float = 99.0,
) -> tuple[np.ndarray, dict]:
    """DRS samples of a trained run: `count` float32 points (count, D) and
    {"acceptance": kept / drawn, "losses": the density-ratio fit's losses}.

    `setup` is a loaded run's `TrainingSetup` (`gan_course.runs.load_run`) whose generator
    draws points; `real` is its training data, (N, D) points. What `gan-course sample
    --rejection` calls.
    """
    if setup.output != "points":
        # The density-ratio discriminator is a Fourier-feature MLP on low-dimensional points.
        raise ValueError(
            f"rejection sampling works on runs that draw 2-D points (the toy-* models), "
            f"not on {setup.output}"
        )
    real = np.asarray(real)
    if real.ndim != 2 or not np.issubdtype(real.dtype, np.floating):
        raise ValueError(
            f"the training data for rejection sampling must be float points (N, D), got "
            f"{real.dtype} of shape {real.shape}; pass the run's dataset (data.load_dataset)"
        )
    result = discriminator_rejection_sampling(
        setup.models["generator"],
        real.astype(np.float32),
        count,
        latent_dim=setup.latent_dim,
        steps=steps,
        gamma_percentile=gamma_percentile,
        seed=seed,
    )
    samples = result["samples"].astype(np.float32)
    return samples, {"acceptance": float(result["acceptance"]), "losses": result["losses"]}
