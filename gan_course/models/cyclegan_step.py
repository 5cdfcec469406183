"""The CycleGAN train step (Zhu et al. 2017), for the models of gan_course.models.cyclegan.

Each batch is split into its two domains by the pixels of its digits, so a replica's
share of the global batch holds *some* digits of each domain, not a fixed half. Every
loss term here is therefore a mean over its domain's images in the whole global batch
(`domain_mean`), not the mean of each replica's own mean: N replicas then take exactly
the step one device takes, whatever their domain counts.
"""

from __future__ import annotations

import tensorflow as tf

from gan_course.models.cyclegan_domains import split_domains
from gan_course.training.update import apply_update, replicas_in_sync


def global_count(images) -> tf.Tensor:
    """How many images (B, ...) the replicas hold together, as a float32 scalar."""
    count = tf.cast(tf.shape(images)[0], tf.float32)
    if replicas_in_sync() == 1:
        return count
    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, count)


def domain_mean(values, count) -> tf.Tensor:
    """The mean of `values` (N, ...) over all `count` images of its domain in the global batch.

    This replica's share is sum / (count * elements per image) * replicas: `apply_update`
    divides it by the replicas and the optimizer sums their gradients, which gives the
    gradient of the global mean; averaged over replicas, it reads as the global mean. An
    empty domain adds 0 (count is kept >= 1).
    """
    per_image = tf.cast(tf.reduce_prod(tf.shape(values)[1:]), tf.float32)
    replicas = tf.cast(replicas_in_sync(), tf.float32)
    total = tf.reduce_sum(tf.cast(values, tf.float32))
    return total * replicas / (tf.maximum(count, 1.0) * per_image)


def cyclegan_losses(models: dict, real_a, real_b, *, cycle_weight, identity_weight) -> dict:
    """The generators' and discriminators' losses and their terms, from one forward pass.

    `models` holds generator_ab (G: A -> B), generator_ba (F: B -> A), discriminator_a and
    discriminator_b; `real_a` (N_a, H, W, C) and `real_b` (N_b, H, W, C) are this replica's
    digits of each domain, in [-1, 1].
    """
    g, f = models["generator_ab"], models["generator_ba"]
    d_a, d_b = models["discriminator_a"], models["discriminator_b"]
    count_a, count_b = global_count(real_a), global_count(real_b)
    fake_b, fake_a = g(real_a, training=True), f(real_b, training=True)  # G(a), F(b)
    fake_b_scores = d_b(fake_b, training=True)  # (N_a, H/4, W/4, 1)
    fake_a_scores = d_a(fake_a, training=True)  # (N_b, H/4, W/4, 1)
    # Least squares (LSGAN), as losses.least_squares_*_loss, over the global batch.
    adversarial = domain_mean(tf.square(fake_b_scores - 1.0), count_a) + domain_mean(
        tf.square(fake_a_scores - 1.0), count_b
    )
    # F(G(a)) should give a back, G(F(b)) should give b back.
    cycle = domain_mean(tf.abs(real_a - f(fake_b, training=True)), count_a) + domain_mean(
        tf.abs(real_b - g(fake_a, training=True)), count_b
    )
    # Identity: a generator fed a digit already in its target domain should leave it.
    identity = domain_mean(tf.abs(real_b - g(real_b, training=True)), count_b) + domain_mean(
        tf.abs(real_a - f(real_a, training=True)), count_a
    )
    # Halved, as in Zhu et al., so the discriminators learn slower than the generators.
    d_a_loss = 0.5 * (
        domain_mean(tf.square(d_a(real_a, training=True) - 1.0), count_a)
        + domain_mean(tf.square(fake_a_scores), count_b)
    )
    d_b_loss = 0.5 * (
        domain_mean(tf.square(d_b(real_b, training=True) - 1.0), count_b)
        + domain_mean(tf.square(fake_b_scores), count_a)
    )
    return {
        "g_loss": adversarial + cycle_weight * cycle + identity_weight * identity,
        "adversarial": adversarial,
        "cycle": cycle,
        "identity": identity,
        "d_a_loss": d_a_loss,
        "d_b_loss": d_b_loss,
    }


def make_cyclegan_train_step(
    generator_ab,
    generator_ba,
    discriminator_a,
    discriminator_b,
    generator_optimizer,
    discriminator_optimizer,
    *,
    cycle_weight: float = 10.0,
    identity_weight: float = 5.0,
    dilation: int = 3,
    jit_compile: bool = False,
):
    """Return `train_step(images) -> dict of scalar tensors`, compiled with `tf.function`.

    `images` (B, H, W, C) in [-1, 1] are split into domain A and (thickened) domain B by
    `split_domains`. Both generators are updated together (one optimizer on both variable
    lists) on the least-squares adversarial, cycle and identity losses; both discriminators
    likewise, on the fakes of the same forward pass (`cyclegan_losses`, Zhu et al. 2017).
    Nothing is random in this step, so it takes no `rng`.
    """
    models = {
        "generator_ab": generator_ab,
        "generator_ba": generator_ba,
        "discriminator_a": discriminator_a,
        "discriminator_b": discriminator_b,
    }
    generator_variables = generator_ab.trainable_variables + generator_ba.trainable_variables
    discriminator_variables = (
        discriminator_a.trainable_variables + discriminator_b.trainable_variables
    )

    def step(images):
        real_a, real_b = split_domains(images, dilation=dilation)  # (N_a, ...), (N_b, ...)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            outputs = cyclegan_losses(
                models, real_a, real_b, cycle_weight=cycle_weight, identity_weight=identity_weight
            )
            d_loss = outputs["d_a_loss"] + outputs["d_b_loss"]
        outputs["g_grad_norm"] = apply_update(
            g_tape, outputs["g_loss"], generator_variables, generator_optimizer
        )
        outputs["d_grad_norm"] = apply_update(
            d_tape, d_loss, discriminator_variables, discriminator_optimizer
        )
        return outputs

    return tf.function(step, jit_compile=jit_compile)
