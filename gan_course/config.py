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
