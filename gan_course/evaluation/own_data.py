"""Scores for samples of data that are not digits: your folder, cifar10 or fashion_mnist.

The digit metrics (gan_course.evaluation.metrics) look at samples through a classifier
trained on 28x28 grey digits; on other images its features mean nothing. Here `evaluate`
reports what needs no digit classifier:

- ``memorisation``: the pixel-space test of gan_course.evaluation.memorisation, the
  median distance from each sample to its nearest training image over the same median
  for the held-out real images (at most `HELD_OUT_LIMIT` of them). ~1 is healthy,
  << 1 means near-copies of training images.
- ``fid``, ``kid``, ``precision``, ``recall``: the formulas of the digit metrics, computed
  on the `FEATURE_DIM`-d bottleneck of a small convolutional autoencoder that `evaluate`
  trains on the data's training split (`build_feature_network`): its features must keep
  what it takes to redraw an image. With two classes or more (a folder's sub-folders,
  the ten CIFAR-10 classes) the same bottleneck also feeds a classifier head trained on
  the labels, so the features separate the classes too, as Inception's do for ImageNet.
  The network is trained once per training set (seed 0, `EPOCHS` epochs on at most
  `MAX_TRAIN_IMAGES` images) and cached under ``<data folder>/feature_nets/``, named by
  a hash of the training images and labels; change the data and it is trained anew.

The numbers compare runs on the same data only, never with published FIDs. The digit-only
metrics (classifier score, class balance, conditional accuracy) are refused: the result
names them under ``not_computed``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from gan_course.evaluation.memorisation import check_pixel_images, memorisation

FEATURE_DIM = 64
EPOCHS = 10
MAX_TRAIN_IMAGES = 10_000
HELD_OUT_LIMIT = 1000
MIN_SAMPLES = 4  # precision/recall's k = 3 nearest neighbours need four points
FEATURE_LAYER = "features"
_VERSION = "own-features-1"  # part of the cache key: change it when the network changes
DIGIT_ONLY = "classifier_score, min_class_share, kl_to_uniform, conditional_accuracy"


def build_feature_network(image_shape, *, num_classes: int = 0):
    """uint8-valued images (B, H, W, C) -> [reconstruction (B, H, W, C) in [0, 1]] and, with
    num_classes >= 2, class logits (B, num_classes); the bottleneck layer "features" is
    (B, FEATURE_DIM), unbounded."""
    import keras
    from keras import layers

    height, width, channels = image_shape
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Rescaling(1.0 / 255.0)(images)
    for filters in (32, 64, 64):  # each halves the side: 32 -> 16 -> 8 -> 4
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    features = layers.Dense(FEATURE_DIM, name=FEATURE_LAYER)(layers.Flatten()(x))
    pixels = layers.Dense(height * width * channels, activation="sigmoid")(features)
    outputs = {"reconstruction": layers.Reshape(tuple(image_shape), name="reconstruction")(pixels)}
    if num_classes >= 2:
        outputs["logits"] = layers.Dense(num_classes, name="logits")(features)
    return keras.Model(images, outputs, name="own_feature_network")


def _cache_path(images, labels, num_classes: int, seed: int, cache_dir) -> Path:
    from gan_course.data import default_cache_dir

    digest = hashlib.sha256(f"{_VERSION} {images.shape} {num_classes} {seed}".encode())
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels, np.int32).tobytes())
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "feature_nets"
    return folder / f"{digest.hexdigest()[:20]}.weights.h5"


def _train(model, images, labels, *, num_classes: int, epochs: int, seed: int) -> None:
    import keras
    import tensorflow as tf

    from gan_course.seeding import set_seed

    set_seed(seed)  # the weights' initial values; the order below is seeded too
    chosen = np.sort(np.random.default_rng(seed).permutation(len(images))[:MAX_TRAIN_IMAGES])
    losses = {"reconstruction": "mse"}
    if num_classes >= 2:
        losses["logits"] = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def inputs_and_targets(images, labels):  # uint8 stays uint8 until a batch is drawn
        pixels = tf.cast(images, tf.float32)
        targets = {"reconstruction": pixels / 255.0}
        if num_classes >= 2:
            targets["logits"] = labels
        return pixels, targets

    data = tf.data.Dataset.from_tensor_slices((images[chosen], labels[chosen]))
    data = data.shuffle(len(chosen), seed=seed).batch(min(64, len(chosen)))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=losses)
    model.fit(data.map(inputs_and_targets), epochs=epochs, shuffle=False, verbose=0)  # seeded above


def feature_network(images, labels, *, cache_dir=None, seed: int = 0, epochs: int = EPOCHS):
    """The encoder (uint8-valued images -> (B, FEATURE_DIM) features) for this training set:
    loaded from the cache, or trained on `images` (and `labels`, with >= 2 classes) and cached."""
    import keras

    images = check_pixel_images(images, name="training images")
    labels = np.asarray(labels, np.int32)
    num_classes = int(labels.max()) + 1 if len(np.unique(labels)) >= 2 else 0
    model = build_feature_network(images.shape[1:], num_classes=num_classes)
    path = _cache_path(images, labels, num_classes, seed, cache_dir)
    if path.exists():
        model.load_weights(path)
    else:
        _train(model, images, labels, num_classes=num_classes, epochs=epochs, seed=seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name[: -len('.weights.h5')]}.partial.weights.h5")
        model.save_weights(partial)
        os.replace(partial, path)  # a crash mid-write never leaves a half file under the name
    return keras.Model(model.input, model.get_layer(FEATURE_LAYER).output)


def own_features(encoder, images, *, batch_size: int = 500) -> np.ndarray:
    """uint8 images -> bottleneck features, float64 (N, FEATURE_DIM)."""
    images = check_pixel_images(images)
    chunks = [
        np.asarray(encoder(images[start : start + batch_size].astype(np.float32), training=False))
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(chunks).astype(np.float64)


def check_samples(samples, *, image_size=None, channels=None) -> np.ndarray:
    """Samples as uint8 (N, H, H, C), C 1 or 3, at least MIN_SAMPLES, agreeing with the options."""
    samples = check_pixel_images(samples, name="samples")
    count, height, width, depth = samples.shape
    if height != width or depth not in (1, 3):
        raise ValueError(
            f"samples must be square grey or colour images (N, H, H[, 1 or 3]), got {samples.shape}"
        )
    if count < MIN_SAMPLES:
        raise ValueError(f"evaluate needs at least {MIN_SAMPLES} samples, got {count}")
    for option, asked, actual in (
        ("--image-size", image_size, height),
        ("--channels", channels, depth),
    ):
        if asked is not None and asked != actual:
            raise ValueError(
                f"the samples are {height}x{width}x{depth} but {option} {asked} was asked; "
                "drop it (evaluate uses the samples' own shape) or sample the right run"
            )
    return samples


def _reference_sets(dataset: str, shape):
    """(train images, train labels, held-out images) of `dataset` at the samples' shape."""
    from gan_course.data import load_dataset

    size, depth = shape[0], shape[2]
    train, labels = load_dataset(dataset, split="train", image_size=size, channels=depth)
    held_out, _ = load_dataset(dataset, split="test", image_size=size, channels=depth)
    if len(train) < MIN_SAMPLES or len(held_out) == 0:
        raise ValueError(
            f"{dataset} has {len(train)} training and {len(held_out)} held-out images; "
            f"evaluate needs {MIN_SAMPLES} or more and one or more (two images per class at least)"
        )
    if len(held_out) > HELD_OUT_LIMIT:
        chosen = np.random.default_rng(0).choice(len(held_out), HELD_OUT_LIMIT, replace=False)
        held_out = held_out[np.sort(chosen)]
    return train, labels, held_out


