"""Registry of trainable model families: what `python -m gan_course train MODEL` can build.

Each entry names a frozen config dataclass and a `build_*_setup(config, *, image_shape,
seed)` function in the family's module; modules are imported only when used, so
`--help` stays fast.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass
class TrainingSetup:
    """Everything a run needs, built from one config: models, optimizers, RNG and step."""

    models: dict
    optimizers: dict
    rng: Any  # tf.random.Generator used inside the train step; checkpointed
    train_step: Callable  # batch -> dict of scalar tensors
    sample: Callable  # fixed inputs -> images in `scale` range (numpy or tensor)
    fixed_inputs: Any  # fixed evaluation noise (and labels for conditional models)
    scale: str  # "gan" for [-1, 1] data, "unit" for [0, 1], "none" for unscaled 2-D points
    conditional: bool = False
    generative: bool = True  # False for plain autoencoders: nothing to sample from noise
    latent_dim: int | None = None
    extra_state: dict = dataclasses.field(default_factory=dict)  # more variables to checkpoint

    def trackables(self) -> dict:
        """Objects a checkpoint must hold to resume exactly."""
        named = dict(self.models)
        named.update(self.extra_state)
        named.update({f"{name}_optimizer": opt for name, opt in self.optimizers.items()})
        named["rng"] = self.rng
        return named


@dataclasses.dataclass(frozen=True)
class Recipe:
    module: str
    config_class: str
    setup_function: str
    summary: str

    def load_config_class(self) -> type:
        return getattr(importlib.import_module(self.module), self.config_class)

    def build(self, config, *, image_shape, seed: int) -> TrainingSetup:
        setup_function = getattr(importlib.import_module(self.module), self.setup_function)
        return setup_function(config, image_shape=image_shape, seed=seed)


RECIPES: dict[str, Recipe] = {
    "autoencoder": Recipe(
        "gan_course.autoencoder",
        "AutoencoderConfig",
        "build_autoencoder_setup",
        "convolutional autoencoder (notebook 01)",
    ),
    "vae": Recipe(
        "gan_course.vae", "VAEConfig", "build_vae_setup", "variational autoencoder (notebook 02)"
    ),
    "gan": Recipe(
        "gan_course.vanilla_gan",
        "VanillaGANConfig",
        "build_vanilla_gan_setup",
        "MLP GAN of the classic Keras tutorial (notebook 03)",
    ),
    "dcgan": Recipe(
        "gan_course.dcgan",
        "DCGANConfig",
        "build_dcgan_setup",
        "deep convolutional GAN (notebook 04)",
    ),
    "cgan": Recipe(
        "gan_course.cgan", "CGANConfig", "build_cgan_setup", "class-conditional GAN (notebook 05)"
    ),
    "wgan": Recipe(
        "gan_course.wgan",
        "WGANConfig",
        "build_wgan_setup",
        "Wasserstein GAN, weight clipping (notebook 06)",
    ),
    "wgan-gp": Recipe(
        "gan_course.wgan",
        "WGANGPConfig",
        "build_wgan_gp_setup",
        "Wasserstein GAN, gradient penalty (notebook 06)",
    ),
    "toy-gan": Recipe(
        "gan_course.toy2d",
        "Toy2DConfig",
        "build_toy_gan_setup",
        "MLP GAN on 2-D points, --dataset ring8 or grid25 (notebook 03b)",
    ),
    "toy-pacgan": Recipe(
        "gan_course.toy2d",
        "ToyPacGANConfig",
        "build_toy_gan_setup",
        "PacGAN (packed discriminator) on 2-D points (notebook 03b)",
    ),
    "toy-wgan-gp": Recipe(
        "gan_course.toy2d",
        "ToyWGANGPConfig",
        "build_toy_wgan_gp_setup",
        "WGAN-GP on 2-D points (notebook 03b)",
    ),
    "pixelcnn": Recipe(
        "gan_course.pixelcnn",
        "PixelCNNConfig",
        "build_pixelcnn_setup",
        "PixelCNN, an explicit-density model on binarised digits (notebook 08)",
    ),
    "pix2pix": Recipe(
        "gan_course.pix2pix",
        "Pix2PixConfig",
        "build_pix2pix_setup",
        "pix2pix: U-Net + PatchGAN paired translation, --task inpaint|superres|edges (notebook 09)",
    ),
    "cyclegan": Recipe(
        "gan_course.cyclegan",
        "CycleGANConfig",
        "build_cyclegan_setup",
        "CycleGAN: unpaired translation between two digit styles (notebook 10)",
    ),
    "stylegan": Recipe(
        "gan_course.stylegan",
        "StyleGANConfig",
        "build_stylegan_setup",
        "style-based generator (lite): mapping network, modulation, noise inputs (notebook 11)",
    ),
}


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


def fixed_noise(count: int, latent_dim: int, seed: int):
    """The same evaluation noise for every epoch's grid and every GIF frame: (count, latent_dim)."""
    import numpy as np

    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype("float32")


def build_adam(
    learning_rate: float,
    beta_1: float,
    beta_2: float = 0.999,
    *,
    variables=None,
    precision: str | None = None,
):
    """Adam, built on `variables` at once so a checkpoint can restore its slots before step 1.

    Under mixed_float16 (`precision`, or by default the active Keras policy, which a
    setup function sets from its config) it is wrapped in a dynamic `LossScaleOptimizer`.
    """
    import keras

    from gan_course.precision import wrap_optimizer

    optimizer = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2)
    optimizer = wrap_optimizer(optimizer, precision)
    if variables is not None:
        optimizer.build(variables)
    return optimizer
