"""What one run of a model family is made of, and the one helper that assembles it.

A family module keeps only what differs between families: its config, its builders and
its train step. `family_setup` and `assemble_setup` hold the wiring they all share:

    @family_setup(RUN_DEFAULTS)
    def build_dcgan_setup(config, *, image_shape=(28, 28, 1), settings):
        generator, discriminator = ...                  # built under settings.precision
        return assemble_setup(
            settings,
            models={"generator": generator, "discriminator": discriminator},
            optimizers={"generator": (adam(5e-4, 0.5), generator.trainable_variables), ...},
            make_step=lambda optimizers, rng: make_gan_train_step(...),
            ...declarations...,
        )

The returned `TrainingSetup` declares what the family is (its output kind, its classes,
whether the GAN monitor applies, what to checkpoint), so the run driver reads those
declarations and never guesses from model names.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any

from gan_course.config import IMAGE_SIZES
from gan_course.training.settings import STRATEGIES, RunSettings, resolve_settings

OUTPUTS = ("images", "points", "image_pairs")
ALL_PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclasses.dataclass(frozen=True)
class Monitored:
    """Declares that the GAN monitor applies: which models are the generator and the
    discriminator it probes (see gan_course.training.monitor)."""

    generator: str = "generator"
    discriminator: str = "discriminator"


@dataclasses.dataclass(frozen=True)
class IterativeSampler:
    """Declares that the family samples by iterative denoising (DDPM): `sample` runs
    `default_steps` DDIM steps, and `draw(noise, *, ddim_steps, seed)` runs another number
    (1 to `timesteps`) or, with `ddim_steps=None`, the ancestral sampler over all
    `timesteps`, whose per-step noise `seed` fixes (`gan-course sample --ddim-steps N`,
    `--ancestral`). `draw` returns images in the setup's `scale` range."""

    draw: Callable
    timesteps: int
    default_steps: int


@dataclasses.dataclass
class TrainingSetup:
    """Everything a run needs, built from one config and one `RunSettings`."""

    models: dict
    optimizers: dict
    rng: Any  # tf.random.Generator used inside the train step; checkpointed
    train_step: Callable  # batch -> dict of scalar tensors
    sample: Callable  # fixed inputs -> outputs in `scale` range (numpy or tensor)
    fixed_inputs: Any  # fixed evaluation noise (and labels for conditional models)
    scale: str  # "gan" for [-1, 1] data, "unit" for [0, 1], "none" for unscaled 2-D points
    settings: RunSettings  # resolved: every field set
    output: str = "images"  # what `sample` returns: images, points or image_pairs
    num_classes: int | None = None  # set for class-conditional models
    # Set for models conditioned on clusters found in the data (self_conditioned): each
    # label's share of the training images, with which samples draw their labels.
    label_shares: tuple[float, ...] | None = None
    generative: bool = True  # False for plain autoencoders: nothing to sample from noise
    latent_dim: int | None = None
    monitor: Monitored | None = None  # the GAN monitor applies (image GANs)
    iterative: IterativeSampler | None = None  # samples by iterative denoising (DDPM)
    extra_state: dict = dataclasses.field(default_factory=dict)  # more variables to checkpoint

    @property
    def conditional(self) -> bool:
        return self.num_classes is not None

    def trackables(self) -> dict:
        """What a checkpoint holds to resume exactly: models, extra state, optimizers, RNG."""
        named = dict(self.models)
        named.update(self.extra_state)
        named.update({f"{name}_optimizer": opt for name, opt in self.optimizers.items()})
        named["rng"] = self.rng
        return named