def evaluate_own_data(
    samples, *, dataset: str, image_size=None, channels=None, cache_dir=None, seed: int = 0
) -> dict:
    """Score uint8 samples (N, H, W[, C]) against `dataset` (see the module doc).

    Keys: n, fid, kid, kid_se, precision, recall, memorisation, the medians behind it,
    features (what FID and precision/recall are computed on) and not_computed.
    """
    from gan_course.evaluation.metrics import fid_from_features, kid_from_features
    from gan_course.evaluation.precision_recall import precision_recall_from_features

    samples = check_samples(samples, image_size=image_size, channels=channels)
    train, labels, held_out = _reference_sets(dataset, samples.shape[1:])
    report = memorisation(samples, train, held_out)
    encoder = feature_network(train, labels, cache_dir=cache_dir, seed=seed)
    real, fake = own_features(encoder, train), own_features(encoder, samples)
    subsets = max(2, min(10, min(len(real), len(fake)) // 2))
    kid, kid_se = kid_from_features(real, fake, subsets=subsets, seed=seed)
    precision, recall = precision_recall_from_features(real, fake, k=3)
    classes = len(np.unique(labels))
    trained_on = f"and its {classes} class labels" if classes >= 2 else "(one class: no labels)"
    return {
        "n": len(samples),
        "fid": fid_from_features(real, fake),
        "kid": kid,
        "kid_se": kid_se,
        "precision": precision,
        "recall": recall,
        "memorisation": report.ratio,
        "memorisation_sample_median": report.sample_median,
        "memorisation_held_out_median": report.held_out_median,
        "features": f"{FEATURE_DIM}-d bottleneck of a conv autoencoder trained on the "
        f"{len(train)} training images of {dataset} {trained_on}",
        "not_computed": f"{DIGIT_ONLY}: digit-only metrics (the course's digit classifier "
        f"reads 28x28 grey digits); not computed on {dataset}",
    }
