"""The 2-D mode-collapse lab: mixtures of Gaussians, small MLP GANs, and the PacGAN/VEEGAN score.

One namespace for notebook 03b: the data (`gan_course.data.mixtures`), the models and their
configs (`models`) and the scoring protocol (`scoring`).
"""

from gan_course.data.mixtures import (
    TEST_POINTS,
    TOY_DATASETS,
    TRAIN_POINTS,
    load_toy_dataset,
    mode_centres,
    mode_sigma,
    nearest_modes,
    sample_mixture,
)
from gan_course.lab2d.models import (
    SETUPS,
    LinearTailDecay,
    Toy2DConfig,
    ToyPacGANConfig,
    ToyWGANGPConfig,
    build_toy2d_discriminator,
    build_toy2d_generator,
    build_toy_gan_setup,
    build_toy_wgan_gp_setup,
    train_toy,
)
from gan_course.lab2d.scoring import (
    HQ_RADIUS_IN_SIGMAS,
    PROTOCOL_SAMPLES,
    ModeScore,
    score_generator,
    score_modes,
)

__all__ = [
    "TEST_POINTS",
    "TOY_DATASETS",
    "TRAIN_POINTS",
    "load_toy_dataset",
    "mode_centres",
    "mode_sigma",
    "nearest_modes",
    "sample_mixture",
    "SETUPS",
    "LinearTailDecay",
    "Toy2DConfig",
    "ToyPacGANConfig",
    "ToyWGANGPConfig",
    "build_toy2d_discriminator",
    "build_toy2d_generator",
    "build_toy_gan_setup",
    "build_toy_wgan_gp_setup",
    "train_toy",
    "HQ_RADIUS_IN_SIGMAS",
    "PROTOCOL_SAMPLES",
    "ModeScore",
    "score_generator",
    "score_modes",
]
