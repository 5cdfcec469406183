"""The models of the 2-D mode-collapse lab (PacGAN, Lin et al. 2018; VEEGAN, Srivastava et al. 2017).

The data is `gan_course.data.mixtures` (ring8, grid25); the scoring protocol is
`gan_course.lab2d.scoring`. The models are small MLPs trained by the course's shared steps
(`gan_steps.make_gan_train_step`, `wgan.make_wgan_train_step`); PacGAN's remedy is a
layer inside the discriminator, so the same steps train it too. They train through the
registry and the run driver like the image models (`gan_course.runs.train_run("toy-gan",
dataset="grid25", ...)`), which scores modes and %HQ after every epoch.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from gan_course.config import validate_positive
from gan_course.data.mixtures import TRAIN_POINTS
from gan_course.models.packing import PackSamples, check_packing
from gan_course.training.settings import RunSettings
from gan_course.training.setup import adam, assemble_setup, family_setup, fixed_noise

# 200 steps of 256 per epoch on the 51,200 training points. XLA off for the GAN step with
# its 512-512-512 discriminator, on for WGAN-GP's double backward pass; epochs sized to the
# measured coverage: benchmarks/README.md, "2-D lab defaults".
TOY_GAN_RUN_DEFAULTS = RunSettings(epochs=20, batch_size=256, jit_compile=False)
TOY_PACGAN_RUN_DEFAULTS = RunSettings(epochs=30, batch_size=256, jit_compile=False)
TOY_WGAN_GP_RUN_DEFAULTS = RunSettings(epochs=14, batch_size=256, jit_compile=True)


def build_toy2d_generator(*, latent_dim: int = 2, hidden_units: tuple[int, ...] = (256, 256)):
    """Noise (B, latent_dim) -> points (B, 2), unbounded (linear output: the data is not in [-1, 1])."""
    noise = keras.Input((latent_dim,), name="noise")
    x = noise
    for width in hidden_units:
        x = layers.Dense(width, activation="relu")(x)  # (B, width)
    points = layers.Dense(2, dtype="float32")(x)  # (B, 2), float32 under mixed precision too
    return keras.Model(noise, points, name="toy2d_generator")


def build_toy2d_discriminator(
    *, hidden_units: tuple[int, ...] = (256, 256), packing: int = 1, input_scale: float = 1.0
):
    """Points (B, 2) -> one logit per pack (B / packing, 1), unbounded (no sigmoid)."""
    points = keras.Input((2,), name="points")
    x = PackSamples(packing)(points) if packing > 1 else points  # (B / m, 2m)
    if input_scale != 1.0:
        x = layers.Rescaling(input_scale)(x)
    for width in hidden_units:
        x = layers.Dense(width)(x)  # (B / m, width)
        x = layers.LeakyReLU(0.2)(x)
    logits = layers.Dense(1, dtype="float32")(x)  # (B / m, 1): losses in float32
    return keras.Model(points, logits, name="toy2d_discriminator")


@dataclasses.dataclass(frozen=True)
class Toy2DConfig:
    """A plain GAN on the toy data (packing=1); `ToyPacGANConfig` packs, `ToyWGANGPConfig` uses a critic."""

    latent_dim: int = 2
    generator_units: tuple[int, ...] = (256, 256)
    # A deep discriminator: it must carve 25 bumps 0.05 wide (256-256 stayed below 10% HQ).
    discriminator_units: tuple[int, ...] = (512, 512, 512)
    packing: int = 1  # PacGAN degree m: the discriminator judges m samples at once
    learning_rate: float = 2e-3
    beta_1: float = 0.5
    beta_2: float = 0.999
    # The last `decay_epochs` epochs lower the learning rate linearly to 1% of its value:
    # small final steps pull the samples into the modes, which raises %HQ.
    decay_epochs: int = 10
    discriminator_steps: int = 1  # k discriminator updates per generator update (GAN step only)
    discriminator_input_scale: float = 1.0

    def __post_init__(self):
        validate_positive(self, "latent_dim", "packing", "learning_rate", "discriminator_steps")
        if not self.generator_units or not self.discriminator_units:
            raise ValueError("give at least one hidden width for the generator and discriminator")
        if not (0.0 <= self.beta_1 < 1.0 and 0.0 <= self.beta_2 < 1.0):
            raise ValueError(f"Adam betas must lie in [0, 1), got {self.beta_1}, {self.beta_2}")
        if self.decay_epochs < 0:
            raise ValueError(f"decay_epochs must be 0 or more, got {self.decay_epochs}")


@dataclasses.dataclass(frozen=True)
class ToyPacGANConfig(Toy2DConfig):
    packing: int = 4
    # A wider latent covers more of the grid (measured: benchmarks/README.md, "2-D lab
    # defaults"). Packing
    # buys coverage, not precision: the samples stay smeared between modes, which
    # `gan_course.models.rejection` (DRS) removes after training.
    latent_dim: int = 8
    decay_epochs: int = 20


@dataclasses.dataclass(frozen=True)
class ToyWGANGPConfig(Toy2DConfig):
    # Gulrajani et al.'s toy recipe (gan_toy.py: data / 2.828, lambda 0.1, Adam (0.5, 0.9),
    # 5 critic updates, batch 256), sized for 3 CPU minutes instead of their 100k iterations.
    # measured: benchmarks/README.md, "2-D lab defaults"
    generator_units: tuple[int, ...] = (256, 256, 256)
    # Not their 512-512-512: 5 critic updates a step, each a double backward pass, cost
    # about four times as much with it.
    discriminator_units: tuple[int, ...] = (256, 256)
    decay_epochs: int = 7  # most modes appear at full rate; the decay then lifts %HQ
    learning_rate: float = 5e-4  # the paper's 1e-4 needs far more steps than 3 minutes allow
    beta_1: float = 0.5
    beta_2: float = 0.9
    # Their /2.828 is the critic's first layer, but the penalty still asks for gradient norm 1
    # in data units: the Wasserstein term is then 2.828 times theirs, and lambda 0.3 here
    # weighs like their 0.1. 0.1 here (lr 5e-4) let the penalty reach 34 in the first
    # epoch (gradient norms ~7), against 2.8 with 0.3.
    discriminator_input_scale: float = 1 / 2.828
    gp_weight: float = 0.3
    critic_steps: int = 5

    def __post_init__(self):
        super().__post_init__()
        validate_positive(self, "gp_weight", "critic_steps")


def _learning_rate(config: Toy2DConfig, settings: RunSettings, updates_per_step: int = 1):
    """Constant, then a linear decay to 1% over the last `decay_epochs` epochs (all, if fewer).

    A schedule counts its optimizer's own updates: the critic (or discriminator) makes
    `updates_per_step` of them per train step, so its schedule is stretched by that factor
    to decay over the same epochs as the generator's. (Unstretched, the WGAN-GP critic's
    rate reached 1% five times too early and the generator, still at full rate, ran off:
    grid25 fell from 20 modes to 0.)
    """
    decay_epochs = min(config.decay_epochs, settings.epochs)
    if decay_epochs == 0:
        return config.learning_rate
    # The run's batches: the last partial batch of an epoch is dropped (data.make_dataset).
    updates_per_epoch = (TRAIN_POINTS // settings.batch_size) * updates_per_step
    return LinearTailDecay(
        config.learning_rate,
        start=(settings.epochs - decay_epochs) * updates_per_epoch,
        length=decay_epochs * updates_per_epoch,
    )


@keras.saving.register_keras_serializable(package="gan_course")
class LinearTailDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant `learning_rate` until optimizer step `start`, then linear to 1% over `length` steps."""

    def __init__(self, learning_rate: float, *, start: int, length: int):
        self.learning_rate, self.start, self.length = learning_rate, start, length

    def __call__(self, step):
        progress = keras.ops.clip(
            (keras.ops.cast(step, "float32") - self.start) / self.length, 0, 1
        )
        return self.learning_rate * (1.0 - 0.99 * progress)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "start": self.start, "length": self.length}


