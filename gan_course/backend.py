"""The package runs on Keras's TensorFlow backend only: its train steps are `tf.function`s,
its distribution is `tf.distribute` and its data is `tf.data`.

`check_backend` says so, with the fix, before any model is built, instead of an error deep
inside the first step. It reads the backend the way Keras does (KERAS_BACKEND, else
keras.json) without importing Keras, so the command line stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


class BackendError(RuntimeError):
    """Keras is set to a backend other than TensorFlow."""


def configured_backend() -> str:
    """The backend Keras uses or will use: the imported Keras's, else what its settings say."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return keras.backend.backend()
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    try:
        return json.loads((home / "keras.json").read_text()).get("backend", "tensorflow")
    except (OSError, ValueError):
        return "tensorflow"


def check_backend() -> None:
    """Raise BackendError with the fix unless Keras is on the TensorFlow backend."""
    backend = configured_backend()
    if backend != "tensorflow":
        raise BackendError(
            f"gan_course needs Keras's TensorFlow backend, but Keras is set to {backend!r}; "
            'set KERAS_BACKEND=tensorflow (or "backend": "tensorflow" in ~/.keras/keras.json) '
            "and restart Python"
        )
