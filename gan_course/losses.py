"""Losses as small pure functions of logits or scores, shared by train and eval code.

Discriminators output logits (no sigmoid); these functions apply the sigmoid inside
numerically stable log-sigmoid forms, so no loss ever takes log(0).
"""

import tensorflow as tf


def discriminator_loss(real_logits, fake_logits, *, real_label: float = 1.0):
    """Binary cross-entropy: real -> `real_label` (0.9 = one-sided label smoothing), fake -> 0."""
    real_targets = tf.fill(tf.shape(real_logits), tf.cast(real_label, real_logits.dtype))
    real_loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=real_targets, logits=real_logits)
    fake_loss = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.zeros_like(fake_logits), logits=fake_logits
    )
    return tf.reduce_mean(real_loss) + tf.reduce_mean(fake_loss)


def generator_loss_nonsaturating(fake_logits):
    """-E[log D(G(z))]: strong gradients when D rejects the fakes (Goodfellow et al. 2014, sec. 3)."""
    return tf.reduce_mean(tf.nn.softplus(-fake_logits))


def generator_loss_minimax(fake_logits):
    """E[log(1 - D(G(z)))], the loss of the minimax game; it saturates when D(G(z)) -> 0."""
    return -tf.reduce_mean(tf.nn.softplus(fake_logits))


GENERATOR_LOSSES = {
    "nonsaturating": generator_loss_nonsaturating,
    "minimax": generator_loss_minimax,
}


def get_generator_loss(name: str):
    if name not in GENERATOR_LOSSES:
        raise ValueError(
            f"unknown generator loss {name!r}; choose one of {sorted(GENERATOR_LOSSES)}"
        )
    return GENERATOR_LOSSES[name]


def critic_loss(real_scores, fake_scores):
    """WGAN critic: minimise E[f(G(z))] - E[f(x)], the negative Wasserstein estimate."""
    return tf.reduce_mean(fake_scores) - tf.reduce_mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    return -tf.reduce_mean(fake_scores)


def gradient_penalty(
    critic, real, fake, alpha, *, epsilon: float = 1e-12, critic_inputs=(), packing: int = 1
):
    """WGAN-GP penalty E[(||grad f(x_hat)||_2 - 1)^2], x_hat = alpha*real + (1-alpha)*fake.

    `alpha` must be U[0, 1], one value per example, shape (B, 1, 1, 1) for images.
    `epsilon` sits inside the square root: the gradient of sqrt at 0 is infinite, so a
    zero gradient (a flat critic) would otherwise turn the penalty's gradient into NaN.
    `critic_inputs` are extra inputs (e.g. labels) passed after the image.
    A PacGAN critic (`packing` m > 1) scores packs of m consecutive images, (B / m, 1): f is a
    function of a whole pack, so the norm is over the pack's m images together, and `alpha`
    must hold one value per pack, repeated for its members (`sample_interpolation_weights`).
    """
    interpolated = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolated)
        inputs = [interpolated, *critic_inputs] if critic_inputs else interpolated
        scores = critic(inputs, training=True)
    gradients = tape.gradient(scores, interpolated)
    squared = tf.reduce_sum(tf.square(gradients), axis=tf.range(1, tf.rank(gradients)))  # (B,)
    if packing > 1:  # packing only permutes the pack's pixels, so its squared norm is the sum
        squared = tf.reduce_sum(tf.reshape(squared, (-1, packing)), axis=1)  # (B / m,)
    norms = tf.sqrt(squared + epsilon)
    return tf.reduce_mean(tf.square(norms - 1.0))


def r1_penalty(discriminator, real, *, discriminator_inputs=()):
    """R1 (Mescheder et al. 2018): E[||grad_x D(x)||^2] on real images only, the logit's
    gradient. Multiply by gamma / 2. It pulls the discriminator flat on the data, which damps
    the oscillation of the alternating game. No square root here, so a zero gradient is fine.
    """
    with tf.GradientTape() as tape:
        tape.watch(real)
        inputs = [real, *discriminator_inputs] if discriminator_inputs else real
        logits = discriminator(inputs, training=True)
        # Each logit depends on its own image only, so the sum's gradient holds every
        # example's gradient (BatchNorm's batch statistics add a small coupling).
        total = tf.reduce_sum(logits)
    gradients = tape.gradient(total, real)  # (B, H, W, C)
    squared = tf.reduce_sum(tf.square(gradients), axis=tf.range(1, tf.rank(gradients)))
    return tf.reduce_mean(squared), logits


def reconstruction_loss(targets, reconstructions):
    """Mean squared error per image, summed over pixels and averaged over the batch."""
    axes = tf.range(1, tf.rank(targets))
    return tf.reduce_mean(tf.reduce_sum(tf.square(targets - reconstructions), axis=axes))


def bernoulli_reconstruction_loss(targets, logits):
    """-log p(x|z) for pixels in [0, 1] under a Bernoulli decoder, summed over pixels."""
    axes = tf.range(1, tf.rank(targets))
    per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
    return tf.reduce_mean(tf.reduce_sum(per_pixel, axis=axes))


def gaussian_kl(mean, log_variance):
    """KL(N(mean, exp(log_variance)) || N(0, I)) in closed form, summed over latent dims."""
    per_dim = -0.5 * (1.0 + log_variance - tf.square(mean) - tf.exp(log_variance))
    return tf.reduce_mean(tf.reduce_sum(per_dim, axis=-1))


def least_squares_discriminator_loss(real_scores, fake_scores):
    """LSGAN (Mao et al. 2017), as in CycleGAN: E[(D(x) - 1)^2] + E[D(G(z))^2] over all patches."""
    return tf.reduce_mean(tf.square(real_scores - 1.0)) + tf.reduce_mean(tf.square(fake_scores))


def least_squares_generator_loss(fake_scores):
    """LSGAN generator: E[(D(G(z)) - 1)^2]; its gradient does not vanish for confident fakes."""
    return tf.reduce_mean(tf.square(fake_scores - 1.0))


def mean_absolute_error(targets, outputs):
    """Mean |targets - outputs| over every pixel (L1): CycleGAN's cycle and identity terms."""
    return tf.reduce_mean(tf.abs(targets - outputs))


def noise_prediction_loss(noise, predicted_noise):
    """DDPM's simple objective (Ho et al. 2020, eq. 14): the mean over every pixel of
    (eps - eps_theta(x_t, t))^2. About 1 for a network that predicts 0, since eps ~ N(0, I)."""
    error = tf.cast(noise, tf.float32) - tf.cast(predicted_noise, tf.float32)
    return tf.reduce_mean(tf.square(error))