def build_toy2d_models(config: Toy2DConfig):
    """The (generator, discriminator) pair that `config` describes."""
    generator = build_toy2d_generator(
        latent_dim=config.latent_dim, hidden_units=config.generator_units
    )
    discriminator = build_toy2d_discriminator(
        hidden_units=config.discriminator_units,
        packing=config.packing,
        input_scale=config.discriminator_input_scale,
    )
    return generator, discriminator


def _make_toy_step(config, models, optimizers, rng, *, gp_weight, jit_compile: bool):
    """The compiled train step: the shared GAN step, or the WGAN-GP step when `gp_weight` is set."""
    from gan_course.models.wgan import make_wgan_train_step
    from gan_course.training.gan_steps import make_gan_train_step

    models_and_optimizers = (*models, optimizers["generator"], optimizers["discriminator"])
    if gp_weight is None:
        return make_gan_train_step(
            *models_and_optimizers,
            latent_dim=config.latent_dim,
            rng=rng,
            discriminator_steps=config.discriminator_steps,
            jit_compile=jit_compile,
        )
    return make_wgan_train_step(
        *models_and_optimizers,
        latent_dim=config.latent_dim,
        rng=rng,
        critic_steps=config.critic_steps,
        gp_weight=gp_weight,
        jit_compile=jit_compile,
    )


