"""Training machinery shared by every model family: the update path (`update`), the loop
(`loop.fit`), settings, setup assembly, precision, distribution, checkpoints, callbacks and
the GAN monitor. Model families build on it; it imports no family.
"""

from gan_course.backend import check_backend

# Before any model is built: a clear error on another Keras backend.
check_backend()


from gan_course.training.loop import (  # noqa: E402  after the backend check
    NonFiniteLossError,
    fit,
    load_history,
    save_history,
)

__all__ = [
    "NonFiniteLossError",
    "fit",
    "load_history",
    "save_history",
]
