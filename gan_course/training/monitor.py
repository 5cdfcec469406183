"""Is this GAN healthy? A callback that measures a few signs each epoch and names problems.

    monitor = GANMonitor(generator, discriminator, train_images, latent_dim=64)
    fit(train_step, dataset, epochs=20, callbacks=[monitor, SampleGrids(...)])

Each epoch it adds to the epoch's logs (so they reach history.json and TensorBoard when
the monitor comes first in `callbacks`):

- ``d_accuracy_real`` / ``d_accuracy_fake``: share of one fixed batch of real images the
  discriminator calls real (logit > 0), and of fixed-noise fakes it calls fake.
- ``sample_diversity``: mean pairwise distance between the fixed-noise samples' features,
  divided by the same for the fixed real batch: ~1 is as varied as real digits, ~0 means
  every sample is the same. Features are the digit classifier's (gan_course.evaluation.classifier)
  for 28x28x1 images, raw pixels otherwise.
- ``flags``: a list of the problems below that this epoch shows (empty when healthy).
  Flags are printed too.

With BatchNorm the discriminator's inference-mode outputs lag in the first epochs (its
moving averages need a few hundred steps), so early d_accuracy values can read 0 or 1.

Mean D(x) and D(G(z)) and the gradient norms are already in the logs (``d_real``,
``d_fake``, ``g_grad_norm`` from gan_steps.make_gan_train_step); the flags read them there
and skip a check when a step does not report its value. Thresholds (`MonitorThresholds`):

- ``mode_collapse``: sample_diversity < 0.25, from epoch 3 on: below single-class real
  digits and above an untrained generator's grey blobs, which need two warm-up epochs
  (measured: benchmarks/README.md, "GAN monitor thresholds and the digit classifier").
- ``discriminator_overpowering``: mean D(G(z)) < 0.05 while mean D(x) > 0.7: D rejects
  almost every fake, so log(1 - D(G(z))) saturates and G learns little.
- ``vanishing_generator_gradients``: g_grad_norm < 1e-4 (far below what a training DCGAN
  shows: benchmarks/README.md, "GAN monitor thresholds and the digit classifier").
- ``non_finite_loss``: any logged number, or any sample, is NaN or infinite. (`fit` also
  stops with NonFiniteLossError on a non-finite loss; this flag covers other loops.)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from gan_course.training.callbacks import Callback

FLAG_NAMES = (
    "mode_collapse",
    "discriminator_overpowering",
    "vanishing_generator_gradients",
    "non_finite_loss",
)


@dataclasses.dataclass(frozen=True)
class MonitorThresholds:
    min_sample_diversity: float = 0.25
    collapse_warmup_epochs: int = 2  # untrained generators draw near-identical images
    overpowering_max_d_fake: float = 0.05
    overpowering_min_d_real: float = 0.7
    min_generator_gradient_norm: float = 1e-4

    def __post_init__(self):
        for field in dataclasses.fields(self):
            if not getattr(self, field.name) >= 0:
                raise ValueError(f"MonitorThresholds.{field.name} must not be negative")


def mean_pairwise_distance(features: np.ndarray) -> float:
    """Mean Euclidean distance over all pairs of distinct rows of (N, D) features."""
    features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    squared_norms = np.sum(features**2, axis=1)
    squared = squared_norms[:, None] + squared_norms[None, :] - 2.0 * features @ features.T
    distances = np.sqrt(np.maximum(squared, 0.0))
    count = len(features)
    return float(distances.sum() / (count * (count - 1)))


def health_flags(logs: dict, thresholds: MonitorThresholds | None = None) -> list[str]:
    """Names of the problems the numbers in `logs` show (see the module docstring)."""
    thresholds = thresholds or MonitorThresholds()
    flags = []
    diversity = logs.get("sample_diversity")
    warmed_up = logs.get("epoch", math.inf) > thresholds.collapse_warmup_epochs
    if warmed_up and diversity is not None and diversity < thresholds.min_sample_diversity:
        flags.append("mode_collapse")
    d_real, d_fake = logs.get("d_real"), logs.get("d_fake")
    if (
        d_real is not None
        and d_fake is not None
        and d_fake < thresholds.overpowering_max_d_fake
        and d_real > thresholds.overpowering_min_d_real
    ):
        flags.append("discriminator_overpowering")
    g_norm = logs.get("g_grad_norm")
    if g_norm is not None and g_norm < thresholds.min_generator_gradient_norm:
        flags.append("vanishing_generator_gradients")
    numbers = [v for v in logs.values() if isinstance(v, float)]
    if not all(math.isfinite(v) for v in numbers):
        flags.append("non_finite_loss")
    return flags


class GANMonitor(Callback):
    """Adds d_accuracy_real, d_accuracy_fake, sample_diversity and flags to each epoch's logs.

    `generator` and `discriminator` are called as `model(inputs, training=False)`;
    conditional models (give `real_labels`) take `[noise, labels]` and `[images, labels]`.
    `real_images` are uint8 NHWC (as `load_dataset` returns); `scale` is the generator's
    output range ("gan" for tanh, "unit" for sigmoid).
    """

    def __init__(
        self,
        generator: Callable,
        discriminator: Callable,
        real_images: np.ndarray,
        *,
        latent_dim: int,
        real_labels: np.ndarray | None = None,
        scale: str = "gan",
        evaluation_size: int = 200,
        seed: int = 0,
        num_classes: int = 10,
        thresholds: MonitorThresholds | None = None,
        verbose: bool = True,
    ):
        real_images = np.asarray(real_images)
        if real_images.dtype != np.uint8 or real_images.ndim != 4:
            raise ValueError("real_images must be uint8 (N, H, W, C), as load_dataset returns")
        if not isinstance(evaluation_size, int) or not 2 <= evaluation_size <= len(real_images):
            raise ValueError(
                f"evaluation_size must be an integer from 2 to {len(real_images)}, got {evaluation_size!r}"
            )
        self.generator, self.discriminator = generator, discriminator
        self.scale, self.verbose = scale, verbose
        self.thresholds = thresholds or MonitorThresholds()
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(real_images), evaluation_size, replace=False)
        self.real_uint8 = real_images[chosen]  # one fixed real batch for every epoch
        self.noise = rng.standard_normal((evaluation_size, latent_dim)).astype(np.float32)
        self.conditional = real_labels is not None
        if self.conditional:
            self.real_labels = np.asarray(real_labels, dtype=np.int32)[chosen]
            self.fake_labels = np.arange(evaluation_size, dtype=np.int32) % num_classes
        self.real_diversity = None  # computed on the first epoch, then reused

    def _features(self, images_uint8: np.ndarray) -> np.ndarray:
        if images_uint8.shape[1:] == (28, 28, 1):
            from gan_course.evaluation.classifier import digit_features

            return digit_features(images_uint8, progress=False)
        return images_uint8.reshape(len(images_uint8), -1).astype(np.float64) / 255.0

    def _discriminate(self, images_scaled, labels) -> np.ndarray:
        inputs = [images_scaled, labels] if self.conditional else images_scaled
        return np.asarray(self.discriminator(inputs, training=False), dtype=np.float64).ravel()

    def measure(self) -> dict:
        """The monitor's numbers for the models as they are now."""
        from gan_course.data import scale_images, to_uint8

        inputs = [self.noise, self.fake_labels] if self.conditional else self.noise
        fake = np.asarray(self.generator(inputs, training=False), dtype=np.float32)
        real = np.asarray(scale_images(self.real_uint8, self.scale))
        real_logits = self._discriminate(real, self.real_labels if self.conditional else None)
        fake_logits = self._discriminate(fake, self.fake_labels if self.conditional else None)
        results = {
            "d_accuracy_real": float(np.mean(real_logits > 0)),
            "d_accuracy_fake": float(np.mean(fake_logits < 0)),
        }
        if not (np.isfinite(fake).all() and np.isfinite(fake_logits).all()):
            results["sample_diversity"] = math.nan  # makes non_finite_loss fire
            return results
        if self.real_diversity is None:
            self.real_diversity = mean_pairwise_distance(self._features(self.real_uint8))
        fake_diversity = mean_pairwise_distance(self._features(to_uint8(fake, self.scale)))
        results["sample_diversity"] = fake_diversity / self.real_diversity
        return results

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        logs.update(self.measure())
        logs["flags"] = health_flags(logs, self.thresholds)
        if logs["flags"] and self.verbose:
            from tqdm.auto import tqdm

            tqdm.write(f"epoch {epoch}: GANMonitor flags {', '.join(logs['flags'])}")
