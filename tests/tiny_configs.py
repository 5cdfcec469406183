"""A tiny config of every registered family, and the dataset it trains on, for the tests
that run every family (tests/test_every_family.py): narrow widths, small latents."""

TINY = {
    "dcgan": (
        {"latent_dim": 8, "generator_filters": (16, 8), "discriminator_filters": (8, 16)},
        "mnist_5k",
    ),
}