def _toy_setup(config: Toy2DConfig, *, image_shape, settings: RunSettings, gp_weight):
    """The setup shared by the three toy families (WGAN-GP's when `gp_weight` is set)."""
    if tuple(image_shape) != (2,):
        raise ValueError(
            f"the toy models train on 2-D points (--dataset ring8 or grid25), not data of shape {tuple(image_shape)}"
        )
    check_packing(settings.batch_size, config.packing)
    generator, discriminator = build_toy2d_models(config)
    # Updates per train step: the generator makes one, the discriminator or critic k.
    discriminator_updates = config.discriminator_steps if gp_weight is None else config.critic_steps

    def optimizer(updates_per_step: int):
        rate = _learning_rate(config, settings, updates_per_step)
        return adam(rate, config.beta_1, config.beta_2)

    return assemble_setup(
        settings,
        models={"generator": generator, "discriminator": discriminator},
        optimizers={
            "generator": (optimizer(1), generator.trainable_variables),
            "discriminator": (optimizer(discriminator_updates), discriminator.trainable_variables),
        },
        make_step=lambda optimizers, rng: _make_toy_step(
            config,
            (generator, discriminator),
            optimizers,
            rng,
            gp_weight=gp_weight,
            jit_compile=settings.jit_compile,
        ),
        sample=lambda noise: generator(noise, training=False),
        fixed_inputs=fixed_noise(512, config.latent_dim, settings.seed + 1),
        scale="none",  # points are used as they are, never scaled
        output="points",
        latent_dim=config.latent_dim,
        monitor=None,  # the image monitor's probes do not apply; ModeScore scores points
    )


@family_setup(TOY_GAN_RUN_DEFAULTS)
def build_toy_gan_setup(config: Toy2DConfig, *, image_shape=(2,), settings: RunSettings):
    """GAN (or PacGAN when config.packing > 1) on 2-D points, with the shared GAN step."""
    return _toy_setup(config, image_shape=image_shape, settings=settings, gp_weight=None)


@family_setup(TOY_PACGAN_RUN_DEFAULTS)
def build_toy_pacgan_setup(config: ToyPacGANConfig, *, image_shape=(2,), settings: RunSettings):
    """PacGAN on 2-D points: the GAN setup with its own run defaults (more epochs)."""
    return _toy_setup(config, image_shape=image_shape, settings=settings, gp_weight=None)


@family_setup(TOY_WGAN_GP_RUN_DEFAULTS)
def build_toy_wgan_gp_setup(config: ToyWGANGPConfig, *, image_shape=(2,), settings: RunSettings):
    """WGAN-GP on 2-D points, with the shared WGAN step."""
    return _toy_setup(
        config, image_shape=image_shape, settings=settings, gp_weight=config.gp_weight
    )
