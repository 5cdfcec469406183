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

    `simultaneous=True` updates both networks from one batch of fakes under two tapes, as
    the TensorFlow DCGAN tutorial does: the generator then follows the discriminator of
    *before* its update, but the step costs one generator pass and one discriminator pass
    on the fakes less (about a quarter of the work). Alternating updates are the default,
    as in Goodfellow et al. (2014).
    """
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
    generator_objective = losses.get_generator_loss(generator_loss)

    def generate(noise, labels, training):
        return generator([noise, labels] if conditional else noise, training=training)

    def discriminate(images, labels, training):
        if augment is not None:
            images = augment(images)
        return discriminator([images, labels] if conditional else images, training=training)

    def finish(d_loss, g_loss, real_logits, fake_logits, d_grad_norm, g_grad_norm):
        """Update the weight average after the generator's step; the step's scalar outputs."""
        if weight_average is not None:
            weight_average.update()
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),  # mean D(x)
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),  # mean D(G(z)) before the G update
            "d_grad_norm": d_grad_norm,
            "g_grad_norm": g_grad_norm,
        }

    def simultaneous_step(batch):
        real, labels = batch if conditional else (batch, None)
        noise = randomness.normal(rng, (tf.shape(real)[0], latent_dim))  # (B, latent_dim)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generate(noise, labels, True)
            real_logits = discriminate(real, labels, True)  # (B, 1)
            fake_logits = discriminate(fake, labels, True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits, real_label=real_label)
            g_loss = generator_objective(fake_logits)
        # The backward passes read the weights recorded in the forward pass, so the
        # generator follows the discriminator of before its update.
        d_grad_norm = apply_update(
            d_tape, d_loss, discriminator.trainable_variables, discriminator_optimizer
        )
        g_grad_norm = apply_update(g_tape, g_loss, generator.trainable_variables, generator_optimizer)
        return finish(d_loss, g_loss, real_logits, fake_logits, d_grad_norm, g_grad_norm)

    def step(batch):
        real, labels = batch if conditional else (batch, None)
        batch_size = tf.shape(real)[0]
        for _ in range(discriminator_steps):  # unrolled at trace time
            noise = randomness.normal(rng, (batch_size, latent_dim))  # (B, latent_dim)
            with tf.GradientTape() as tape:
                fake = generate(noise, labels, True)
                if r1_gamma > 0:  # the penalty's pass also gives the real logits
                    penalty, real_logits = losses.r1_penalty(
                        lambda x, training: discriminate(x, labels, training), real
                    )
                else:
                    real_logits = discriminate(real, labels, True)  # (B, 1)
                fake_logits = discriminate(fake, labels, True)
                d_loss = losses.discriminator_loss(real_logits, fake_logits, real_label=real_label)
                if r1_gamma > 0:
                    d_loss += 0.5 * r1_gamma * penalty
            d_grad_norm = apply_update(
                tape, d_loss, discriminator.trainable_variables, discriminator_optimizer
            )
        noise = randomness.normal(rng, (batch_size, latent_dim))
        with tf.GradientTape() as tape:
            fake = generate(noise, labels, True)
            g_loss = generator_objective(discriminate(fake, labels, True))
        g_grad_norm = apply_update(tape, g_loss, generator.trainable_variables, generator_optimizer)
        return finish(d_loss, g_loss, real_logits, fake_logits, d_grad_norm, g_grad_norm)

    return tf.function(simultaneous_step if simultaneous else step, jit_compile=jit_compile)


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
