import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def tiny_images():
    """64 random uint8 digits-shaped images and labels: (64, 28, 28, 1), (64,)."""
    generator = np.random.default_rng(0)
    return generator.integers(0, 256, (64, 28, 28, 1), dtype=np.uint8), np.arange(
        64, dtype=np.int32
    ) % 10
