"""The PacGAN / VEEGAN scoring protocol for the 2-D lab.

Draw 2,500 samples; a sample is high quality (HQ) if it lies within 3 sigma of its nearest
mode; a mode is covered if at least one HQ sample has it as nearest mode.
"""

from __future__ import annotations

import numpy as np

from gan_course.data.mixtures import mode_centres, mode_sigma, nearest_modes
from gan_course.training.callbacks import Callback

PROTOCOL_SAMPLES = 2_500  # samples scored per model, as in PacGAN / VEEGAN
HQ_RADIUS_IN_SIGMAS = 3.0


def score_modes(samples, name: str) -> dict:
    """{"modes": covered modes, "hq_percent": % of samples within 3 sigma of their nearest mode}."""
    samples = np.asarray(samples)
    if not np.isfinite(samples).all():
        raise ValueError("samples contain NaN or Inf")
    nearest, distance = nearest_modes(samples, name)
    high_quality = distance <= HQ_RADIUS_IN_SIGMAS * mode_sigma(name)
    return {
        "modes": int(len(np.unique(nearest[high_quality]))),
        "hq_percent": float(100.0 * high_quality.mean()),
    }


def score_generator(generator, name: str, *, latent_dim: int, seed: int = 1234) -> dict:
    """The protocol: score PROTOCOL_SAMPLES samples of `generator` drawn from fixed noise."""
    noise = np.random.default_rng(seed).standard_normal((PROTOCOL_SAMPLES, latent_dim))
    return score_modes(np.asarray(generator(noise.astype(np.float32), training=False)), name)


class ModeScore(Callback):
    """Adds `modes` and `hq_percent` to each epoch's logs (hence the history) for `fit`."""

    def __init__(self, generator, name: str, *, latent_dim: int):
        mode_centres(name)  # raises ValueError for an unknown dataset, before training starts
        self.generator, self.name, self.latent_dim = generator, name, latent_dim

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        score = score_generator(self.generator, self.name, latent_dim=self.latent_dim)
        logs["modes"], logs["hq_percent"] = float(score["modes"]), score["hq_percent"]
