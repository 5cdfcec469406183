"""Model families: for each, a frozen config of model hyperparameters, the builders, the
train step, and the setup the registry calls. Shared layers: `packing`, `augment`."""

from gan_course.backend import check_backend

# Before any model is built: a clear error on another Keras backend.
check_backend()