@dataclasses.dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer to build on a list of variables (so a checkpoint can restore its slots
    before the first step), wrapped for float16 loss scaling under mixed_float16."""

    kind: str  # "adam" | "rmsprop"
    learning_rate: Any  # a float or a keras LearningRateSchedule
    beta_1: float = 0.9
    beta_2: float = 0.999

    def build(self, variables):
        import keras

        from gan_course.training.precision import wrap_optimizer

        if self.kind == "adam":
            optimizer = keras.optimizers.Adam(
                learning_rate=self.learning_rate, beta_1=self.beta_1, beta_2=self.beta_2
            )
        elif self.kind == "rmsprop":
            optimizer = keras.optimizers.RMSprop(learning_rate=self.learning_rate)
        else:
            raise ValueError(f"unknown optimizer kind {self.kind!r}; choose adam or rmsprop")
        optimizer = wrap_optimizer(optimizer)
        optimizer.build(variables)
        return optimizer


def adam(learning_rate, beta_1: float = 0.9, beta_2: float = 0.999) -> OptimizerSpec:
    return OptimizerSpec("adam", learning_rate, beta_1, beta_2)


def rmsprop(learning_rate) -> OptimizerSpec:
    return OptimizerSpec("rmsprop", learning_rate)


def family_setup(
    run_defaults: RunSettings,
    *,
    precisions: tuple[str, ...] = ALL_PRECISIONS,
    strategies: tuple[str, ...] = STRATEGIES,
    image_sizes: tuple[int, ...] = IMAGE_SIZES,
    channels: tuple[int, ...] = (1, 3),
):
    """Decorate a family's `build_*_setup(config, *, image_shape, settings)`.

    The wrapper takes `settings=None` (a `RunSettings`; unset fields come from
    `run_defaults`, then the package's base defaults), refuses a precision or a strategy
    the family does not support with a ValueError, and builds everything under the
    settings' Keras precision policy. It exposes `run_defaults`, `precisions`,
    `strategies`, and the square `image_sizes` and `channels` the command line trains
    image families on, for the registry and the command line.

    A build that also takes `held_out` (uint8 held-out real images (N, H, W, C), for its
    progress grids) gets it when the run driver gives one; `takes_held_out` says so.
    """

    def decorate(build):
        takes_held_out = "held_out" in inspect.signature(build).parameters

        @functools.wraps(build)
        def setup(config, *, settings: RunSettings | None = None, held_out=None, **shape):
            from gan_course.training.precision import precision_policy, resolve_precision

            settings = resolve_settings(settings, run_defaults)
            name = build.__name__.removeprefix("build_").removesuffix("_setup")
            if resolve_precision(settings.precision) not in precisions:
                raise ValueError(
                    f"{name} does not support precision {settings.precision!r}; "
                    f"choose one of {', '.join(precisions)}"
                )
            if settings.strategy not in strategies:
                raise ValueError(
                    f"{name} does not support strategy {settings.strategy!r}; "
                    f"choose one of {', '.join(strategies)}"
                )
            settings = _without_xla_on_several_replicas(settings)
            if takes_held_out:
                shape["held_out"] = held_out
            with precision_policy(settings.precision):
                return build(config, settings=settings, **shape)

        setup.run_defaults = run_defaults
        setup.precisions = precisions
        setup.strategies = strategies
        setup.image_sizes = image_sizes
        setup.image_channels = channels
        setup.takes_held_out = takes_held_out
        return setup

    return decorate


def _without_xla_on_several_replicas(settings: RunSettings) -> RunSettings:
    """Several replicas run the step without XLA: a replica's XLA cluster may only touch its
    own device, but the global batch's noise is drawn from the one generator state in
    cross-replica context (gan_course.training.randomness), which TensorFlow refuses to
    compile ("Trying to access resource ... located in device CPU:1 from device CPU:0").
    The returned settings, and so the run record, say what actually runs."""
    import tensorflow as tf

    if settings.jit_compile and tf.distribute.get_strategy().num_replicas_in_sync > 1:
        return dataclasses.replace(settings, jit_compile=False)
    return settings


def assemble_setup(
    settings: RunSettings,
    *,
    models: dict,
    optimizers: dict[str, tuple[OptimizerSpec, list]],
    make_step: Callable[[dict, Any], Callable],
    sample: Callable,
    fixed_inputs,
    scale: str,
    output: str = "images",
    num_classes: int | None = None,
    label_shares: tuple[float, ...] | None = None,
    generative: bool = True,
    latent_dim: int | None = None,
    monitor: Monitored | None = None,
    iterative: IterativeSampler | None = None,
    extra_state: dict | None = None,
) -> TrainingSetup:
    """Build the optimizers and the RNG, make the compiled step, and declare the setup.

    `optimizers` maps a name to (spec, variables it updates); `make_step(optimizers, rng)`
    receives the built optimizers by name and the run's `tf.random.Generator` (seeded from
    `settings.seed`) and returns the compiled train step.
    """
    import tensorflow as tf

    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    built = {name: spec.build(variables) for name, (spec, variables) in optimizers.items()}
    rng = tf.random.Generator.from_seed(settings.seed)
    return TrainingSetup(
        models=models,
        optimizers=built,
        rng=rng,
        train_step=make_step(built, rng),
        sample=sample,
        fixed_inputs=fixed_inputs,
        scale=scale,
        settings=settings,
        output=output,
        num_classes=num_classes,
        label_shares=label_shares,
        generative=generative,
        latent_dim=latent_dim,
        monitor=monitor,
        iterative=iterative,
        extra_state=dict(extra_state or {}),
    )


def fixed_noise(count: int, latent_dim: int, seed: int):
    """The same evaluation noise for every epoch's grid and every GIF frame: (count, latent_dim)."""
    import numpy as np

    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype("float32")
