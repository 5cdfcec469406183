"""A tiny config of every registered family, and the dataset it trains on, for the tests
that run every family (tests/test_every_family.py): narrow widths, small latents.

Each value is (config field changes, dataset name)."""

TINY = {
    "dcgan": (
        {"latent_dim": 8, "generator_filters": (16, 8), "discriminator_filters": (8, 16)},
        "mnist_5k",
    ),
    # autoencoder: TODO
    # vae: TODO
    # pixelcnn: TODO
    # gan: TODO
    # cgan: TODO
    # wgan: TODO
    # wgan-gp: TODO
    # pix2pix: TODO
    # cyclegan: TODO
    # stylegan: TODO
    # toy-gan: TODO
    # toy-pacgan: TODO
    # toy-wgan-gp: TODO
}
