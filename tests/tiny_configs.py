"""A tiny config of every registered family, and the dataset it trains on, for the tests
that run every family (tests/test_every_family.py): narrow widths, small latents.

Each value is (config field changes, dataset name)."""

TINY = {
    "dcgan": (
        {"latent_dim": 8, "generator_filters": (16, 8), "discriminator_filters": (8, 16)},
        "mnist_5k",
    ),
    # Denoising, so the noise draw's replica split is checked too.
    "autoencoder": ({"latent_dim": 4, "filters": (8, 16), "noise_std": 0.3}, "mnist_5k"),
    "vae": ({"latent_dim": 4, "filters": (8, 16)}, "mnist_5k"),
    "pixelcnn": ({"filters": 8, "residual_blocks": 1}, "mnist_5k"),
    "gan": (
        {"latent_dim": 8, "generator_widths": (16, 32), "discriminator_widths": (32, 16)},
        "mnist_5k",
    ),
    "cgan": (
        {
            "latent_dim": 8,
            "embedding_dim": 4,
            "generator_filters": (16, 8),
            "discriminator_filters": (8, 16),
        },
        "mnist_5k",
    ),
    # The tests that run every family train it on the digits' labels as its clusters.
    "self-conditioned": (
        {
            "latent_dim": 8,
            "clusters": 10,
            "embedding_dim": 4,
            "generator_filters": (16, 8),
            "discriminator_filters": (8, 16),
        },
        "mnist_5k",
    ),
    "wgan": (
        {
            "latent_dim": 8,
            "generator_filters": (16, 8),
            "critic_filters": (8, 16),
            "critic_steps": 2,
        },
        "mnist_5k",
    ),
    "wgan-gp": (
        {
            "latent_dim": 8,
            "generator_filters": (16, 8),
            "critic_filters": (8, 16),
            "critic_steps": 2,
        },
        "mnist_5k",
    ),
    # Inpainting, so the hole corners' replica split is checked too.
    "pix2pix": (
        {
            "task": "inpaint",
            "generator_filters": (8, 16),
            "bottleneck_filters": 16,
            "discriminator_filters": (8, 16),
        },
        "mnist_5k",
    ),
    # Domain counts differ between replicas: checks the losses are global-batch means.
    "cyclegan": (
        {"generator_filters": (8, 16), "residual_blocks": 1, "discriminator_filters": (8, 16)},
        "mnist_5k",
    ),
    # Mixing always on, so the per-example crossover draws are checked too.
    "stylegan": (
        {
            "latent_dim": 8,
            "w_dim": 8,
            "synthesis_filters": (16, 8, 8),
            "discriminator_filters": (8, 16),
            "mixing_probability": 1.0,
        },
        "mnist_5k",
    ),
    # Few timesteps and DDIM steps: the epoch grid's sampler stays cheap.
    "ddpm": ({"timesteps": 20, "widths": (8, 16), "sampling_steps": 4}, "mnist_5k"),
    "toy-gan": ({"generator_units": (16,), "discriminator_units": (16, 16)}, "grid25"),
    "toy-pacgan": ({"generator_units": (16,), "discriminator_units": (16,)}, "grid25"),
    # Two critic updates: the penalty's double backward pass under replicas is checked too.
    "toy-wgan-gp": (
        {"generator_units": (16,), "discriminator_units": (16,), "critic_steps": 2},
        "grid25",
    ),
}
