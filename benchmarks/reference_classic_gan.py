"""Reference: the classic Keras MNIST GAN loop, written the old way, made to run on Keras 3.

This is the `train_on_batch` GAN that most Keras tutorials of 2017-2020 copied: a compiled
discriminator, a combined `gan = Model(z, discriminator(generator(z)))` compiled with the
discriminator frozen, and per step `generator.predict` -> `discriminator.train_on_batch`
on real (label 0.9) and fake (label 0) images -> `gan.train_on_batch(noise, ones)`.
The course trains the same MLPs with `gan_course.models.vanilla_gan` (a `tf.function` step);
this file exists to compare speed and sample quality against the old way.

What had to change for Keras 3.15 / TensorFlow 2.21 (each found by running the old code):
1. `Adam(lr=0.0002, beta_1=0.5)` raises `ValueError: Argument(s) not recognized: {'lr': ...}`:
   the argument is `learning_rate`.
2. `Dense(256, input_dim=100)` as the first Sequential layer still works but warns; Keras 3
   wants `keras.Input(shape=(100,))` as the first layer.
3. `generator.predict(noise)` prints a progress bar on every call (verbose="auto"): with one
   call per step that floods the output, so `verbose=0`. (It also still splits the 128
   noise vectors into 4 batches of 32, predict's default batch size.)
4. Freezing: Keras 2 snapshotted `trainable` when `compile()` was called, so tutorials set
   `discriminator.trainable = False` once, after compiling the discriminator, and it kept
   training on its own. Keras 3 reads `trainable` when a model's train function is first
   traced, i.e. at the first `train_on_batch`, not at `compile`. With the freeze left on,
   `discriminator.train_on_batch` warns "The model does not have any trainable weights"
   and the discriminator silently never learns. The flag must therefore be True when the
   discriminator's train function is first built and False when the combined model's is;
   the tutorial's per-step toggles below do exactly that (after the first step they are
   no-ops: each traced function keeps the variable list it captured).
5. `keras.layers.advanced_activations.LeakyReLU` is now `keras.layers.LeakyReLU`
   (its `alpha=` argument is deprecated in favour of `negative_slope`; positional 0.2 works).

    python benchmarks/reference_classic_gan.py --minutes 10 --out classic.npz --n 4500
"""

from __future__ import annotations

import argparse
import time

import numpy as np

LATENT_DIM = 100
WARMUP_STEPS = 5  # the first steps trace and compile the Keras train/predict functions


def adam_optimizer():
    import keras

    return keras.optimizers.Adam(learning_rate=0.0002, beta_1=0.5)  # was Adam(lr=0.0002, ...)


def create_generator(pixels: int = 784):
    import keras
    from keras.layers import Dense, LeakyReLU

    generator = keras.Sequential(name="classic_generator")
    generator.add(keras.Input(shape=(LATENT_DIM,)))  # was Dense(256, input_dim=100)
    for units in (256, 512, 1024):
        generator.add(Dense(units=units))
        generator.add(LeakyReLU(0.2))
    generator.add(Dense(units=pixels, activation="tanh"))
    generator.compile(loss="binary_crossentropy", optimizer=adam_optimizer())
    return generator


def create_discriminator(pixels: int = 784):
    import keras
    from keras.layers import Dense, Dropout, LeakyReLU

    discriminator = keras.Sequential(name="classic_discriminator")
    discriminator.add(keras.Input(shape=(pixels,)))
    for units in (1024, 512, 256):
        discriminator.add(Dense(units=units))
        discriminator.add(LeakyReLU(0.2))
        discriminator.add(Dropout(0.3))
    discriminator.add(Dense(units=1, activation="sigmoid"))
    discriminator.compile(loss="binary_crossentropy", optimizer=adam_optimizer())
    return discriminator


def create_gan(discriminator, generator):
    import keras

    discriminator.trainable = False  # must be False when gan's train function is traced
    gan_input = keras.Input(shape=(LATENT_DIM,))
    gan_output = discriminator(generator(gan_input))
    gan = keras.Model(inputs=gan_input, outputs=gan_output)
    gan.compile(loss="binary_crossentropy", optimizer=adam_optimizer())
    return gan


def build_classic_gan(pixels: int = 784):
    """(generator, discriminator, gan), compiled the classic way."""
    generator = create_generator(pixels)
    discriminator = create_discriminator(pixels)
    gan = create_gan(discriminator, generator)
    return generator, discriminator, gan


