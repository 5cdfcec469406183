"""Registry of trainable model families: what `gan-course train MODEL` can build.

Each entry names a family module, its frozen config dataclass (model hyperparameters) and
its `build_*_setup(config, *, image_shape, settings)` function, decorated with
`training.setup.family_setup`, which declares the family's run defaults and the
precisions and strategies it supports. Modules are imported only when used, so `--help`
stays fast.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gan_course.training.settings import RunSettings
    from gan_course.training.setup import TrainingSetup


@dataclasses.dataclass(frozen=True)
class Recipe:
    module: str
    config_class: str
    setup_function: str
    summary: str

    def load_config_class(self) -> type:
        return getattr(importlib.import_module(self.module), self.config_class)

    def load_setup_function(self):
        return getattr(importlib.import_module(self.module), self.setup_function)

    def run_defaults(self) -> RunSettings:
        """The family's complete default run settings (its own over the package's)."""
        from gan_course.training.settings import resolve_settings

        return resolve_settings(None, self.load_setup_function().run_defaults)

    def takes_held_out(self) -> bool:
        """Whether the family shows held-out real images in its progress grids (`build`'s held_out)."""
        return self.load_setup_function().takes_held_out

    def check_image_shape(self, model: str, shape) -> None:
        """ValueError (one line) if the family does not train on images of `shape` (H, W, C);
        data that are not images (the 2-D points) are left to the family's own build."""
        from gan_course.config import check_supported_shape

        if len(shape) == 3:
            setup_function = self.load_setup_function()
            check_supported_shape(
                model,
                shape,
                sizes=setup_function.image_sizes,
                channels=setup_function.image_channels,
            )

    def build(self, config, *, image_shape, settings: RunSettings, held_out=None) -> TrainingSetup:
        """The family's setup; `held_out` (uint8 (N, H, W, C) held-out real images) feeds the
        progress grids of families that show real images (`takes_held_out`)."""
        return self.load_setup_function()(
            config, image_shape=tuple(image_shape), settings=settings, held_out=held_out
        )


RECIPES: dict[str, Recipe] = {
    "autoencoder": Recipe(
        "gan_course.models.autoencoder",
        "AutoencoderConfig",
        "build_autoencoder_setup",
        "convolutional autoencoder (notebook 01)",
    ),
    "vae": Recipe(
        "gan_course.models.vae",
        "VAEConfig",
        "build_vae_setup",
        "variational autoencoder (notebook 02)",
    ),
    "gan": Recipe(
        "gan_course.models.vanilla_gan",
        "VanillaGANConfig",
        "build_vanilla_gan_setup",
        "MLP GAN of the classic Keras tutorial (notebook 03)",
    ),
    "dcgan": Recipe(
        "gan_course.models.dcgan",
        "DCGANConfig",
        "build_dcgan_setup",
        "deep convolutional GAN (notebook 04)",
    ),
    "cgan": Recipe(
        "gan_course.models.cgan",
        "CGANConfig",
        "build_cgan_setup",
        "class-conditional GAN (notebook 05)",
    ),
    "self-conditioned": Recipe(
        "gan_course.models.self_conditioned",
        "SelfConditionedConfig",
        "build_self_conditioned_setup",
        "DCGAN conditioned on k-means clusters of the images, no labels needed (notebook 04)",
    ),
    "wgan": Recipe(
        "gan_course.models.wgan",
        "WGANConfig",
        "build_wgan_setup",
        "Wasserstein GAN, weight clipping (notebook 06)",
    ),
    "wgan-gp": Recipe(
        "gan_course.models.wgan",
        "WGANGPConfig",
        "build_wgan_gp_setup",
        "Wasserstein GAN, gradient penalty (notebook 06)",
    ),
    "toy-gan": Recipe(
        "gan_course.lab2d",
        "Toy2DConfig",
        "build_toy_gan_setup",
        "MLP GAN on 2-D points, --dataset ring8 or grid25 (notebook 03b)",
    ),
    "toy-pacgan": Recipe(
        "gan_course.lab2d",
        "ToyPacGANConfig",
        "build_toy_pacgan_setup",
        "PacGAN (packed discriminator) on 2-D points (notebook 03b)",
    ),
    "toy-wgan-gp": Recipe(
        "gan_course.lab2d",
        "ToyWGANGPConfig",
        "build_toy_wgan_gp_setup",
        "WGAN-GP on 2-D points (notebook 03b)",
    ),
    "pixelcnn": Recipe(
        "gan_course.models.pixelcnn",
        "PixelCNNConfig",
        "build_pixelcnn_setup",
        "PixelCNN, an explicit-density model on binarised digits (notebook 08)",
    ),
    "pix2pix": Recipe(
        "gan_course.models.pix2pix",
        "Pix2PixConfig",
        "build_pix2pix_setup",
        "pix2pix: U-Net + PatchGAN paired translation, --task inpaint|superres|edges (notebook 09)",
    ),
    "cyclegan": Recipe(
        "gan_course.models.cyclegan",
        "CycleGANConfig",
        "build_cyclegan_setup",
        "CycleGAN: unpaired translation between two digit styles (notebook 10)",
    ),
    "ddpm": Recipe(
        "gan_course.models.ddpm",
        "DDPMConfig",
        "build_ddpm_setup",
        "denoising diffusion (DDPM): U-Net noise predictor, DDIM or ancestral sampling",
    ),
    "stylegan": Recipe(
        "gan_course.models.stylegan",
        "StyleGANConfig",
        "build_stylegan_setup",
        "style-based generator (lite): mapping network, modulation, noise inputs (notebook 11)",
    ),
}


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(sorted(RECIPES))}")
    return RECIPES[name]
