"""The DDPM noise schedule (Ho et al. 2020): betas, alpha-bar and the closed-form forward process.

The forward process adds a little Gaussian noise in each of T steps,

    q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),

and the steps compose in closed form: with alpha_t = 1 - beta_t and
alpha_bar_t = alpha_1 ... alpha_t,

    q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I),

so training jumps to any t in one draw: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps.
The paper counts timesteps 1..T; arrays here are indexed 0..T-1 (index t is the paper's t + 1).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

SCHEDULES = ("linear", "cosine")


def linear_betas(timesteps: int, *, start: float = 1e-4, end: float = 0.02) -> np.ndarray:
    """(T,) betas rising linearly from `start` to `end` (Ho et al. 2020) for T = 1000.

    Other T scale both ends by 1000 / T (Nichol & Dhariwal 2021), so alpha_bar_T, how much
    of the image is left at the last step, stays about the same whatever T.
    """
    scale = 1000.0 / timesteps
    return np.linspace(scale * start, min(scale * end, 0.999), timesteps, dtype=np.float64)


def cosine_betas(timesteps: int, *, offset: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """(T,) betas whose alpha_bar follows cos^2 (Nichol & Dhariwal 2021): the image fades
    evenly over the steps instead of being mostly noise long before the last one, which
    matters for small images like 28x28 digits. `max_beta` keeps the last steps invertible."""
    fractions = np.arange(timesteps + 1, dtype=np.float64) / timesteps
    curve = np.cos((fractions + offset) / (1.0 + offset) * math.pi / 2.0) ** 2
    alpha_bars = curve / curve[0]  # alpha_bar at t = 0 .. T, starting at 1
    return np.clip(1.0 - alpha_bars[1:] / alpha_bars[:-1], 0.0, max_beta)


def make_betas(schedule: str, timesteps: int) -> np.ndarray:
    """(T,) betas of the named schedule, 'linear' or 'cosine'."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")
    if isinstance(timesteps, bool) or not isinstance(timesteps, int) or timesteps < 2:
        raise ValueError(f"timesteps must be a whole number >= 2, got {timesteps!r}")
    return linear_betas(timesteps) if schedule == "linear" else cosine_betas(timesteps)


@dataclasses.dataclass(frozen=True, eq=False)
class NoiseSchedule:
    """The betas of one schedule and what follows from them, as float64 NumPy arrays (T,)."""

    betas: np.ndarray

    @property
    def timesteps(self) -> int:
        return len(self.betas)

    @property
    def alphas(self) -> np.ndarray:
        return 1.0 - self.betas

    @property
    def alpha_bars(self) -> np.ndarray:
        """alpha_bar_t = prod_{s <= t} alpha_s: the share of the signal's variance left at t."""
        return np.cumprod(self.alphas)

    @property
    def previous_alpha_bars(self) -> np.ndarray:
        """alpha_bar_{t-1}, with 1 before the first step (x_0 is the clean image)."""
        return np.concatenate([[1.0], self.alpha_bars[:-1]])

    @property
    def posterior_variances(self) -> np.ndarray:
        """beta~_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t), the variance of
        q(x_{t-1} | x_t, x_0): the ancestral sampler's noise (0 at the first step)."""
        return self.betas * (1.0 - self.previous_alpha_bars) / (1.0 - self.alpha_bars)

    @property
    def posterior_mean_coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        """(c_0, c_t) with E[x_{t-1} | x_t, x_0] = c_0 x_0 + c_t x_t (Ho et al. 2020, eq. 7),
        computed here in float64: in float32, 1 - alpha_bar_t of the first steps loses
        most of its digits."""
        denominator = 1.0 - self.alpha_bars
        clean = np.sqrt(self.previous_alpha_bars) * self.betas / denominator
        noisy = np.sqrt(self.alphas) * (1.0 - self.previous_alpha_bars) / denominator
        return clean, noisy


def noise_schedule(schedule: str = "cosine", timesteps: int = 1000) -> NoiseSchedule:
    """The `NoiseSchedule` of the named schedule over `timesteps` steps."""
    return NoiseSchedule(make_betas(schedule, timesteps))


def _per_example(values: np.ndarray, t, like):
    """values[t] for a batch of timestep indices t (B,), shaped (B, 1, ..., 1) to scale `like`."""
    import tensorflow as tf

    picked = tf.gather(tf.constant(values, tf.float32), t)  # (B,)
    ones = tf.ones([tf.rank(like) - 1], tf.int32)
    return tf.cast(tf.reshape(picked, tf.concat([[-1], ones], axis=0)), like.dtype)


def q_sample(schedule: NoiseSchedule, clean, t, noise):
    """x_t ~ q(x_t | x_0) in closed form: sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps.

    `clean` (B, H, W, C) in [-1, 1], `t` (B,) int timestep indices, `noise` eps ~ N(0, I) of
    `clean`'s shape. Returns x_t (B, H, W, C), unbounded.
    """
    signal = _per_example(np.sqrt(schedule.alpha_bars), t, clean)
    spread = _per_example(np.sqrt(1.0 - schedule.alpha_bars), t, clean)
    return signal * clean + spread * noise


def forward_step(schedule: NoiseSchedule, previous, t, noise):
    """One step of the forward chain: x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps.

    Iterated from x_0 over t = 0 .. k it gives x_k in the distribution `q_sample` draws
    from in one go (tests/test_ddpm.py checks it); training never needs the chain.
    """
    keep = _per_example(np.sqrt(schedule.alphas), t, previous)
    spread = _per_example(np.sqrt(schedule.betas), t, previous)
    return keep * previous + spread * noise
