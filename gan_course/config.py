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


def validate_precision(config) -> None:
    """Raise ValueError unless `config.precision` names a policy of gan_course.training.precision."""
    from gan_course.training.precision import PRECISIONS

    if config.precision not in PRECISIONS:
        raise ValueError(
            f"{type(config).__name__}.precision must be one of {', '.join(PRECISIONS)}, got {config.precision!r}"
        )


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


def parse_assignments(config_class, assignments: list[str]) -> dict:
    """`["field=value", ...]` -> {field: value}, each value converted to the type of the
    field's default in `config_class` (bool, int, float, str, or a comma-separated tuple)."""
    defaults = {field.name: field.default for field in dataclasses.fields(config_class)}
    values = {}
    for assignment in assignments:
        name, separator, text = assignment.partition("=")
        name = name.strip().replace("-", "_")
        if not separator:
            raise ValueError(f"--set expects FIELD=VALUE, got {assignment!r}")
        if name not in defaults:
            raise ValueError(
                f"{config_class.__name__} has no field {name!r}; choose one of {', '.join(defaults)}"
            )
        values[name] = _convert(name, text.strip(), defaults[name])
    return values


def _convert(name: str, text: str, default):
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if isinstance(default, tuple):
            item_type = type(default[0]) if default else str
            return tuple(item_type(item) for item in text.split(",") if item.strip())
        if default is None:
            return text
        return type(default)(text)
    except ValueError:
        kind = "true or false" if isinstance(default, bool) else type(default).__name__
        raise ValueError(
            f"--set {name}={text!r}: expected {kind}, like the default {default!r}"
        ) from None