def classic_training_steps(generator, discriminator, gan, x_train, *, batch_size: int = 128):
    """Run the tutorial's loop body forever, yielding (d_loss, g_loss) after each step.

    `x_train` is float (N, 784) in [-1, 1]; noise and batches come from NumPy's global RNG.
    """
    y_discriminator = np.zeros(2 * batch_size)
    y_discriminator[:batch_size] = 0.9  # one-sided label smoothing
    y_generator = np.ones(batch_size)
    while True:
        noise = np.random.normal(0, 1, [batch_size, LATENT_DIM])
        generated_images = generator.predict(noise, verbose=0)  # verbose=0 is new
        image_batch = x_train[np.random.randint(low=0, high=x_train.shape[0], size=batch_size)]
        x = np.concatenate([image_batch, generated_images])
        discriminator.trainable = True
        d_loss = discriminator.train_on_batch(x, y_discriminator)
        noise = np.random.normal(0, 1, [batch_size, LATENT_DIM])
        discriminator.trainable = False
        g_loss = gan.train_on_batch(noise, y_generator)
        yield d_loss, g_loss


def flat_images(images_uint8) -> np.ndarray:
    """uint8 (N, 28, 28[, 1]) -> float32 (N, 784) in [-1, 1], as the tutorial scaled MNIST."""
    return (images_uint8.reshape(len(images_uint8), -1).astype("float32") - 127.5) / 127.5


def run_classic_gan(images_uint8, *, minutes: float, seed: int, batch_size: int = 128):
    """Train for `minutes` of wall-clock; return (generator, stats) with images/s after warm-up."""
    import keras

    if not minutes > 0:
        raise ValueError(f"minutes must be positive, got {minutes!r}")
    keras.utils.set_random_seed(seed)
    x_train = flat_images(images_uint8)
    generator, discriminator, gan = build_classic_gan(x_train.shape[1])
    deadline = time.monotonic() + 60.0 * minutes
    steps, timed_start = 0, None
    training = classic_training_steps(generator, discriminator, gan, x_train, batch_size=batch_size)
    while True:
        d_loss, g_loss = next(training)
        steps += 1
        if steps == WARMUP_STEPS:
            timed_start = time.monotonic()
        if time.monotonic() >= deadline:
            break
    timed_steps = steps - WARMUP_STEPS
    seconds = time.monotonic() - timed_start if timed_start else float("nan")
    stats = {
        "steps": steps,
        "images_per_second": timed_steps * batch_size / seconds if timed_steps > 0 else 0.0,
        "d_loss": float(d_loss),
        "g_loss": float(g_loss),
    }
    return generator, stats


def train_classic_gan(images_uint8, *, minutes: float, seed: int, batch_size: int = 128):
    """Train the classic GAN on uint8 images (N, 28, 28[, 1]); return the generator.

    The generator maps noise (B, 100) to flat images (B, 784) in [-1, 1].
    """
    generator, _ = run_classic_gan(images_uint8, minutes=minutes, seed=seed, batch_size=batch_size)
    return generator


def sample_uint8(generator, count: int, *, seed: int, image_shape=(28, 28)) -> np.ndarray:
    """`count` samples as uint8 (count, H, W)."""
    from gan_course.data import to_uint8

    noise = np.random.default_rng(seed).standard_normal((count, LATENT_DIM)).astype("float32")
    images = generator.predict(noise, batch_size=256, verbose=0)
    return to_uint8(images.reshape((count, *image_shape)), "gan")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, required=True, help="wall-clock training time")
    parser.add_argument(
        "--out", required=True, help=".npz file for the uint8 samples x (N, 28, 28)"
    )
    parser.add_argument("--n", type=int, default=4500, help="number of samples (default 4500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)
    if args.n <= 0 or args.batch_size <= 0:
        parser.error("--n and --batch-size must be positive")

    import keras
    import tensorflow as tf

    from gan_course.data import load_dataset

    images, _ = load_dataset("mnist_5k", split="train")
    generator, stats = run_classic_gan(
        images, minutes=args.minutes, seed=args.seed, batch_size=args.batch_size
    )
    samples = sample_uint8(generator, args.n, seed=args.seed + 1)
    np.savez_compressed(args.out, x=samples)
    print(
        f"classic train_on_batch GAN (TF {tf.__version__}, Keras {keras.__version__}): "
        f"{stats['steps']} steps of batch {args.batch_size} in {args.minutes} min, "
        f"{stats['images_per_second']:.0f} images/s; "
        f"last d_loss {stats['d_loss']:.3f}, g_loss {stats['g_loss']:.3f}; "
        f"wrote {samples.shape} uint8 to {args.out}"
    )


if __name__ == "__main__":
    main()
