"""Helpers shared by the frozen hyperparameter dataclasses of each model family."""

from __future__ import annotations

import dataclasses
import os


def validate_positive(config, *names: str) -> None:
    """Raise ValueError naming the field if any of `names` is not > 0."""
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{type(config).__name__}.{name} must be positive, got {value!r}")


def smoke_mode() -> bool:
    """True when GAN_COURSE_SMOKE is set to 1/true/yes: notebooks shrink their runs for CI."""
    return os.environ.get("GAN_COURSE_SMOKE", "").strip().lower() in ("1", "true", "yes")


def with_overrides(config, **overrides):
    """`dataclasses.replace` that ignores None values (unset command-line options)."""
    return dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})


def check_image_shape(image_shape, *, multiple_of: int = 1) -> tuple[int, int, int]:
    """Return `image_shape` as (H, W, C) ints, or raise ValueError: C must be 1 or 3 and H, W
    multiples of `multiple_of` (each stride-2 stage halves them)."""
    shape = tuple(image_shape)
    if len(shape) != 3 or not all(isinstance(v, int) and v > 0 for v in shape):
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape!r}")
    height, width, channels = shape
    if channels not in (1, 3):
        raise ValueError(
            f"image_shape must have 1 (grey) or 3 (colour) channels, got {image_shape!r}"
        )
    if height % multiple_of or width % multiple_of:
        raise ValueError(
            f"image_shape height and width must be multiples of {multiple_of}, got {image_shape!r}"
        )
    return shape
