"""Loaders (offline, on files written into a temporary cache), offline policy, pipelines."""

import gzip
import io
import pickle
import tarfile

import numpy as np
import pytest

from gan_course import data


def register(monkeypatch, path, *, origin=None):
    """Point REMOTE_FILES at a small file the test wrote, with that file's real hash."""
    old_origin, old_hash = data.REMOTE_FILES[path.name]
    algorithm = "sha256" if len(old_hash) == 64 else "md5"
    monkeypatch.setitem(
        data.REMOTE_FILES, path.name, (origin or old_origin, data.file_hash(path, algorithm))
    )


def test_mnist_5k_is_balanced_real_digits():
    train_x, train_y = data.load_dataset("mnist_5k")
    test_x, test_y = data.load_dataset("mnist_5k", split="test")
    assert train_x.shape == (4500, 28, 28, 1) and train_x.dtype == np.uint8
    assert test_x.shape == (500, 28, 28, 1) and test_y.dtype == np.int32
    assert np.bincount(train_y).tolist() == [450] * 10
    assert np.bincount(test_y).tolist() == [50] * 10
    assert train_x.max() == 255 and train_x.min() == 0
    # no held-out image is also a training image
    train_keys = {image.tobytes() for image in train_x}
    assert not any(image.tobytes() in train_keys for image in test_x)


def test_mnist_loader_reads_cached_npz(tmp_path, monkeypatch):
    generator = np.random.default_rng(1)
    arrays = {
        "x_train": generator.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_train": np.arange(6, dtype=np.uint8),
        "x_test": generator.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": np.arange(3, dtype=np.uint8),
    }
    np.savez(tmp_path / "mnist.npz", **arrays)
    register(monkeypatch, tmp_path / "mnist.npz")
    images, labels = data.load_dataset("mnist", split="test", cache_dir=tmp_path)
    assert images.shape == (3, 28, 28, 1) and labels.dtype == np.int32
    np.testing.assert_array_equal(images[..., 0], arrays["x_test"])


def test_fashion_mnist_loader_reads_cached_idx_files(tmp_path, monkeypatch):
    images = np.random.default_rng(2).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([9, 0, 3, 3, 1], dtype=np.uint8)
    for name, payload, header in [
        ("train-images-idx3-ubyte.gz", images.tobytes(), b"\0" * 16),
        ("train-labels-idx1-ubyte.gz", labels.tobytes(), b"\0" * 8),
    ]:
        with gzip.open(tmp_path / name, "wb") as handle:
            handle.write(header + payload)
        register(monkeypatch, tmp_path / name)
    loaded, loaded_labels = data.load_dataset("fashion_mnist", cache_dir=tmp_path)
    np.testing.assert_array_equal(loaded[..., 0], images)
    assert loaded_labels.tolist() == [9, 0, 3, 3, 1]


def test_cifar10_loader_reads_cached_archive(tmp_path, monkeypatch):
    rows = np.random.default_rng(3).integers(0, 256, (2, 3072), dtype=np.uint8)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        payload = pickle.dumps({b"data": rows, b"labels": [4, 7]})
        info = tarfile.TarInfo("cifar-10-batches-py/test_batch")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    register(monkeypatch, archive)
    images, labels = data.load_dataset("cifar10", split="test", cache_dir=tmp_path)
    assert images.shape == (2, 32, 32, 3) and labels.tolist() == [4, 7]
    # CIFAR stores channel-first rows: red plane first
    np.testing.assert_array_equal(images[0, :, :, 0].ravel(), rows[0, :1024])


def test_corrupt_cache_file_raises_with_redownload_advice(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"not the real file")
    with pytest.raises(ValueError, match="corrupt.*Delete it"):
        data.load_dataset("mnist", cache_dir=tmp_path)


def test_failed_download_names_the_embedded_set(tmp_path, monkeypatch):
    monkeypatch.setitem(
        data.REMOTE_FILES, "mnist.npz", ("https://unreachable.invalid/mnist.npz", "0" * 64)
    )
    with pytest.raises(data.DatasetUnavailableError, match="mnist_5k"):
        data.load_dataset("mnist", cache_dir=tmp_path)
    assert not (tmp_path / "mnist.npz").exists()


