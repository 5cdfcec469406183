"""The models of the 2-D mode-collapse lab (PacGAN, Lin et al. 2018; VEEGAN, Srivastava et al. 2017).

The data is `gan_course.data.mixtures` (ring8, grid25); the scoring protocol is
`gan_course.lab2d.scoring`. The models are small MLPs trained by the course's shared steps
(`gan_steps.make_gan_train_step`, `wgan.make_wgan_train_step`); PacGAN's remedy is a
layer inside the discriminator, so the same steps train it too.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from gan_course.config import validate_positive
from gan_course.data.mixtures import TRAIN_POINTS, load_toy_dataset
from gan_course.lab2d.scoring import ModeScore, score_generator
from gan_course.models.packing import PackSamples
from gan_course.training.callbacks import SampleGrids


def build_toy2d_generator(*, latent_dim: int = 2, hidden_units: tuple[int, ...] = (256, 256)):
    """Noise (B, latent_dim) -> points (B, 2), unbounded (linear output: the data is not in [-1, 1])."""
    noise = keras.Input((latent_dim,), name="noise")
    x = noise
    for width in hidden_units:
        x = layers.Dense(width, activation="relu")(x)  # (B, width)
    points = layers.Dense(2)(x)  # (B, 2)
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
    logits = layers.Dense(1)(x)  # (B / m, 1)
    return keras.Model(points, logits, name="toy2d_discriminator")


@dataclasses.dataclass(frozen=True)
class Toy2DConfig:
    """A plain GAN on the toy data (packing=1); `ToyPacGANConfig` packs, `ToyWGANGPConfig` uses a critic."""

    latent_dim: int = 2
    generator_units: tuple[int, ...] = (256, 256)
    # A deep discriminator: it must carve 25 bumps 0.05 wide (256-256 stayed below 10% HQ).
    discriminator_units: tuple[int, ...] = (512, 512, 512)
    packing: int = 1  # PacGAN degree m: the discriminator judges m samples at once
    batch_size: int = 256
    # 200 steps per epoch on the 51,200 training points. 20 epochs (4,000 steps, ~1 min):
    # ring8 seed 0 reaches 8 / 95.4% HQ; with 8 epochs it stopped at 8 / 89.0%.
    epochs: int = 20
    learning_rate: float = 2e-3
    beta_1: float = 0.5
    beta_2: float = 0.999
    # The last `decay_epochs` epochs lower the learning rate linearly to 1% of its value:
    # small final steps pull the samples into the modes, which raises %HQ.
    decay_epochs: int = 10
    discriminator_steps: int = 1  # k discriminator updates per generator update (GAN step only)
    discriminator_input_scale: float = 1.0
    max_minutes: float | None = None  # notebook time budget; the CLI takes --max-minutes
    # Measured (2-core CPU shared with another job, batch 256, benchmarks/README.md): GAN step
    # with 512-512-512 discriminator 15.2 ms without XLA, 26.2 ms with it (XLA loses here).
    jit_compile: bool = False

    def __post_init__(self):
        validate_positive(
            self,
            "latent_dim",
            "packing",
            "batch_size",
            "epochs",
            "learning_rate",
            "discriminator_steps",
        )
        if not self.generator_units or not self.discriminator_units:
            raise ValueError("give at least one hidden width for the generator and discriminator")
        if self.batch_size % self.packing:
            raise ValueError(
                f"batch_size {self.batch_size} must be a multiple of packing {self.packing}"
            )
        if not (0.0 <= self.beta_1 < 1.0 and 0.0 <= self.beta_2 < 1.0):
            raise ValueError(f"Adam betas must lie in [0, 1), got {self.beta_1}, {self.beta_2}")
        if self.decay_epochs < 0:
            raise ValueError(f"decay_epochs must be 0 or more, got {self.decay_epochs}")
        if self.max_minutes is not None:
            validate_positive(self, "max_minutes")


@dataclasses.dataclass(frozen=True)
class ToyPacGANConfig(Toy2DConfig):
    packing: int = 4
    # grid25, seed 0 (benchmarks/README.md): latent 2 and 30 epochs covered 15 modes, latent 8
    # covered 24. Packing buys coverage, not precision (~6% HQ): the samples stay smeared
    # between modes, which `gan_course.models.rejection` (DRS) removes after training.
    latent_dim: int = 8
    epochs: int = 30
    decay_epochs: int = 20


@dataclasses.dataclass(frozen=True)
class ToyWGANGPConfig(Toy2DConfig):
    # Gulrajani et al.'s toy recipe (gan_toy.py: data / 2.828, lambda 0.1, Adam (0.5, 0.9),
    # 5 critic updates, batch 256), sized for 3 CPU minutes instead of their 100k iterations.
    # Measured (2-core AMD EPYC, TF 2.21), seeds 0 / 1 / 2: grid25 24 / 23 / 24 modes,
    # 18.4 / 17.0 / 15.6% HQ, 2.2 / 2.4 / 2.2 min (the paper's WGAN-GP: 24.2 modes, 28.7% HQ);
    # ring8 8 / 8 / 8 modes, 94.5 / 93.8 / 81.2% HQ, 2.0-2.2 min. Most modes appear in the
    # first 10 epochs, at full rate; the decay then lifts grid25's %HQ from ~10% to ~17%.
    # Longer pays: 16 epochs (2.8 min, too close to 3) gave seed 0 25 modes, 25.0% HQ.
    generator_units: tuple[int, ...] = (256, 256, 256)
    # Not their 512-512-512 (173 ms a step here, ~40 ms with these): 5 critic updates a
    # step, each a double backward pass.
    discriminator_units: tuple[int, ...] = (256, 256)
    epochs: int = 14  # 2,800 generator steps
    decay_epochs: int = 7
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
    # WGAN-GP step, 256-256 critic, batch 256: 17.8 ms without XLA, 12.4 ms with it (double backward pass).
    jit_compile: bool = True

    def __post_init__(self):
        super().__post_init__()
        validate_positive(self, "gp_weight", "critic_steps")


def _learning_rate(config: Toy2DConfig, updates_per_step: int = 1):
    """Constant, then a linear decay to 1% over the last `decay_epochs` epochs (all, if fewer).

    A schedule counts its optimizer's own updates: the critic (or discriminator) makes
    `updates_per_step` of them per train step, so its schedule is stretched by that factor
    to decay over the same epochs as the generator's. (Unstretched, the WGAN-GP critic's
    rate reached 1% five times too early and the generator, still at full rate, ran off:
    grid25 fell from 20 modes to 0.)
    """
    decay_epochs = min(config.decay_epochs, config.epochs)
    if decay_epochs == 0:
        return config.learning_rate
    updates_per_epoch = (TRAIN_POINTS // config.batch_size) * updates_per_step
    return LinearTailDecay(
        config.learning_rate,
        start=(config.epochs - decay_epochs) * updates_per_epoch,
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


def _build_setup(config: Toy2DConfig, *, image_shape, seed: int, gp_weight: float | None):
    import tensorflow as tf

    from gan_course.models.wgan import make_wgan_train_step
    from gan_course.training.gan_steps import make_gan_train_step
    from gan_course.training.setup import TrainingSetup, build_adam, fixed_noise

    if tuple(image_shape) != (2,):
        raise ValueError(
            f"the toy models train on 2-D points (--dataset ring8 or grid25), not data of shape {tuple(image_shape)}"
        )
    generator = build_toy2d_generator(
        latent_dim=config.latent_dim, hidden_units=config.generator_units
    )
    discriminator = build_toy2d_discriminator(
        hidden_units=config.discriminator_units,
        packing=config.packing,
        input_scale=config.discriminator_input_scale,
    )
    # Updates per train step: the generator makes one, the discriminator or critic k.
    discriminator_updates = config.discriminator_steps if gp_weight is None else config.critic_steps
    optimizers = {
        name: build_adam(
            _learning_rate(config, updates),
            config.beta_1,
            config.beta_2,
            variables=model.trainable_variables,
        )
        for name, model, updates in (
            ("generator", generator, 1),
            ("discriminator", discriminator, discriminator_updates),
        )
    }
    rng = tf.random.Generator.from_seed(seed)
    models_and_optimizers = (
        generator,
        discriminator,
        optimizers["generator"],
        optimizers["discriminator"],
    )
    if gp_weight is None:
        step = make_gan_train_step(
            *models_and_optimizers,
            latent_dim=config.latent_dim,
            rng=rng,
            discriminator_steps=config.discriminator_steps,
            jit_compile=config.jit_compile,
        )
    else:
        step = make_wgan_train_step(
            *models_and_optimizers,
            latent_dim=config.latent_dim,
            rng=rng,
            critic_steps=config.critic_steps,
            gp_weight=gp_weight,
            jit_compile=config.jit_compile,
        )
    return TrainingSetup(
        models={"generator": generator, "discriminator": discriminator},
        optimizers=optimizers,
        rng=rng,
        train_step=step,
        sample=lambda noise: generator(noise, training=False),
        fixed_inputs=fixed_noise(512, config.latent_dim, seed + 1),
        scale="none",  # points are used as they are, never scaled
        latent_dim=config.latent_dim,
    )


def build_toy_gan_setup(config: Toy2DConfig, *, image_shape=(2,), seed: int = 0):
    """GAN (or PacGAN when config.packing > 1) on 2-D points, with the shared GAN step."""
    return _build_setup(config, image_shape=image_shape, seed=seed, gp_weight=None)


def build_toy_wgan_gp_setup(config: ToyWGANGPConfig, *, image_shape=(2,), seed: int = 0):
    """WGAN-GP on 2-D points, with the shared WGAN step."""
    return _build_setup(config, image_shape=image_shape, seed=seed, gp_weight=config.gp_weight)


SETUPS = {
    "toy-gan": build_toy_gan_setup,
    "toy-pacgan": build_toy_gan_setup,
    "toy-wgan-gp": build_toy_wgan_gp_setup,
}


def train_toy(
    model: str, name: str, config: Toy2DConfig, *, seed: int = 0, snapshot_dir=None
) -> dict:
    """Train one toy model on `name` from scratch; returns history, generator, final score, minutes.

    The history holds `modes` and `hq_percent` after every epoch (see `ModeScore`). With
    `snapshot_dir`, a scatter plot of 512 fixed-noise samples is saved each epoch, plus a GIF.
    """
    import time
    from pathlib import Path

    from gan_course.data import make_dataset
    from gan_course.seeding import set_seed
    from gan_course.training import fit

    if model not in SETUPS:
        raise ValueError(f"unknown toy model {model!r}; choose one of {', '.join(SETUPS)}")
    set_seed(seed)
    setup = SETUPS[model](config, image_shape=(2,), seed=seed)
    points, _ = load_toy_dataset(name)
    generator = setup.models["generator"]
    callbacks = [ModeScore(generator, name, latent_dim=config.latent_dim)]
    if snapshot_dir is not None:
        snapshot_dir = Path(snapshot_dir)
        callbacks.append(
            SampleGrids(
                setup.sample,
                setup.fixed_inputs,
                snapshot_dir,
                scale=setup.scale,
                gif_path=snapshot_dir / "progress.gif",
            )
        )
    start = time.monotonic()
    history = fit(
        setup.train_step,
        lambda epoch: make_dataset(points, batch_size=config.batch_size, seed=seed, epoch=epoch),
        epochs=config.epochs,
        max_minutes=config.max_minutes,
        callbacks=callbacks,
        progress=False,
        verbose=False,
    )
    return {
        "history": history,
        "setup": setup,
        "generator": generator,
        "score": score_generator(generator, name, latent_dim=config.latent_dim),
        "minutes": (time.monotonic() - start) / 60.0,
    }
