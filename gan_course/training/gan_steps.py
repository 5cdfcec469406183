"""The adversarial train step shared by the vanilla GAN, the DCGAN and the conditional GAN.

One call = `discriminator_steps` discriminator updates, then one generator update
(Goodfellow et al. 2014, Algorithm 1). Every dependency is an argument; the batch size
comes from the data, so a last partial batch pairs N real images with N fakes.
"""

from __future__ import annotations

import tensorflow as tf

from gan_course import losses
from gan_course.training import randomness
from gan_course.training.update import apply_update


def make_gan_train_step(
    generator,
    discriminator,
    generator_optimizer,
    discriminator_optimizer,
    *,
    latent_dim: int,
    rng: tf.random.Generator,
    generator_loss: str = "nonsaturating",
    real_label: float = 1.0,
    discriminator_steps: int = 1,
    conditional: bool = False,
    augment=None,
    weight_average=None,
    simultaneous: bool = False,
    r1_gamma: float = 0.0,
    fakes=None,
    jit_compile: bool = False,
):
    """Return `train_step(batch) -> dict of scalar tensors`, compiled with `tf.function`.

    `batch` is images (B, H, W, C) in [-1, 1], or `(images, labels)` when `conditional`;
    conditional models take `[noise, labels]` and `[images, labels]`. `rng` is a
    `tf.random.Generator`: its state is checkpointed, so a resumed run draws the same noise.
    `augment` (see `gan_course.models.augment.make_augment`) transforms every image the
    discriminator sees, real and fake, in both updates; `weight_average` (a
    `gan_course.training.weight_average.WeightAverage` of the generator) is updated after each
    generator step. `r1_gamma > 0` adds the R1 penalty gamma/2 * E||grad_x D(x)||^2 on the
    real images to the discriminator's loss (`gan_course.losses.r1_penalty`).

    `fakes(batch_size, for_generator) -> images` replaces `generator(noise)` for generators
    that draw more than one noise vector per image (StyleGAN's style mixing: see
    `gan_course.models.stylegan.make_style_mixing_fakes`); `generator` then only supplies the
    trainable variables. So a family that changes the generator changes nothing else.

    `simultaneous=True` updates both networks from one batch of fakes under two tapes, as
    the TensorFlow DCGAN tutorial does: the generator then follows the discriminator of
    *before* its update, but the step costs one generator pass and one discriminator pass
    on the fakes less (about a quarter of the work). Alternating updates are the default,
    as in Goodfellow et al. (2014).
    """
    _check_step_options(discriminator_steps, real_label, r1_gamma, simultaneous)
    step = _GANStep(
        generator,
        discriminator,
        generator_optimizer,
        discriminator_optimizer,
        latent_dim=latent_dim,
        rng=rng,
        generator_objective=losses.get_generator_loss(generator_loss),
        real_label=real_label,
        discriminator_steps=discriminator_steps,
        conditional=conditional,
        augment=augment,
        weight_average=weight_average,
        r1_gamma=r1_gamma,
        fakes=fakes,
    )
    return tf.function(
        step.simultaneous if simultaneous else step.alternating, jit_compile=jit_compile
    )


def _check_step_options(discriminator_steps, real_label, r1_gamma, simultaneous) -> None:
    if discriminator_steps < 1:
        raise ValueError(f"discriminator_steps must be >= 1, got {discriminator_steps}")
    if not 0.0 < real_label <= 1.0:
        raise ValueError(f"real_label must be in (0, 1], got {real_label}")
    if r1_gamma < 0:
        raise ValueError(f"r1_gamma must be >= 0 (0 turns the R1 penalty off), got {r1_gamma}")
    if simultaneous and r1_gamma > 0:
        raise ValueError("the R1 penalty is part of the alternating step: set simultaneous=False")
    if simultaneous and discriminator_steps != 1:
        raise ValueError(
            "simultaneous updates take one discriminator step: set discriminator_steps=1"
        )