def test_auto_falls_back_with_one_printed_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(
        data.REMOTE_FILES, "mnist.npz", ("https://unreachable.invalid/mnist.npz", "0" * 64)
    )
    images, _ = data.load_dataset("auto", cache_dir=tmp_path)
    assert images.shape == (4500, 28, 28, 1)
    printed = [line for line in capsys.readouterr().out.splitlines() if "mnist_5k" in line]
    assert len(printed) == 1


@pytest.mark.parametrize("name", ["mnist5k", "MNIST", "celeba"])
def test_unknown_dataset_name(name):
    with pytest.raises(ValueError, match="unknown dataset"):
        data.load_dataset(name)


@pytest.mark.parametrize("scale, low, high", [("gan", -1.0, 1.0), ("unit", 0.0, 1.0)])
def test_pipeline_range_shape_dtype(tiny_images, scale, low, high):
    images, labels = tiny_images
    images[0] = 0
    images[1] = 255
    dataset = data.make_dataset(images, batch_size=16, scale=scale, shuffle=False)
    batches = list(dataset)
    assert len(batches) == 4
    first = batches[0].numpy()
    assert first.shape == (16, 28, 28, 1) and first.dtype == np.float32
    assert first.min() == low and first.max() == high
    np.testing.assert_allclose(data.to_uint8(first, scale), images[:16])


def test_pipeline_with_labels_and_reshuffle(tiny_images):
    images, labels = tiny_images
    dataset = data.make_dataset(images, labels, batch_size=64, seed=0)
    (x1, y1), (_, y2) = next(iter(dataset)), next(iter(dataset))
    assert y1.dtype.name == "int32" and x1.shape == (64, 28, 28, 1)
    assert sorted(y1.numpy().tolist()) == sorted(labels.tolist())
    assert y1.numpy().tolist() != y2.numpy().tolist()  # each epoch reshuffles


def test_an_epoch_order_is_the_per_element_pipelines(tiny_images):
    """Scaling the whole array at once gives the batches that scaling each element in the
    pipeline gives: same values, same (seed, epoch) order, labels kept with their images."""
    import tensorflow as tf

    images, labels = tiny_images
    per_element = (
        tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
        .map(lambda x, y: (data.scale_images(x, "gan"), y))
        .shuffle(len(images), seed=7 * 100_003 + 3, reshuffle_each_iteration=False)
        .batch(16, drop_remainder=True)
    )
    dataset = data.make_dataset(images, labels, batch_size=16, seed=7, epoch=3)
    pairs = list(zip(dataset, per_element, strict=True))
    assert len(pairs) == 4
    for (x, y), (x_reference, y_reference) in pairs:
        np.testing.assert_array_equal(x.numpy(), x_reference.numpy())
        np.testing.assert_array_equal(y.numpy(), y_reference.numpy())
    again = data.make_dataset(images, labels, batch_size=16, seed=7, epoch=3)
    other = data.make_dataset(images, labels, batch_size=16, seed=7, epoch=4)
    first = next(iter(dataset))[1].numpy()
    assert first.tolist() == next(iter(again))[1].numpy().tolist()  # a function of the epoch
    assert first.tolist() != next(iter(other))[1].numpy().tolist()


def test_pipeline_rejects_bad_input(tiny_images):
    images, labels = tiny_images
    with pytest.raises(ValueError, match="larger than the dataset"):
        data.make_dataset(images, batch_size=65)
    with pytest.raises(ValueError, match="positive"):
        data.make_dataset(images, batch_size=0)
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        data.make_dataset(images[..., 0], batch_size=8)
    with pytest.raises(ValueError, match="labels"):
        data.make_dataset(images, labels[:3], batch_size=8)
    with pytest.raises(ValueError, match="unknown scale"):
        data.scale_images(images, "tanh")
