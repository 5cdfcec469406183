"""A small digit classifier whose features and softmax the sample metrics are computed on.

FID and Inception Score were defined on an ImageNet Inception network, which knows
nothing useful about 28x28 digits and is far too slow for this CPU. Like most MNIST GAN
papers, the course swaps in a small MNIST classifier instead: numbers computed with it
compare runs *within this course*, never with FIDs published for other networks.

The weights ship with the package (gan_course/weights/digit_classifier.weights.h5,
about 0.8 MB). They were trained by this module on the 4,500 `mnist_5k` training images
with random shifts of up to 2 pixels (20 epochs, 65 s on a 2-core CPU):

    python -m gan_course.evaluation.classifier     # retrains, prints held-out accuracy, rewrites the file

Its held-out accuracy on the 500 `mnist_5k` test images is in benchmarks/README.md,
"GAN monitor thresholds and the digit classifier"; tests/test_metrics.py checks it stays >= 95%.

Every public function takes uint8 images of shape (N, 28, 28) or (N, 28, 28, 1), which
is what `gan-course sample` writes, and raises ValueError on anything else.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # keras is imported lazily, so importing this module stays cheap
    import keras

WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "digit_classifier.weights.h5"
FEATURE_LAYER = "features"
FEATURE_DIM = 128
# Precision, recall and the recognisable share use the first conv block instead (see
# gan_course/evaluation/precision_recall.py for why): its (12, 12, 32) output, averaged
# over 3x3 cells to a 4x4 grid of 32 stroke detectors.
STROKE_LAYER = "block1_pool"
STROKE_CELL = 3
STROKE_DIM = 4 * 4 * 32
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
# Above this many images the feature extraction shows a progress bar.
PROGRESS_THRESHOLD = 5000


def check_images(images, *, name: str = "images") -> np.ndarray:
    """Return `images` as uint8 (N, 28, 28, 1), or raise ValueError saying what is wrong."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        hint = " (it contains NaN)" if images.dtype.kind == "f" and np.isnan(images).any() else ""
        raise ValueError(
            f"{name} must be uint8 pixels 0..255, got dtype {images.dtype}{hint}; convert "
            "generator outputs with gan_course.data.to_uint8(images, scale) first"
        )
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"{name} must have shape (N, 28, 28) or (N, 28, 28, 1), got {np.shape(images)}"
        )
    if len(images) == 0:
        raise ValueError(f"{name} is empty: pass at least one image")
    return images


def check_features(features, name: str, *, minimum: int = 2) -> np.ndarray:
    """Return `features` as float64 (N, D) with N >= minimum, or raise ValueError."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array (N, D), got shape {features.shape}")
    if len(features) < minimum:
        raise ValueError(f"{name} needs at least {minimum} rows, got {len(features)}")
    if not np.isfinite(features).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return features


def build_digit_classifier() -> keras.Model:
    """uint8-valued images (B, 28, 28, 1) in 0..255 -> class logits (B, 10), unbounded.

    The 128-d ReLU layer named "features" is what FID and KID use; the first block's
    pooled output ("block1_pool") gives the stroke features of precision and recall.
    """
    import keras
    from keras import layers

    images = keras.Input(IMAGE_SHAPE, name="images")
    x = layers.Rescaling(1.0 / 255.0)(images)
    for block, filters in enumerate((32, 64), start=1):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, activation="relu")(x)  # valid padding shrinks by 2
        # (B, 12, 12, 32) then (B, 4, 4, 64); named, so the stroke features find block 1
        x = layers.MaxPooling2D(name=f"block{block}_pool")(x)
    x = layers.Flatten()(x)  # (B, 1024)
    x = layers.Dropout(0.3)(x)
    features = layers.Dense(FEATURE_DIM, activation="relu", name=FEATURE_LAYER)(x)  # (B, 128)
    x = layers.Dropout(0.3)(features)
    logits = layers.Dense(NUM_CLASSES, name="logits")(x)  # (B, 10)
    return keras.Model(images, logits, name="digit_classifier")


@functools.lru_cache(maxsize=1)
def load_digit_classifier() -> keras.Model:
    """The classifier with the committed weights (built once, then cached)."""
    if not WEIGHTS_PATH.exists():
        raise FileNotFoundError(
            f"{WEIGHTS_PATH} is missing; recreate it with `python -m gan_course.evaluation.classifier`"
        )
    model = build_digit_classifier()
    model.load_weights(WEIGHTS_PATH)
    return model


@functools.lru_cache(maxsize=1)
def _outputs_model():
    import keras
    from keras import layers

    model = load_digit_classifier()
    strokes = layers.AveragePooling2D(STROKE_CELL)(model.get_layer(STROKE_LAYER).output)
    strokes = layers.Flatten()(strokes)  # (B, 4 * 4 * 32)
    return keras.Model(model.input, [model.get_layer(FEATURE_LAYER).output, strokes, model.output])


def _run_batched(images: np.ndarray, batch_size: int, progress: bool | None):
    """(features (N, 128), strokes (N, 512), logits (N, 10)), float64, for checked images."""
    from tqdm.auto import tqdm

    model = _outputs_model()
    if progress is None:
        progress = len(images) >= PROGRESS_THRESHOLD
    outputs = ([], [], [])
    starts = range(0, len(images), batch_size)
    for start in tqdm(starts, disable=not progress, unit="batch", desc="classifier"):
        batch = images[start : start + batch_size].astype(np.float32)
        for collected, output in zip(outputs, model(batch, training=False)):
            collected.append(np.asarray(output, dtype=np.float64))
    return tuple(np.concatenate(collected) for collected in outputs)


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)  # stable softmax
    exponentials = np.exp(logits)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def digit_features(images, *, batch_size: int = 500, progress: bool | None = None) -> np.ndarray:
    """uint8 images -> penultimate-layer features, float64 (N, 128)."""
    return _run_batched(check_images(images), batch_size, progress)[0]


def stroke_features(images, *, batch_size: int = 500, progress: bool | None = None) -> np.ndarray:
    """uint8 images -> first-block stroke features on a 4x4 grid, float64 (N, 512), >= 0."""
    return _run_batched(check_images(images), batch_size, progress)[1]


def digit_probabilities(
    images, *, batch_size: int = 500, progress: bool | None = None
) -> np.ndarray:
    """uint8 images -> softmax class probabilities, float64 (N, 10), rows sum to 1."""
    return _softmax(_run_batched(check_images(images), batch_size, progress)[2])


def features_and_probabilities(
    images, *, batch_size: int = 500, progress: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, 128), probabilities (N, 10)) from one pass over the images."""
    features, _, logits = _run_batched(check_images(images), batch_size, progress)
    return features, _softmax(logits)


