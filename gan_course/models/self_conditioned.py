"""Self-conditioned DCGAN: the cGAN of notebook 05 conditioned on k-means clusters of the
training images instead of labels (after Liu et al. 2020, "Diverse Image Generation via
Self-Conditioned GANs", and Sage et al. 2018, "Logo Synthesis and Manipulation with
Clustered Generative Adversarial Networks"). It needs no labels, and it samples from noise
alone: each sample's cluster is drawn with the cluster's share of the training images.

Why it helps: an unconditional generator must find the data's modes by itself, and on 4,500
digits in a few minutes it leaves many of its samples between two digits. With a cluster
index, each part of the generator learns one tight group of images (a cluster of k-means on
pixels is 80% one digit at 60 clusters), and the projection discriminator judges every
fake against real images of its own cluster. Measured against the unconditional DCGAN on
the same minutes: benchmarks/README.md, "Self-conditioning".

The clusters are found once, when the run starts (`gan_course.run_data`), and their sizes
are saved in the config (`cluster_sizes`), so that sampling needs no data.
"""

from __future__ import annotations

import dataclasses

from gan_course.config import validate_positive, validate_weight_average_decay
from gan_course.models.cgan import conditional_gan_setup
from gan_course.training.settings import RunSettings
from gan_course.training.setup import family_setup, fixed_noise

# A 3-minute budget, as the DCGAN's, so that the first run ends in minutes on any CPU;
# running the command again resumes for 3 more minutes. XLA off, as for the cGAN whose
# networks these are (benchmarks/README.md, "XLA per family").
RUN_DEFAULTS = RunSettings(epochs=400, batch_size=64, max_minutes=3.0, jit_compile=False)


@dataclasses.dataclass(frozen=True)
class SelfConditionedConfig:
    latent_dim: int = 64
    # k of k-means on the pixels. More clusters are purer (one digit each) but smaller; at
    # 3 minutes FID fell from 28.0 at 10 clusters to 18.0 at 30 and 10.4 at 60
    # (benchmarks/README.md, "Self-conditioning").
    clusters: int = 60
    # Images per cluster, set from the data when the run starts; () until then (uniform).
    cluster_sizes: tuple[int, ...] = ()
    embedding_dim: int = 32  # size of the generator's cluster embedding
    generator_filters: tuple[int, ...] = (128, 64)  # widths before each x2 upsampling
    discriminator_filters: tuple[int, ...] = (64, 128)  # widths of the stride-2 convolutions
    learning_rate: float = 2e-4  # both networks, as the cGAN's
    beta_1: float = 0.5
    # Samples from a moving average of the generator's weights when > 0
    # (gan_course.training.weight_average); 0 samples from the trained weights.
    weight_average_decay: float = 0.0

    def __post_init__(self):
        validate_positive(self, "latent_dim", "embedding_dim", "learning_rate")
        validate_weight_average_decay(self)
        if not isinstance(self.clusters, int) or self.clusters < 2:
            raise ValueError(f"clusters must be an integer of 2 or more, got {self.clusters!r}")
        if self.cluster_sizes and (
            len(self.cluster_sizes) != self.clusters or min(self.cluster_sizes) < 1
        ):
            raise ValueError(
                "cluster_sizes are set from the data when a run starts; leave them unset"
            )
        if len(self.generator_filters) != 2 or len(self.discriminator_filters) != 2:
            raise ValueError(
                "the self-conditioned DCGAN uses two up/down-sampling stages: give two filter widths each"
            )

    def cluster_shares(self) -> tuple[float, ...]:
        """Each cluster's share of the training images (uniform before the data are seen)."""
        sizes = self.cluster_sizes or (1,) * self.clusters
        return tuple(size / sum(sizes) for size in sizes)


def grid_inputs(config: SelfConditionedConfig, *, count: int = 100, seed: int):
    """Fixed grid inputs (noise (count, latent_dim), clusters (count,) int32): the clusters are
    drawn with their shares, as `gan-course sample` draws them, so the grid shows the mix of
    digits the samples have."""
    import numpy as np

    clusters = np.random.default_rng(seed).choice(
        config.clusters, size=count, p=config.cluster_shares()
    )
    return fixed_noise(count, config.latent_dim, seed), clusters.astype(np.int32)


@family_setup(RUN_DEFAULTS)
def build_self_conditioned_setup(
    config: SelfConditionedConfig, *, image_shape=(28, 28, 1), settings: RunSettings
):
    """Models, optimizers, RNG and compiled step for one self-conditioned run (used by the CLI).
    The networks and the train step are the cGAN's: each batch is (images, cluster indices)."""
    return conditional_gan_setup(
        config,
        num_classes=config.clusters,
        image_shape=image_shape,
        settings=settings,
        fixed_inputs=grid_inputs(config, seed=settings.seed + 1),
        label_shares=config.cluster_shares(),
    )
