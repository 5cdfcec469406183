"""Wasserstein GAN: weight clipping (Arjovsky et al. 2017) or gradient penalty (Gulrajani et al. 2017).

The critic f outputs an unbounded score, not a probability: the critic objective
E[f(x)] - E[f(G(z))] estimates the Wasserstein-1 distance only over 1-Lipschitz f, and a
sigmoid would squash exactly the differences that measure distance. The critic has no
BatchNorm: the gradient penalty constrains the gradient of f at each example on its own,
and BatchNorm would make f(x_i) depend on the other examples of the batch.
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf
from keras import layers

from gan_course import losses
from gan_course.config import check_image_shape, validate_positive, validate_weight_average_decay
from gan_course.models.common import normal_init
from gan_course.models.packing import PackSamples, check_packing
from gan_course.training import randomness
from gan_course.training.settings import RunSettings
from gan_course.training.setup import adam, assemble_setup, family_setup, fixed_noise, rmsprop
from gan_course.training.update import apply_update

NORMALIZATIONS = ("none", "layer")

# Both variants. XLA off: slower on a 2-core CPU, even for WGAN-GP's double backward pass.
# measured: benchmarks/README.md, "XLA per family"
RUN_DEFAULTS = RunSettings(epochs=40, batch_size=64, jit_compile=False)


@dataclasses.dataclass(frozen=True)
class WGANConfig:
    """Weight clipping, with the paper's defaults: RMSProp 5e-5, clip 0.01, 5 critic updates."""

    latent_dim: int = 64
    # Half the DCGAN widths: five critic updates per generator update cost a lot on a CPU.
    generator_filters: tuple[int, ...] = (64, 32)
    critic_filters: tuple[int, ...] = (32, 64)
    critic_normalization: str = "none"  # clipping already bounds the weights
    critic_packing: int = 1  # PacGAN degree m of the critic (gan_course.models.packing)
    learning_rate: float = 5e-5
    clip_value: float = 0.01
    critic_steps: int = 5
    # Samples come from a moving average of the generator's weights, as in the DCGAN
    # (gan_course.training.weight_average); 0 samples from the trained weights themselves.
    weight_average_decay: float = 0.999

    def __post_init__(self):
        validate_positive(self, "latent_dim", "learning_rate", "clip_value", "critic_steps")
        _validate_common(self)


@dataclasses.dataclass(frozen=True)
class WGANGPConfig:
    """Gradient penalty: lambda 10 and Adam (0, 0.9) as in the paper, but 1 critic update at
    2e-4 instead of its 5 at 1e-4: within minutes on a CPU, more generator updates win
    (measured: benchmarks/README.md, "WGAN-GP critic steps and learning rate", and "WGAN-GP's
    Adam momentum" for beta_1)."""

    latent_dim: int = 64
    # Half the DCGAN widths: five critic updates per generator update cost a lot on a CPU.
    generator_filters: tuple[int, ...] = (64, 32)
    critic_filters: tuple[int, ...] = (32, 64)
    critic_normalization: str = "layer"  # LayerNorm is per example, so the penalty stays valid
    critic_packing: int = 1  # PacGAN degree m: the critic scores packs of m images
    learning_rate: float = 2e-4  # the generator's Adam step size
    critic_learning_rate: float = 2e-4  # the critic's (TTUR, Heusel et al. 2017, when larger)
    beta_1: float = 0.0  # the paper's (Algorithm 1); at 0.5 one seed's critic estimate collapsed
    beta_2: float = 0.9
    gp_weight: float = 10.0
    critic_steps: int = 1
    weight_average_decay: float = 0.999  # as in WGANConfig

    def __post_init__(self):
        validate_positive(
            self, "latent_dim", "learning_rate", "critic_learning_rate", "gp_weight", "critic_steps"
        )
        if not (0.0 <= self.beta_1 < 1.0 and 0.0 <= self.beta_2 < 1.0):
            raise ValueError(f"Adam betas must lie in [0, 1), got {self.beta_1}, {self.beta_2}")
        _validate_common(self)


def _validate_common(config) -> None:
    validate_positive(config, "critic_packing")
    validate_weight_average_decay(config)
    if len(config.generator_filters) != 2 or len(config.critic_filters) != 2:
        raise ValueError("the WGAN uses two up/down-sampling stages: give two filter widths each")
    if config.critic_normalization not in NORMALIZATIONS:
        raise ValueError(
            f"unknown critic_normalization {config.critic_normalization!r}; choose one of "
            f"{NORMALIZATIONS} (never BatchNorm: it breaks the per-example gradient penalty)"
        )


