"""Drawing images from a trained noise predictor: ancestral DDPM sampling and DDIM.

Both start from pure noise x_T ~ N(0, I) and walk down the noise levels. At each visited
step the network's eps gives a guess of the clean image,

    x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t), clipped to [-1, 1],

and the two samplers differ in where they go next:

- **Ancestral** (Ho et al. 2020): a draw from q(x_{t-1} | x_t, x0_hat), the Gaussian
  posterior of the forward process, at every one of the T steps. Fresh noise enters at
  each step; it comes from a stateless generator keyed by (seed, t), so a seed fixes it.
- **DDIM** with eta = 0 (Song et al. 2021): x_prev = sqrt(alpha_bar_prev) x0_hat +
  sqrt(1 - alpha_bar_prev) eps_hat, no fresh noise, so x_T alone fixes the image and any
  subset of the steps may be visited (Song et al. lose little quality with 50 of 1000).
  The fresh noise of the ancestral sampler also corrects the network's errors: after short
  training runs it draws cleaner digits than DDIM, at 1000 network calls per image.

Each sampler is one `tf.function` around its whole step loop (a graph loop, as the
PixelCNN sampler), traced once for any batch size and any number of steps.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from gan_course.models.ddpm_schedule import NoiseSchedule


def ddim_timesteps(timesteps: int, steps: int) -> np.ndarray:
    """The `steps` timestep indices DDIM visits, evenly spaced from T - 1 down to 0, int32."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= timesteps:
        raise ValueError(
            f"DDIM steps must be a whole number from 1 to the model's {timesteps} timesteps, got {steps!r}"
        )
    # Spacing of at least 1 keeps the rounded indices distinct.
    return np.round(np.linspace(timesteps - 1, 0, steps)).astype(np.int32)


def model_noise_predictor(model) -> Callable:
    """`(x_t, t) -> eps` for a Keras U-Net of `ddpm_unet.build_ddpm_unet`, in inference mode."""
    return lambda noisy, t: model([noisy, t], training=False)


class DDPMSampler:
    """Draws images (B, H, W, C) in [-1, 1] from `predict_noise(x_t, t) -> eps` (t: (B,) int32).

    `noise` is x_T as (B, H * W * C) float32 N(0, 1) numbers, the shape `gan-course sample`
    draws for a run's `latent_dim`.
    """

    def __init__(self, predict_noise: Callable, schedule: NoiseSchedule, *, image_shape):
        self.predict_noise = predict_noise
        self.schedule = schedule
        self.image_shape = tuple(int(v) for v in image_shape)
        dimensions = int(np.prod(self.image_shape))
        # Tables indexed by t + 1, whose index 0 is "before the first step" (alpha_bar = 1),
        # computed in float64 and stored as float32.
        alpha_bars = np.concatenate([[1.0], schedule.alpha_bars])
        self._signal = _table(np.sqrt(alpha_bars))  # sqrt(alpha_bar)
        self._spread = _table(np.sqrt(1.0 - alpha_bars))  # sqrt(1 - alpha_bar)
        clean, noisy = schedule.posterior_mean_coefficients
        self._posterior_clean, self._posterior_noisy = _table(clean), _table(noisy)
        self._posterior_std = _table(np.sqrt(schedule.posterior_variances))
        noise_spec = tf.TensorSpec((None, dimensions), tf.float32)
        self._ddim = tf.function(
            self._ddim_loop,
            input_signature=[
                noise_spec,
                tf.TensorSpec((None,), tf.int32),
                tf.TensorSpec((None,), tf.int32),
            ],
        )
        self._ancestral = tf.function(
            self._ancestral_loop, input_signature=[noise_spec, tf.TensorSpec((2,), tf.int64)]
        )

    def ddim(self, noise, steps: int):
        """DDIM (eta = 0) over `steps` evenly spaced timesteps: a deterministic map x_T -> x_0."""
        visited = ddim_timesteps(self.schedule.timesteps, steps)
        following = np.concatenate([visited[1:], [-1]]).astype(np.int32)  # -1: the clean image
        return self._ddim(tf.convert_to_tensor(noise, tf.float32), visited, following)

    def ancestral(self, noise, seed: int | tuple[int, int] = 0):
        """Ancestral sampling over all T steps; the fresh noise of each step comes from `seed`
        (an int, or two ints, e.g. (seed, batch index) for several batches of one draw)."""
        key = np.broadcast_to(np.asarray(seed, np.int64), (2,)).copy()
        if np.ndim(seed) == 0:
            key[1] = 0
        return self._ancestral(tf.convert_to_tensor(noise, tf.float32), key)

    def draw(self, noise, *, ddim_steps: int | None, seed: int | tuple[int, int] = 0):
        """DDIM with `ddim_steps`, or ancestral sampling with `seed` when it is None."""
        if ddim_steps is None:
            return self.ancestral(noise, seed)
        return self.ddim(noise, ddim_steps)

    def _clean_guess(self, noisy, t):
        """(x0_hat clipped to [-1, 1], the eps that x_t and the clipped x0_hat imply)."""
        batch = tf.shape(noisy)[0]
        eps = tf.cast(self.predict_noise(noisy, tf.fill([batch], t)), tf.float32)
        signal, spread = self._signal[t + 1], self._spread[t + 1]
        clean = tf.clip_by_value((noisy - spread * eps) / signal, -1.0, 1.0)
        # Recomputed from the clipped guess, so the step stays on the line between x0_hat and
        # the noise that x_t holds (unchanged when nothing was clipped).
        return clean, (noisy - signal * clean) / spread

    def _start(self, noise):
        return tf.reshape(noise, (-1, *self.image_shape))  # x_T (B, H, W, C)

    def _ddim_loop(self, noise, visited, following):
        noisy = self._start(noise)
        for index in tf.range(tf.shape(visited)[0]):
            t, t_next = visited[index], following[index]
            clean, eps = self._clean_guess(noisy, t)
            noisy = self._signal[t_next + 1] * clean + self._spread[t_next + 1] * eps
        return tf.clip_by_value(noisy, -1.0, 1.0)  # (B, H, W, C) in [-1, 1]

    def _ancestral_loop(self, noise, key):
        noisy = self._start(noise)
        for t in tf.range(self.schedule.timesteps - 1, -1, -1):
            clean, _ = self._clean_guess(noisy, t)
            # A draw from q(x_{t-1} | x_t, x0_hat); its variance is 0 at the first step.
            mean = self._posterior_clean[t] * clean + self._posterior_noisy[t] * noisy
            fresh = tf.random.stateless_normal(
                tf.shape(noisy), seed=tf.random.experimental.stateless_fold_in(key, t)
            )
            noisy = mean + self._posterior_std[t] * fresh
        return tf.clip_by_value(noisy, -1.0, 1.0)


def _table(values: np.ndarray) -> tf.Tensor:
    return tf.constant(np.asarray(values, np.float64).astype(np.float32))
