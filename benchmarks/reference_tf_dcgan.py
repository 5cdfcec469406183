"""Reference for the quality bar: the TensorFlow DCGAN tutorial's models and train step, on a time budget.

    python benchmarks/reference_tf_dcgan.py --minutes 10 --out tf_dcgan.npz --n 4500

Models, loss, optimizers, batch size and noise size are those of
https://www.tensorflow.org/tutorials/generative/dcgan (Sequential models, Conv2DTranspose
5x5 kernels, BCE from logits, Adam(1e-4) for both networks, batch 256, noise 100).
Two deliberate differences, both so the comparison is fair and not a handicap:
the data are the embedded mnist_5k training images (4,500) instead of the 60,000
MNIST images, and the noise batch follows the real batch's size (the tutorial uses the
global BATCH_SIZE, which pairs its last partial batch of real images with 256 fakes).
Training stops at a wall-clock budget instead of after 50 epochs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

BATCH_SIZE = 256
NOISE_DIM = 100
LEARNING_RATE = 1e-4


def make_generator_model(output_dtype=None):
    """The tutorial's generator: noise (B, 100) -> images (B, 28, 28, 1) in [-1, 1] (tanh).

    `output_dtype="float32"` keeps the last layer in float32 under a mixed-precision policy
    (benchmarks/bench_tutorial_dcgan.py); None is the tutorial's model exactly.
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((NOISE_DIM,)),
            layers.Dense(7 * 7 * 256, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Reshape((7, 7, 256)),  # (B, 7, 7, 256)
            layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),  # (B, 7, 7, 128)
            layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),  # (B, 14, 14, 64)
            layers.Conv2DTranspose(
                1,
                (5, 5),
                strides=(2, 2),
                padding="same",
                use_bias=False,
                activation="tanh",
                dtype=output_dtype,
            ),  # (B, 28, 28, 1)
        ],
        name="tutorial_generator",
    )


def make_discriminator_model(output_dtype=None):
    """The tutorial's discriminator: images (B, 28, 28, 1) -> one logit (B, 1), unbounded."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),  # (B, 14, 14, 64)
            layers.Conv2D(128, (5, 5), strides=(2, 2), padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),  # (B, 7, 7, 128)
            layers.Flatten(),
            layers.Dense(1, dtype=output_dtype),
        ],
        name="tutorial_discriminator",
    )


def make_tutorial_train_step(
    generator, discriminator, generator_optimizer, discriminator_optimizer
):
    """The tutorial's `train_step`: one tape pair, both networks updated from the same fakes."""
    import keras
    import tensorflow as tf

    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([tf.shape(images)[0], NOISE_DIM])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated_images, training=True)
            gen_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
            disc_loss = cross_entropy(tf.ones_like(real_output), real_output) + cross_entropy(
                tf.zeros_like(fake_output), fake_output
            )
        gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
        gradients_of_discriminator = disc_tape.gradient(
            disc_loss, discriminator.trainable_variables
        )
        generator_optimizer.apply_gradients(
            zip(gradients_of_generator, generator.trainable_variables)
        )
        discriminator_optimizer.apply_gradients(
            zip(gradients_of_discriminator, discriminator.trainable_variables)
        )
        return gen_loss, disc_loss

    return train_step


def train_tf_dcgan(images_uint8: np.ndarray, *, minutes: float, seed: int = 0):
    """Train the tutorial's DCGAN on uint8 (N, 28, 28[, 1]) images for `minutes` of wall clock.

    Returns (generator, info) where info holds steps, epochs and seconds actually trained.
    """
    import keras
    import tensorflow as tf

    if not minutes > 0:
        raise ValueError(f"minutes must be positive, got {minutes!r}")
    images = np.asarray(images_uint8)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.shape[1:] != (28, 28, 1):
        raise ValueError(f"the tutorial's models take (N, 28, 28, 1) images, got {images.shape}")
    keras.utils.set_random_seed(seed)
    train_images = (images.astype("float32") - 127.5) / 127.5  # [-1, 1], as in the tutorial
    dataset = (
        tf.data.Dataset.from_tensor_slices(train_images)
        .shuffle(len(train_images), seed=seed)
        .batch(BATCH_SIZE)
    )
    generator, discriminator = make_generator_model(), make_discriminator_model()
    generator_optimizer = keras.optimizers.Adam(LEARNING_RATE)
    discriminator_optimizer = keras.optimizers.Adam(LEARNING_RATE)
    train_step = make_tutorial_train_step(
        generator, discriminator, generator_optimizer, discriminator_optimizer
    )
    start = time.monotonic()
    deadline = start + 60.0 * minutes
    steps, epochs = 0, 0
    while time.monotonic() < deadline:
        for image_batch in dataset:
            gen_loss, disc_loss = train_step(image_batch)
            steps += 1
            if time.monotonic() >= deadline:
                break
        epochs += 1
        print(
            f"epoch {epochs} step {steps} gen_loss {float(gen_loss):.3f} "
            f"disc_loss {float(disc_loss):.3f} ({time.monotonic() - start:.0f}s)",
            flush=True,
        )
    info = {"steps": steps, "epochs": epochs, "seconds": time.monotonic() - start}
    return generator, info


def sample_uint8(generator, count: int, *, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """`count` samples as uint8 (count, 28, 28)."""
    noise = np.random.default_rng(seed).standard_normal((count, NOISE_DIM)).astype("float32")
    chunks = [
        np.asarray(generator(noise[start : start + batch_size], training=False))
        for start in range(0, count, batch_size)
    ]
    images = np.concatenate(chunks)[..., 0]
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, required=True, help="wall-clock training budget")
    parser.add_argument("--out", required=True, help="output .npz with uint8 x (N, 28, 28)")
    parser.add_argument("--n", type=int, default=4500, help="number of samples (default 4500)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.n <= 0:
        parser.error(f"--n must be positive, got {args.n}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from gan_course.data import load_dataset

    images, _ = load_dataset("mnist_5k")
    generator, info = train_tf_dcgan(images, minutes=args.minutes, seed=args.seed)
    samples = sample_uint8(generator, args.n, seed=args.seed + 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, x=samples, **{key: np.asarray(value) for key, value in info.items()})
    print(
        f"trained {info['steps']} steps ({info['epochs']} epochs, {info['seconds']:.0f}s); "
        f"wrote {args.n} samples to {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
