"""Every image family builds at 28, 32 and 64 pixels, grey and colour (tiny configs), and
the command line's start-up check refuses what a family does not train on."""

import dataclasses

import numpy as np
import pytest

from gan_course.config import IMAGE_SIZES
from gan_course.registry import get_recipe
from gan_course.training.settings import RunSettings
from tests.tiny_configs import TINY

FAMILIES = (
    "autoencoder",
    "vae",
    "dcgan",
    "self-conditioned",
    "cgan",
    "wgan",
    "wgan-gp",
    "stylegan",
    "pix2pix",
)
SHAPES = [(size, size, channels) for size in IMAGE_SIZES for channels in (1, 3)]


def build(model, image_shape, **settings):
    recipe = get_recipe(model)
    config = dataclasses.replace(recipe.load_config_class()(), **TINY[model][0])
    held_out = np.zeros((4, *image_shape), np.uint8)  # what the driver gives for own data
    recipe.check_image_shape(model, image_shape)
    return recipe.build(
        config,
        image_shape=image_shape,
        settings=RunSettings(batch_size=16, **settings),
        held_out=held_out,
    )


def judges(setup):
    """The discriminators and critics of a setup."""
    return {
        name: model
        for name, model in setup.models.items()
        if name.startswith("discriminator") or name == "critic"
    }


@pytest.mark.parametrize("image_shape", SHAPES, ids=lambda shape: "x".join(map(str, shape)))
@pytest.mark.parametrize("model", FAMILIES)
def test_family_builds_and_draws_images_of_the_shape(model, image_shape):
    setup = build(model, image_shape)
    outputs = np.asarray(setup.sample(setup.fixed_inputs))
    assert outputs.shape[1:] == image_shape and np.isfinite(outputs).all()
    for name, judge in judges(setup).items():
        inputs = judge.input if isinstance(judge.input, list) else [judge.input]
        assert any(tuple(x.shape[1:]) == image_shape for x in inputs), name
        assert judge.output_shape[-1] == 1, name
    if model in ("autoencoder", "vae"):
        assert setup.models["decoder"].output_shape == (None, *image_shape)


@pytest.mark.parametrize("image_shape", [s for s in SHAPES if s[2] == 1])
def test_cyclegan_builds_grey_images_of_every_size(image_shape):
    setup = build("cyclegan", image_shape)
    for name in ("generator_ab", "generator_ba"):
        assert setup.models[name].output_shape == (None, *image_shape)
    for judge in judges(setup).values():
        assert tuple(judge.input.shape[1:]) == image_shape


@pytest.mark.parametrize(
    "model, image_shape, message",
    [
        ("dcgan", (48, 48, 3), r"square images of 28, 32, 64 pixels"),
        ("wgan-gp", (64, 32, 3), r"not 64x32x3"),
        ("stylegan", (128, 128, 1), r"--image-size \(28, 32, 64\)"),
        ("cyclegan", (32, 32, 3), r"with 1 channel"),
        ("pixelcnn", (28, 28, 3), r"with 1 channel"),
    ],
)
def test_start_up_check_names_the_supported_sizes(model, image_shape, message):
    with pytest.raises(ValueError, match=message):
        get_recipe(model).check_image_shape(model, image_shape)


def test_points_are_left_to_the_family():
    get_recipe("toy-gan").check_image_shape("toy-gan", (2,))  # no image check for points
