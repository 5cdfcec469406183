"""Data: the image datasets and their `tf.data` pipelines (`images`), your own folders of
images (`folders`), and the 2-D mixtures of the mode-collapse lab (`mixtures`). The bottom
layer of the package: it imports nothing else of gan_course.
"""

from gan_course.data.folders import (
    FOLDER_PREFIX,
    fit_images,
    folder_classes,
    is_folder_spec,
    load_folder,
    normalise_spec,
)
from gan_course.data.images import (
    DATASET_NAMES,
    REMOTE_FILES,
    SCALES,
    SPLITS,
    DatasetUnavailableError,
    default_cache_dir,
    fetch,
    file_hash,
    load_dataset,
    make_dataset,
    scale_images,
    to_uint8,
)

__all__ = [
    "DATASET_NAMES",
    "FOLDER_PREFIX",
    "REMOTE_FILES",
    "SCALES",
    "SPLITS",
    "DatasetUnavailableError",
    "default_cache_dir",
    "fetch",
    "file_hash",
    "fit_images",
    "folder_classes",
    "is_folder_spec",
    "load_folder",
    "load_dataset",
    "make_dataset",
    "normalise_spec",
    "scale_images",
    "to_uint8",
]
