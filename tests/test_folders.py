"""Your own images (gan_course.data.folders): layout, split, resizing, channels, bad folders."""

import numpy as np
import pytest
from PIL import Image

from gan_course import data
from gan_course.data import folders

SPLITS = ("train", "test")


def write_images(folder, count, *, size=(32, 32), mode="RGB", start=0, seed=0):
    """`count` random PNGs named 000.png, 001.png, ...; returns their pixel arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(seed)
    shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
    arrays = []
    for index in range(start, start + count):
        pixels = generator.integers(0, 256, shape, dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{index:03d}.png")
        arrays.append(pixels)
    return arrays


def test_sub_folders_are_classes_in_sorted_order(tmp_path):
    write_images(tmp_path / "zebra", 10, seed=1)
    write_images(tmp_path / "apple", 20, seed=2)
    train_x, train_y = data.load_dataset(f"folder:{tmp_path}")
    test_x, test_y = data.load_dataset(f"folder:{tmp_path}", split="test")
    assert train_x.dtype == np.uint8 and train_x.shape[1:] == (32, 32, 3)
    assert train_y.dtype == np.int32
    # apple (20 images) is class 0, zebra (10) class 1; 10 % of each held out
    assert np.bincount(train_y).tolist() == [18, 9] and np.bincount(test_y).tolist() == [2, 1]
    assert data.folder_classes(f"folder:{tmp_path}") == ["apple", "zebra"]
    train_keys = {image.tobytes() for image in train_x}
    assert not any(image.tobytes() in train_keys for image in test_x)  # disjoint splits


def test_images_directly_in_the_folder_are_one_class_and_the_split_is_fixed(tmp_path):
    arrays = write_images(tmp_path, 30)
    (tmp_path / "notes.txt").write_text("not an image")  # other files are skipped
    (tmp_path / ".hidden.png").write_bytes(b"hidden files are skipped")
    first = data.load_dataset(f"folder:{tmp_path}", split="test")
    second = data.load_dataset(f"folder:{tmp_path}", split="test")
    train, labels = data.load_dataset(f"folder:{tmp_path}")
    assert len(first[0]) == 3 and len(train) == 27 and set(labels.tolist()) == {0}
    np.testing.assert_array_equal(first[0], second[0])
    # the held-out files are a fixed function of the sorted names
    mask = folders.held_out_mask(np.zeros(30, np.int32))
    np.testing.assert_array_equal(first[0], np.stack(arrays)[mask])


def test_image_size_crops_the_centre_square_and_resizes(tmp_path):
    pixels = np.zeros((40, 80, 3), np.uint8)  # 80 wide, 40 high: white centre square
    pixels[:, 20:60] = 255
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    write_images(tmp_path, 1, size=(16, 16), start=1)  # another size: allowed with image_size
    splits = [data.load_dataset(f"folder:{tmp_path}", split=s, image_size=28) for s in SPLITS]
    images = np.concatenate([split[0] for split in splits])
    assert images.shape == (2, 28, 28, 3)
    # only the centre square was kept (without the crop the left and right quarters are black)
    assert max(image.min() for image in images) >= 200


def test_channels_are_inferred_and_converted(tmp_path):
    write_images(tmp_path / "grey", 4, mode="L")
    grey, _ = data.load_dataset(f"folder:{tmp_path / 'grey'}")
    assert grey.shape == (3, 32, 32, 1)  # one of the four held out
    colour, _ = data.load_dataset(f"folder:{tmp_path / 'grey'}", channels=3)
    assert colour.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(colour[..., 0], colour[..., 2])
    write_images(tmp_path / "rgb", 4)
    assert data.load_dataset(f"folder:{tmp_path / 'rgb'}", channels=1)[0].shape == (3, 32, 32, 1)


def test_fit_images_resizes_and_converts_arrays():
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28, 1), dtype=np.uint8)
    assert data.fit_images(images) is images  # nothing asked: unchanged
    fitted = data.fit_images(images, image_size=64, channels=3)
    assert fitted.shape == (3, 64, 64, 3) and fitted.dtype == np.uint8
    flat = np.full((1, 32, 32, 3), 77, np.uint8)
    assert (data.fit_images(flat, image_size=28) == 77).all()  # antialiasing keeps flat areas


def test_a_resumed_spec_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert data.normalise_spec("folder:pictures") == f"folder:{tmp_path / 'pictures'}"
    assert data.normalise_spec("cifar10") == "cifar10"


@pytest.mark.parametrize(
    "make, options, message",
    [
        (lambda root: root.mkdir(), {}, "holds no .png/.jpg/.jpeg images"),
        (lambda root: None, {}, "does not exist"),
        (lambda root: root.write_text("x"), {}, "is a file, not a folder"),
        (
            lambda root: (write_images(root, 2), (root / "broken.png").write_bytes(b"\x89PNG no")),
            {},
            "cannot read image",
        ),
        (
            lambda root: (write_images(root, 2), write_images(root, 1, size=(64, 48), start=2)),
            {},
            "different sizes",
        ),
        (
            lambda root: (write_images(root, 2), write_images(root / "cats", 2)),
            {},
            "both image files and sub-folders",
        ),
        (lambda root: (root / "empty_class").mkdir(parents=True), {}, "holds no"),
        (lambda root: write_images(root, 2), {"channels": 2}, r"1 \(grey\) or 3"),
        (lambda root: write_images(root, 2), {"image_size": 0}, "positive whole number"),
    ],
)
def test_bad_folders_raise_value_errors_that_say_what_to_do(tmp_path, make, options, message):
    root = tmp_path / "images"
    make(root)
    with pytest.raises(ValueError, match=message):
        data.load_dataset(f"folder:{root}", **options)


def test_truncated_image_is_an_error_not_skipped(tmp_path):
    write_images(tmp_path, 3)
    whole = (tmp_path / "001.png").read_bytes()
    (tmp_path / "001.png").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="001.png"):
        data.load_dataset(f"folder:{tmp_path}")
