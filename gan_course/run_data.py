"""The data a run trains on: a named set or your own folder, at the size and channels asked.

`gan-course train MODEL --dataset folder:PATH --image-size 64 --channels 3` (or a named set
such as cifar10, resized or converted the same way) goes through `prepare_run_data`, which
checks everything before the run driver writes anything:

- a resumed run keeps the image size and channels of its record; asking for others is an
  error (`resolve_image_options`);
- the images must be a square size and channel count the family declares
  (`Recipe.check_image_shape`: 28, 32 or 64 pixels, 1 or 3 channels for most);
- a class-conditional family (its config has `num_classes`) needs two classes or more and
  gets as many as the data have (a folder's class sub-folders);
- a family conditioned on clusters (its config has `clusters`) trains on the k-means
  cluster of each image (gan_course.data.clusters) instead of its label;
- families whose progress grids show real images get the data's own held-out split.

The run record then holds `image_size`, `channels` and a folder's `classes` (label order).
"""

from __future__ import annotations

import dataclasses

import numpy as np

IMAGE_OPTIONS = ("image_size", "channels")


@dataclasses.dataclass(frozen=True)
class RunData:
    images: np.ndarray  # uint8 (N, H, W, C), or float32 points (N, 2)
    labels: np.ndarray  # int32 (N,)
    config: object  # the model config, its class count fitted to the data
    held_out: np.ndarray | None  # uint8 held-out images for the progress grids, or None
    record: dict  # what run.json holds about the data besides its name and shape


def own_data(record: dict) -> bool:
    """True for a run on a folder or on a resized or converted set (not the sets as they come)."""
    from gan_course.data import is_folder_spec

    return is_folder_spec(record["dataset"]) or any(record.get(name) for name in IMAGE_OPTIONS)


def resolve_image_options(record: dict | None, image_size, channels) -> dict:
    """{"image_size", "channels"} of the run: the ones asked, or a resumed run's own."""
    asked = {"image_size": image_size, "channels": channels}
    if record is None:
        return asked
    resolved = {}
    for name, wanted in asked.items():
        saved = record.get(name)
        option = "--" + name.replace("_", "-")
        if wanted is not None and saved != wanted:
            held = f"{option} {saved}" if saved is not None else f"no {option}"
            raise ValueError(
                f"the run folder holds a run with {held}; resume it that way or choose "
                "another --out to start a new run"
            )
        resolved[name] = saved
    return resolved


def _fit_classes(model: str, config, labels, dataset: str, overrides: dict, resuming: bool):
    """The config with `num_classes` set to the data's class count (conditional families)."""
    if "num_classes" not in {field.name for field in dataclasses.fields(config)}:
        return config
    count = int(labels.max()) + 1 if len(labels) else 0
    if count < 2:
        raise ValueError(
            f"{model} is class-conditional and needs at least 2 classes, but {dataset} has "
            f"{count}; put each class's images in its own sub-folder of the folder"
        )
    if config.num_classes == count:
        return config
    if "num_classes" in overrides or resuming:
        raise ValueError(
            f"the data have {count} classes but the run has num_classes={config.num_classes}; "
            "drop --set num_classes (or choose another --out to start a new run)"
        )
    return dataclasses.replace(config, num_classes=count)


def cluster_labels(config, images, labels):
    """(labels, config) for a family conditioned on clusters of its images (its config has
    `clusters`): the k-means cluster of each image, and the config with the clusters' sizes.
    A resumed run must find the clusters it was trained on."""
    if "clusters" not in {field.name for field in dataclasses.fields(config)}:
        return labels, config
    from gan_course.data.clusters import cluster_sizes, kmeans_clusters

    clusters = kmeans_clusters(images, config.clusters, seed=0)
    sizes = cluster_sizes(clusters, config.clusters)
    if config.cluster_sizes and tuple(config.cluster_sizes) != sizes:
        raise ValueError(
            "the images are not the ones this run found its clusters in; train on the same "
            "data, or choose another --out to start a new run"
        )
    return clusters, dataclasses.replace(config, cluster_sizes=sizes)


def prepare_run_data(
    recipe, model: str, *, dataset: str, config, overrides: dict, record, image_size, channels
) -> RunData:
    """Load and check a run's data before anything is written (see the module doc)."""
    from gan_course.data import folder_classes, is_folder_spec, load_dataset

    options = resolve_image_options(record, image_size, channels)
    images, labels = load_dataset(dataset, **options)
    if len(images) == 0:
        raise ValueError(f"{dataset} has no training images; add images to the folder")
    recipe.check_image_shape(model, images.shape[1:])
    config = _fit_classes(model, config, labels, dataset, overrides, record is not None)
    labels, config = cluster_labels(config, images, labels)
    saved = {"dataset": dataset, **options}
    if is_folder_spec(dataset):
        saved["classes"] = folder_classes(dataset)
    held_out = None
    if own_data(saved) and recipe.takes_held_out():
        held_out, _ = load_dataset(dataset, split="test", **options)
        if len(held_out) == 0:  # too few images to hold any out: show training images
            held_out = images
    saved.pop("dataset")
    return RunData(images, labels, config, held_out, saved)


def placeholder_held_out(recipe, record: dict):
    """What a loaded run's grids start from: black images for a run on your own data (a
    loaded run draws no grids, and the data need not be read again), else None."""
    if own_data(record) and recipe.takes_held_out():
        return np.zeros((1, *record["image_shape"]), np.uint8)
    return None