class _GANStep:
    """The pieces of one adversarial step; `alternating` and `simultaneous` are the steps."""

    def __init__(
        self,
        generator,
        discriminator,
        generator_optimizer,
        discriminator_optimizer,
        *,
        latent_dim,
        rng,
        generator_objective,
        real_label,
        discriminator_steps,
        conditional,
        augment,
        weight_average,
        r1_gamma,
        fakes,
    ):
        self.generator, self.discriminator = generator, discriminator
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.latent_dim, self.rng = latent_dim, rng
        self.generator_objective, self.real_label = generator_objective, real_label
        self.discriminator_steps, self.conditional = discriminator_steps, conditional
        self.augment, self.weight_average, self.r1_gamma = augment, weight_average, r1_gamma
        self.fakes = fakes

    def generate(self, batch_size, labels, *, for_generator: bool):
        """Fakes (B, H, W, C); `for_generator`: the generator's update, not the discriminator's."""
        if self.fakes is not None:
            return self.fakes(batch_size, for_generator)
        noise = self.noise(batch_size)
        return self.generator([noise, labels] if self.conditional else noise, training=True)

    def discriminate(self, images, labels, training=True):
        if self.augment is not None:
            images = self.augment(images)
        inputs = [images, labels] if self.conditional else images
        return self.discriminator(inputs, training=training)

    def noise(self, batch_size):
        return randomness.normal(self.rng, (batch_size, self.latent_dim))  # (B, latent_dim)

    def discriminator_loss(self, real, fake, labels):
        """L_D on one batch; also the real and fake logits, (B, 1) each."""
        if self.r1_gamma > 0:  # the penalty's pass also gives the real logits
            penalty, real_logits = losses.r1_penalty(
                lambda x, training: self.discriminate(x, labels, training), real
            )
        else:
            real_logits = self.discriminate(real, labels)  # (B, 1)
        fake_logits = self.discriminate(fake, labels)
        loss = losses.discriminator_loss(real_logits, fake_logits, real_label=self.real_label)
        if self.r1_gamma > 0:
            loss += 0.5 * self.r1_gamma * penalty
        return loss, real_logits, fake_logits

    def alternating(self, batch):
        """`discriminator_steps` discriminator updates, then one generator update."""
        real, labels = batch if self.conditional else (batch, None)
        batch_size = tf.shape(real)[0]
        for _ in range(self.discriminator_steps):  # unrolled at trace time
            with tf.GradientTape() as tape:
                fake = self.generate(batch_size, labels, for_generator=False)
                d_loss, real_logits, fake_logits = self.discriminator_loss(real, fake, labels)
            d_grad_norm = apply_update(
                tape, d_loss, self.discriminator.trainable_variables, self.discriminator_optimizer
            )
        with tf.GradientTape() as tape:
            fake = self.generate(batch_size, labels, for_generator=True)
            g_loss = self.generator_objective(self.discriminate(fake, labels))
        g_grad_norm = apply_update(
            tape, g_loss, self.generator.trainable_variables, self.generator_optimizer
        )
        return self.finish(d_loss, g_loss, real_logits, fake_logits, d_grad_norm, g_grad_norm)

    def simultaneous(self, batch):
        """Both networks from one batch of fakes, under two tapes (the TF tutorial's step)."""
        real, labels = batch if self.conditional else (batch, None)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generate(tf.shape(real)[0], labels, for_generator=True)
            d_loss, real_logits, fake_logits = self.discriminator_loss(real, fake, labels)
            g_loss = self.generator_objective(fake_logits)
        # The backward passes read the weights recorded in the forward pass, so the
        # generator follows the discriminator of before its update.
        d_grad_norm = apply_update(
            d_tape, d_loss, self.discriminator.trainable_variables, self.discriminator_optimizer
        )
        g_grad_norm = apply_update(
            g_tape, g_loss, self.generator.trainable_variables, self.generator_optimizer
        )
        return self.finish(d_loss, g_loss, real_logits, fake_logits, d_grad_norm, g_grad_norm)

    def finish(self, d_loss, g_loss, real_logits, fake_logits, d_grad_norm, g_grad_norm):
        """Update the weight average after the generator's step; the step's scalar outputs."""
        if self.weight_average is not None:
            self.weight_average.update()
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),  # mean D(x)
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),  # mean D(G(z)) before the G update
            "d_grad_norm": d_grad_norm,
            "g_grad_norm": g_grad_norm,
        }


def repeat_step(train_step, steps_per_call: int, *, jit_compile: bool = False):
    """Run `steps_per_call` train steps in one `tf.function` call: `step(batches)` takes
    batches stacked on a new first axis, (K, B, ...), and returns the last step's outputs.

    One Python call and one host-device round trip per K steps instead of per step: it pays
    where a step is so small that calling it costs a noticeable share of its time (small
    MLPs, fast accelerators); benchmarks/bench_vanilla_gan.py measures it.
    """
    if steps_per_call < 1:
        raise ValueError(f"steps_per_call must be >= 1, got {steps_per_call}")

    def steps(batches):
        tf.debugging.assert_equal(
            tf.shape(batches)[0], steps_per_call, message="batches must be stacked (K, B, ...)"
        )
        outputs = train_step(batches[0])
        for index in tf.range(1, steps_per_call):  # a graph loop, not unrolled
            outputs = train_step(batches[index])
        return outputs

    return tf.function(steps, jit_compile=jit_compile)