def all_outputs(
    images, *, batch_size: int = 500, progress: bool | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features (N, 128), stroke features (N, 512), probabilities (N, 10)) in one pass."""
    features, strokes, logits = _run_batched(check_images(images), batch_size, progress)
    return features, strokes, _softmax(logits)


def predict_digits(images, *, batch_size: int = 500, progress: bool | None = None) -> np.ndarray:
    """uint8 images -> predicted digit per image, int64 (N,)."""
    logits = _run_batched(check_images(images), batch_size, progress)[2]
    return np.argmax(logits, axis=1)


def _shifted_dataset(images, labels, *, batch_size: int, max_shift: int, seed: int):
    """Random shifts of up to `max_shift` pixels: pad with zeros, then crop back to 28x28."""
    import tensorflow as tf

    def shift(image, label):
        padded = tf.pad(image, [[max_shift, max_shift], [max_shift, max_shift], [0, 0]])
        return tf.image.random_crop(padded, IMAGE_SHAPE, seed=seed), label

    dataset = tf.data.Dataset.from_tensor_slices((images.astype(np.float32), labels))
    dataset = dataset.shuffle(len(images), seed=seed).map(shift, num_parallel_calls=2)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def train_digit_classifier(
    *, epochs: int = 20, batch_size: int = 128, max_shift: int = 2, seed: int = 0
) -> tuple[keras.Model, float]:
    """Train a fresh classifier on mnist_5k train; return it and its held-out accuracy."""
    import keras

    from gan_course.data import load_dataset
    from gan_course.seeding import set_seed

    set_seed(seed)
    train_images, train_labels = load_dataset("mnist_5k", split="train")
    test_images, test_labels = load_dataset("mnist_5k", split="test")
    model = build_digit_classifier()
    steps = epochs * int(np.ceil(len(train_images) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    data = _shifted_dataset(
        train_images, train_labels, batch_size=batch_size, max_shift=max_shift, seed=seed
    )
    model.fit(data, epochs=epochs, verbose=2)
    predictions = np.argmax(model.predict(test_images.astype(np.float32), verbose=0), axis=1)
    return model, float(np.mean(predictions == test_labels))


def main() -> None:
    import time

    start = time.monotonic()
    model, accuracy = train_digit_classifier()
    WEIGHTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    # A compiled model would also save the Adam moments (3x the size); a fresh copy does not.
    weights_only = build_digit_classifier()
    weights_only.set_weights(model.get_weights())
    weights_only.save_weights(WEIGHTS_PATH)
    print(f"trained in {time.monotonic() - start:.0f} s; wrote {WEIGHTS_PATH}")
    print(f"held-out accuracy on the 500 mnist_5k test images: {accuracy:.1%}")


if __name__ == "__main__":
    main()
