"""The 2-D mode-collapse lab: mixtures of Gaussians, small MLP GANs, and the PacGAN/VEEGAN score.

One namespace for notebook 03b: the data (`gan_course.data.mixtures`), the models, their
configs and setups (`models`; they train through `gan_course.runs.train_run` like every
family), the packing layer (`gan_course.models.packing`) and the scoring protocol (`scoring`).
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
    TOY_GAN_RUN_DEFAULTS,
    TOY_PACGAN_RUN_DEFAULTS,
    TOY_WGAN_GP_RUN_DEFAULTS,
    LinearTailDecay,
    Toy2DConfig,
    ToyPacGANConfig,
    ToyWGANGPConfig,
    build_toy2d_discriminator,
    build_toy2d_generator,
    build_toy2d_models,
    build_toy_gan_setup,
    build_toy_pacgan_setup,
    build_toy_wgan_gp_setup,
)
from gan_course.lab2d.scoring import (
    HQ_RADIUS_IN_SIGMAS,
    PROTOCOL_SAMPLES,
    ModeScore,
    score_generator,
    score_modes,
)
from gan_course.models.packing import PackSamples

__all__ = [
    "TEST_POINTS",
    "TOY_DATASETS",
    "TRAIN_POINTS",
    "load_toy_dataset",
    "mode_centres",
    "mode_sigma",
    "nearest_modes",
    "sample_mixture",
    "TOY_GAN_RUN_DEFAULTS",
    "TOY_PACGAN_RUN_DEFAULTS",
    "TOY_WGAN_GP_RUN_DEFAULTS",
    "LinearTailDecay",
    "Toy2DConfig",
    "ToyPacGANConfig",
    "ToyWGANGPConfig",
    "build_toy2d_discriminator",
    "build_toy2d_generator",
    "build_toy2d_models",
    "build_toy_gan_setup",
    "build_toy_pacgan_setup",
    "build_toy_wgan_gp_setup",
    "PackSamples",
    "HQ_RADIUS_IN_SIGMAS",
    "PROTOCOL_SAMPLES",
    "ModeScore",
    "score_generator",
    "score_modes",
]