def build_wgan_critic(
    *,
    image_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, ...] = (32, 64),
    normalization: str = "layer",
    packing: int = 1,
) -> keras.Model:
    """Images (B, H, W, C) in [-1, 1] -> scores (B / packing, 1), unbounded (no sigmoid, no BatchNorm).

    `packing=m > 1` scores packs of m consecutive images (PacGAN, gan_course.models.packing);
    LayerNorm then normalises one pack, so the penalty, taken per pack, stays valid.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"unknown normalization {normalization!r}; choose one of {NORMALIZATIONS}")
    check_image_shape(image_shape, multiple_of=4)
    images = keras.Input(image_shape, name="images")
    x = PackSamples(packing)(images) if packing > 1 else images  # (B / m, H, W, m * C)
    for index, width_out in enumerate(filters):
        x = layers.Conv2D(
            width_out, 4, strides=2, padding="same", kernel_initializer=normal_init()
        )(x)
        if index > 0 and normalization == "layer":
            x = layers.LayerNormalization()(x)  # statistics of one example's channels
        x = layers.LeakyReLU(0.2)(x)  # (B, H/2, W/2, f0), then (B, H/4, W/4, f1)
    x = layers.Flatten()(x)
    scores = layers.Dense(1, kernel_initializer=normal_init(), dtype="float32")(x)
    return keras.Model(images, scores, name="wgan_critic")


def sample_interpolation_weights(
    rng: tf.random.Generator, batch_size, rank: int = 4, packing: int = 1
) -> tf.Tensor:
    """alpha ~ U[0, 1], one per example, shaped to broadcast over data of `rank` dimensions:
    (B, 1, 1, 1) for images, (B, 1) for points (B, 2). Where x_hat lies between fake and real.
    For a critic that packs m images (`packing`), one alpha per pack, repeated for its m
    consecutive members: x_hat is then a point on the segment between a real and a fake pack.

    Drawn through `randomness`, so N replicas see the weights one device draws for the
    global batch."""
    per_pack = randomness.uniform(rng, (batch_size // packing,) + (1,) * (rank - 1), 0.0, 1.0)
    return per_pack if packing == 1 else tf.repeat(per_pack, packing, axis=0)


def clip_weights(model: keras.Model, clip_value: float) -> None:
    """Clip every trainable weight of `model` to [-clip_value, clip_value], in place.

    Called in each replica right after the update: the replicas hold identical weights,
    so each computes the same clipped value and the copies stay identical."""
    for variable in model.trainable_variables:
        variable.assign(tf.clip_by_value(variable, -clip_value, clip_value))


def _check_step_options(critic_steps, clip_value, gp_weight) -> None:
    if (clip_value is None) == (gp_weight is None):
        raise ValueError("set exactly one of clip_value (WGAN) or gp_weight (WGAN-GP)")
    if critic_steps < 1:
        raise ValueError(f"critic_steps must be >= 1, got {critic_steps}")
    if clip_value is not None and not clip_value > 0:
        raise ValueError(f"clip_value must be positive, got {clip_value}")
    if gp_weight is not None and not gp_weight > 0:
        raise ValueError(f"gp_weight must be positive, got {gp_weight}")


def make_wgan_train_step(
    generator,
    critic,
    generator_optimizer,
    critic_optimizer,
    *,
    latent_dim: int,
    rng: tf.random.Generator,
    critic_steps: int = 5,
    clip_value: float | None = None,
    gp_weight: float | None = None,
    packing: int = 1,
    weight_average=None,
    jit_compile: bool = False,
):
    """Return `train_step(images) -> dict of scalar tensors`, compiled with `tf.function`.

    One call = `critic_steps` critic updates (fresh noise each, one real batch for all: the paper
    draws new ones) and one generator update; `weight_average` steps after it. Set exactly one of
    `clip_value` (WGAN) or `gp_weight` (WGAN-GP). `packing`: the critic's PacGAN degree m.
    """
    _check_step_options(critic_steps, clip_value, gp_weight)

    def critic_update(real, batch_size):
        noise = randomness.normal(rng, (batch_size, latent_dim))  # (B, latent_dim)
        fake = generator(noise, training=True)  # outside the tape: no generator gradients
        if gp_weight is not None:
            alpha = sample_interpolation_weights(rng, batch_size, real.shape.rank, packing)
        with tf.GradientTape() as tape:
            real_scores = critic(real, training=True)  # (B / packing, 1)
            fake_scores = critic(fake, training=True)
            wasserstein_loss = losses.critic_loss(real_scores, fake_scores)
            penalty = tf.constant(0.0)
            if gp_weight is not None:
                penalty = losses.gradient_penalty(critic, real, fake, alpha, packing=packing)
            total_loss = wasserstein_loss + (gp_weight or 0.0) * penalty
        grad_norm = apply_update(tape, total_loss, critic.trainable_variables, critic_optimizer)
        if clip_value is not None:  # keep f in a compact set, hence K-Lipschitz for some K
            clip_weights(critic, clip_value)
        return total_loss, wasserstein_loss, penalty, grad_norm

    def step(real):
        batch_size = tf.shape(real)[0]
        for _ in range(critic_steps):  # unrolled at trace time
            total_loss, wasserstein_loss, penalty, c_grad_norm = critic_update(real, batch_size)
        noise = randomness.normal(rng, (batch_size, latent_dim))
        with tf.GradientTape() as tape:
            fake = generator(noise, training=True)
            g_loss = losses.wasserstein_generator_loss(critic(fake, training=True))
        g_grad_norm = apply_update(tape, g_loss, generator.trainable_variables, generator_optimizer)
        if weight_average is not None:
            weight_average.update()
        return {
            "critic_loss": total_loss,
            "generator_loss": g_loss,
            "wasserstein_estimate": -wasserstein_loss,  # E f(x) - E f(G(z)), last critic update
            "gradient_penalty": penalty,
            "critic_grad_norm": c_grad_norm,
            "generator_grad_norm": g_grad_norm,
        }

    return tf.function(step, jit_compile=jit_compile)


def _build_setup(config, optimizers, *, image_shape, settings: RunSettings, clip_value, gp_weight):
    """The setup both variants share; `optimizers`: "generator"/"critic" -> OptimizerSpec."""
    from gan_course.models.dcgan import build_dcgan_generator
    from gan_course.training.weight_average import WeightAverage

    generator = build_dcgan_generator(
        latent_dim=config.latent_dim, image_shape=image_shape, filters=config.generator_filters
    )
    critic = build_wgan_critic(
        image_shape=image_shape,
        filters=config.critic_filters,
        normalization=config.critic_normalization,
        packing=config.critic_packing,
    )
    check_packing(settings.batch_size, config.critic_packing)
    models, sampler, extra_state = {"generator": generator, "critic": critic}, generator, {}
    average = None
    if config.weight_average_decay > 0:
        average = WeightAverage(generator, decay=config.weight_average_decay)
        models["generator_average"] = sampler = average.average
        extra_state["generator_average_updates"] = average.updates

    def make_step(optimizers, rng):
        return make_wgan_train_step(
            generator,
            critic,
            optimizers["generator"],
            optimizers["critic"],
            latent_dim=config.latent_dim,
            rng=rng,
            critic_steps=config.critic_steps,
            clip_value=clip_value,
            gp_weight=gp_weight,
            packing=config.critic_packing,
            weight_average=average,
            jit_compile=settings.jit_compile,
        )

    return assemble_setup(
        settings,
        models=models,
        optimizers={
            "generator": (optimizers["generator"], generator.trainable_variables),
            "critic": (optimizers["critic"], critic.trainable_variables),
        },
        make_step=make_step,
        sample=lambda noise: sampler(noise, training=False),
        fixed_inputs=fixed_noise(64, config.latent_dim, settings.seed + 1),
        scale="gan",
        latent_dim=config.latent_dim,
        extra_state=extra_state,
        # The GAN monitor reads sigmoid(logits) as probabilities; a critic's scores are not.
        monitor=None,
    )


@family_setup(RUN_DEFAULTS)
def build_wgan_setup(config: WGANConfig, *, image_shape=(28, 28, 1), settings: RunSettings):
    """WGAN with weight clipping and RMSProp (momentum-free, as the paper advises)."""
    return _build_setup(
        config,
        {"generator": rmsprop(config.learning_rate), "critic": rmsprop(config.learning_rate)},
        image_shape=image_shape,
        settings=settings,
        clip_value=config.clip_value,
        gp_weight=None,
    )


@family_setup(RUN_DEFAULTS)
def build_wgan_gp_setup(config: WGANGPConfig, *, image_shape=(28, 28, 1), settings: RunSettings):
    """WGAN-GP, Adam(beta_1, beta_2) at `learning_rate` (generator), `critic_learning_rate`."""
    return _build_setup(
        config,
        {
            "generator": adam(config.learning_rate, config.beta_1, config.beta_2),
            "critic": adam(config.critic_learning_rate, config.beta_1, config.beta_2),
        },
        image_shape=image_shape,
        settings=settings,
        clip_value=None,
        gp_weight=config.gp_weight,
    )
