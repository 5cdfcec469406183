"""Your own images: a folder of PNG/JPEG files as a dataset (``--dataset folder:PATH``).

Layout. Sub-folders of PATH are classes, labelled 0, 1, ... in the sorted order of their
names (what the conditional models condition on); image files directly in PATH, with no
sub-folders, are one unlabelled class (label 0). A class folder is read recursively.
Files whose names start with "." and files that are not images (by their extension) are
skipped; an image file Pillow cannot read is an error, never skipped.

Split. Within each class the files are sorted by their path relative to PATH and shuffled
with a fixed seed (`SPLIT_SEED`); the first 10 % (`HELD_OUT_SHARE`, rounded, at least one
image of every class that has two or more) are the held-out ("test") split, the rest the
training split. The split depends only on the file names, so it is the same on every
machine and in every command; adding or renaming files changes it.

Pixels. Files are decoded with Pillow (EXIF orientation applied; an alpha channel is
dropped). Without `channels`, a folder is grey (1 channel) if every file is grey and
colour (3) otherwise. Without `image_size`, all images must have one size; with it, each
image is centre-cropped to a square and resized to image_size x image_size with Pillow's
antialiased Lanczos filter. `fit_images` does the same to arrays (the downloaded sets).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FOLDER_PREFIX = "folder:"
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
HELD_OUT_SHARE = 0.1
SPLIT_SEED = 0
CHANNELS = (1, 3)
_GREY_BANDS = {("L",), ("L", "A"), ("L", "a"), ("1",), ("I",), ("F",)}


def is_folder_spec(name) -> bool:
    """True for a dataset named ``folder:PATH``."""
    return isinstance(name, str) and name.startswith(FOLDER_PREFIX)


def folder_path(spec: str) -> Path:
    """``folder:~/pictures`` -> the absolute folder path (``~`` expanded)."""
    text = spec[len(FOLDER_PREFIX) :] if is_folder_spec(spec) else spec
    if not text.strip():
        raise ValueError("--dataset folder:PATH needs a folder after 'folder:'")
    return Path(text).expanduser().resolve()


def normalise_spec(name: str) -> str:
    """``folder:PATH`` with PATH made absolute (so a run resumes from any working folder);
    other names as they are."""
    return FOLDER_PREFIX + str(folder_path(name)) if is_folder_spec(name) else name


def check_image_options(image_size, channels) -> None:
    """Raise ValueError unless image_size is None or a positive int and channels None, 1 or 3."""
    if image_size is not None and (
        isinstance(image_size, bool) or not isinstance(image_size, int) or image_size <= 0
    ):
        raise ValueError(f"--image-size must be a positive whole number, got {image_size!r}")
    if channels is not None and (isinstance(channels, bool) or channels not in CHANNELS):
        raise ValueError(f"--channels must be 1 (grey) or 3 (colour), got {channels!r}")


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS


def _visible(paths):
    return sorted(p for p in paths if not p.name.startswith("."))


def list_folder(path: Path) -> tuple[list[Path], np.ndarray, list[str]]:
    """(image files, int32 labels, class names) of a folder, or ValueError saying what is wrong."""
    if not path.exists():
        raise ValueError(f"folder {path} does not exist; give --dataset folder:PATH of your images")
    if not path.is_dir():
        raise ValueError(f"{path} is a file, not a folder; give --dataset folder:PATH of images")
    entries = _visible(path.iterdir())
    loose = [p for p in entries if _is_image(p)]
    class_folders = [p for p in entries if p.is_dir()]
    if loose and class_folders:
        raise ValueError(
            f"{path} holds both image files and sub-folders; put every image in a class "
            "sub-folder, or all of them directly in the folder (one unlabelled class)"
        )
    if not class_folders:
        if not loose:
            raise ValueError(f"folder {path} holds no {'/'.join(IMAGE_EXTENSIONS)} images")
        return loose, np.zeros(len(loose), np.int32), [path.name]
    files, labels = [], []
    for label, folder in enumerate(class_folders):
        found = [p for p in _visible(folder.rglob("*")) if _is_image(p)]
        found = [p for p in found if not any(part.startswith(".") for part in p.parts)]
        if not found:
            raise ValueError(
                f"class folder {folder} holds no {'/'.join(IMAGE_EXTENSIONS)} images; "
                "remove it or add images"
            )
        files += found
        labels += [label] * len(found)
    return files, np.asarray(labels, np.int32), [folder.name for folder in class_folders]


def held_out_mask(labels: np.ndarray) -> np.ndarray:
    """True for the held-out files: per class, a seeded shuffle of the sorted files, first 10 %."""
    mask = np.zeros(len(labels), bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)  # already in sorted-path order
        count = 0 if len(members) < 2 else max(1, round(HELD_OUT_SHARE * len(members)))
        order = np.random.default_rng(SPLIT_SEED).permutation(len(members))
        mask[members[order[:count]]] = True
    return mask


def _open(path: Path):
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ValueError(f"cannot read image {path} ({error}); remove or replace it") from None


def _survey(files: list[Path], image_size) -> int:
    """Read every header: return the folder's channel count (1 if all grey, else 3); without
    `image_size`, ValueError unless all images share one size."""
    sizes, colour = {}, False
    for path in files:
        with _open(path) as image:
            sizes.setdefault(image.size, path)
            colour = colour or tuple(image.getbands()) not in _GREY_BANDS
    if image_size is None and len(sizes) > 1:
        examples = ", ".join(f"{p.name}: {w}x{h}" for (w, h), p in list(sizes.items())[:2])
        raise ValueError(
            f"the images have {len(sizes)} different sizes ({examples}); "
            "pass --image-size N to resize them all to N x N"
        )
    return 3 if colour else 1


def fit_image(image, *, image_size, channels: int) -> np.ndarray:
    """A Pillow image -> uint8 (H, W, channels): converted, then (with image_size) centre-
    cropped to a square and resized with antialiasing."""
    from PIL import Image

    image = image.convert("L" if channels == 1 else "RGB")
    if image_size is not None and image.size != (image_size, image_size):
        width, height = image.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        image = image.resize(
            (image_size, image_size),
            Image.Resampling.LANCZOS,
            box=(left, top, left + side, top + side),
        )
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[..., np.newaxis] if pixels.ndim == 2 else pixels


def _decode(path: Path, *, image_size, channels: int) -> np.ndarray:
    from PIL import ImageOps

    with _open(path) as image:
        try:
            if image_size is not None:  # JPEG: decode at a reduced scale when far larger
                image.draft("L" if channels == 1 else "RGB", (image_size, image_size))
            image.load()
            image = ImageOps.exif_transpose(image)
        except (OSError, ValueError, SyntaxError) as error:
            raise ValueError(f"cannot read image {path} ({error}); remove or replace it") from None
        return fit_image(image, image_size=image_size, channels=channels)


def load_folder(
    spec: str, *, split: str = "train", image_size: int | None = None, channels: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A folder's split as uint8 images (N, H, W, C) and int32 labels (N,) (see the module doc)."""
    check_image_options(image_size, channels)
    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    path = folder_path(spec)
    files, labels, _ = list_folder(path)
    # Every header is read, whatever the split, so both splits agree on the channels.
    surveyed_channels = _survey(files, image_size)
    channels = channels or surveyed_channels
    keep = held_out_mask(labels) == (split == "test")
    images = [
        _decode(p, image_size=image_size, channels=channels) for p, k in zip(files, keep) if k
    ]
    if not images:  # a split with no image (a folder of one image per class has no test split)
        first = _decode(files[0], image_size=image_size, channels=channels)
        return np.zeros((0, *first.shape), np.uint8), np.zeros(0, np.int32)
    return np.stack(images), labels[keep]


def folder_classes(spec: str) -> list[str]:
    """The class names of a folder, in label order (the folder's own name if unlabelled)."""
    return list_folder(folder_path(spec))[2]


def fit_images(images: np.ndarray, *, image_size=None, channels=None) -> np.ndarray:
    """uint8 (N, H, W, C) arrays resized (centre square, Lanczos) and/or converted to
    `channels` like a folder's files; unchanged when nothing is asked."""
    from PIL import Image

    check_image_options(image_size, channels)
    same_size = image_size is None or images.shape[1:3] == (image_size, image_size)
    if same_size and channels in (None, images.shape[-1]):
        return images
    channels = channels or images.shape[-1]
    fitted = [
        fit_image(  # a 2-d uint8 array becomes a grey ("L") image, (H, W, 3) an RGB one
            Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image),
            image_size=image_size,
            channels=channels,
        )
        for image in images
    ]
    if not fitted:
        size = (image_size, image_size) if image_size else images.shape[1:3]
        return np.zeros((0, *size, channels), np.uint8)
    return np.stack(fitted)
