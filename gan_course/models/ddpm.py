"""DDPM (Ho et al. 2020): a denoising diffusion model trained to predict the noise.

Training takes a clean image x_0, a random timestep t and noise eps, forms the noisy
x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps in one draw
(gan_course.models.ddpm_schedule), and regresses the U-Net's eps_theta(x_t, t)
(gan_course.models.ddpm_unet) onto eps with a plain mean squared error: no discriminator,
no game, a loss that only goes down. Sampling runs the learnt denoiser from pure noise
down to an image (gan_course.models.ddpm_sampling), from an exponential moving average of
the weights (gan_course.training.weight_average), as the GANs sample from theirs.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gan_course.config import validate_positive
from gan_course.models.ddpm_schedule import SCHEDULES, NoiseSchedule, noise_schedule, q_sample
from gan_course.training.settings import RunSettings
from gan_course.training.setup import (
    IterativeSampler,
    adam,
    assemble_setup,
    family_setup,
    fixed_noise,
)

# 70 steps of 64 per epoch on mnist_5k, 11-16 s each on a 2-core Xeon with AVX-512 (TF 2.21),
# so 25 epochs are about 5-7 minutes: enough for recognisable digits. XLA off: it ran the
# U-Net's step at about half the speed there.
RUN_DEFAULTS = RunSettings(epochs=25, batch_size=64, jit_compile=False)


@dataclasses.dataclass(frozen=True)
class DDPMConfig:
    timesteps: int = 1000  # T: noise levels of the forward process
    schedule: str = "cosine"  # betas: "cosine" (Nichol & Dhariwal 2021) or "linear" (Ho et al.)
    # U-Net channels per level; the size halves between levels (28 -> 14 -> 7).
    widths: tuple[int, ...] = (16, 32, 64)
    blocks_per_level: int = 1  # residual blocks per level, on each side of the U-Net
    learning_rate: float = 1e-3  # Adam
    # Samples come from a moving average of the U-Net's weights; 0 samples from the
    # trained weights themselves.
    ema_decay: float = 0.999
    # DDIM steps of the epoch grids and of `gan-course sample` (--ddim-steps overrides,
    # --ancestral runs all T steps). DDIM by default: x_T alone fixes the image, as a GAN's
    # noise does, at 40x fewer network calls than ancestral sampling; 10, 25 and 50 steps drew
    # nearly the same digits. After short runs ancestral sampling draws cleaner ones.
    sampling_steps: int = 25

    def __post_init__(self):
        validate_positive(self, "timesteps", "blocks_per_level", "learning_rate", "sampling_steps")
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}"
            )
        if self.timesteps < 2:
            raise ValueError(f"timesteps must be at least 2, got {self.timesteps!r}")
        if not self.widths or not all(isinstance(w, int) and w > 0 for w in self.widths):
            raise ValueError(
                f"widths must be positive whole numbers, e.g. 32,64, got {self.widths!r}"
            )
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(
                f"ema_decay must be in [0, 1) (0.999 averages, 0 turns it off), got {self.ema_decay!r}"
            )
        if self.sampling_steps > self.timesteps:
            raise ValueError(
                f"sampling_steps ({self.sampling_steps}) cannot exceed timesteps ({self.timesteps})"
            )


def make_ddpm_train_step(
    model, optimizer, schedule: NoiseSchedule, *, rng, weight_average=None, jit_compile=False
):
    """Return `train_step(images) -> {"loss", "grad_norm"}`, compiled with `tf.function`.

    `images` (B, H, W, C) are in [-1, 1]. Each example gets a timestep t ~ U{0, ..., T-1}
    and noise eps ~ N(0, I), drawn for the global batch through
    gan_course.training.randomness (so one device and N replicas see the same numbers);
    `loss` is the mean squared error between eps and the U-Net's prediction.
    """
    import tensorflow as tf

    from gan_course import losses
    from gan_course.training import randomness
    from gan_course.training.update import apply_update

    def step(images):
        batch = tf.shape(images)[0]
        t = randomness.uniform(rng, [batch], 0, schedule.timesteps, dtype=tf.int32)  # (B,)
        noise = randomness.normal(rng, tf.shape(images))  # (B, H, W, C)
        noisy = q_sample(schedule, images, t, noise)
        with tf.GradientTape() as tape:
            predicted = model([noisy, t], training=True)
            loss = losses.noise_prediction_loss(noise, predicted)
        grad_norm = apply_update(tape, loss, model.trainable_variables, optimizer)
        if weight_average is not None:
            weight_average.update()
        return {"loss": loss, "grad_norm": grad_norm}

    return tf.function(step, jit_compile=jit_compile)


@family_setup(RUN_DEFAULTS)
def build_ddpm_setup(config: DDPMConfig, *, image_shape=(28, 28, 1), settings: RunSettings):
    """U-Net, optimizer, RNG, compiled step and samplers for one DDPM run (used by the CLI)."""
    from gan_course.models.ddpm_sampling import DDPMSampler, model_noise_predictor
    from gan_course.models.ddpm_unet import build_ddpm_unet
    from gan_course.training.weight_average import WeightAverage

    schedule = noise_schedule(config.schedule, config.timesteps)
    model = build_ddpm_unet(
        image_shape=image_shape, widths=config.widths, blocks_per_level=config.blocks_per_level
    )
    models, extra_state, average = {"denoiser": model}, {}, None
    sampled = model
    if config.ema_decay > 0:
        average = WeightAverage(model, decay=config.ema_decay)
        models["denoiser_average"] = sampled = average.average
        extra_state["denoiser_average_updates"] = average.updates
    sampler = DDPMSampler(model_noise_predictor(sampled), schedule, image_shape=image_shape)
    pixels = int(np.prod(image_shape))
    return assemble_setup(
        settings,
        models=models,
        optimizers={"denoiser": (adam(config.learning_rate), model.trainable_variables)},
        make_step=lambda optimizers, rng: make_ddpm_train_step(
            model,
            optimizers["denoiser"],
            schedule,
            rng=rng,
            weight_average=average,
            jit_compile=settings.jit_compile,
        ),
        sample=lambda noise: sampler.ddim(noise, config.sampling_steps),  # noise (B, H*W*C)
        fixed_inputs=fixed_noise(64, pixels, settings.seed + 1),
        scale="gan",
        latent_dim=pixels,  # `gan-course sample` draws x_T as (N, H*W*C) noise
        iterative=IterativeSampler(
            draw=sampler.draw, timesteps=config.timesteps, default_steps=config.sampling_steps
        ),
        extra_state=extra_state,
    )
