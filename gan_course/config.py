"""Helpers shared by the frozen hyperparameter dataclasses of each model family."""

from __future__ import annotations

import dataclasses
import os
import typing


def validate_positive(config, *names: str) -> None:
    """Raise ValueError naming the field if any of `names` is not > 0."""
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{type(config).__name__}.{name} must be positive, got {value!r}")


def validate_weight_average_decay(config) -> None:
    """Raise ValueError unless `config.weight_average_decay` is in [0, 1) (0 turns it off)."""
    decay = config.weight_average_decay
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 <= decay < 1.0:
        raise ValueError(
            f"{type(config).__name__}.weight_average_decay must be in [0, 1) (0.999 averages, "
            f"0 turns it off), got {decay!r}"
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


# The square sizes every image family builds at and is tested on (tests/test_image_sizes.py).
IMAGE_SIZES = (28, 32, 64)


def check_supported_shape(model: str, image_shape, *, sizes, channels) -> None:
    """Raise ValueError (one line) unless `image_shape` is (N, N, C) with N in `sizes` and C in
    `channels`: what `gan-course train` checks before it writes anything."""
    height, width, depth = tuple(image_shape)
    if height == width and height in sizes and depth in channels:
        return
    size_text = ", ".join(str(size) for size in sizes)
    channel_text = " or ".join(str(count) for count in channels)
    raise ValueError(
        f"{model} builds square images of {size_text} pixels with {channel_text} channel(s), "
        f"not {height}x{width}x{depth}; pass --image-size ({size_text}) and --channels "
        f"({channel_text})"
    )


def parse_assignments(config_classes, assignments: list[str]) -> dict:
    """`["field=value", ...]` -> {field: value}, each value parsed to the declared type of
    the field in one of `config_classes` (a dataclass or a tuple of them): bool, int,
    float, str, an optional (`int | None`: "none" gives None) or a comma-separated tuple.
    So `--set max_minutes=1` gives 1.0, not the string "1"."""
    if not isinstance(config_classes, tuple):
        config_classes = (config_classes,)
    types = {}
    for config_class in config_classes:
        hints = typing.get_type_hints(config_class)
        types.update({field.name: hints[field.name] for field in dataclasses.fields(config_class)})
    values = {}
    for assignment in assignments:
        name, separator, text = assignment.partition("=")
        name = name.strip().replace("-", "_")
        if not separator:
            raise ValueError(f"--set expects FIELD=VALUE, got {assignment!r}")
        if name not in types:
            raise ValueError(f"no option {name!r} to --set; choose one of {', '.join(types)}")
        values[name] = _convert(name, text.strip(), types[name])
    return values


def _convert(name: str, text: str, field_type):
    """Parse `text` to `field_type` (the annotation of a dataclass field)."""
    arguments = [a for a in typing.get_args(field_type) if a is not type(None)]
    optional = type(None) in typing.get_args(field_type)
    if optional and text.lower() == "none":
        return None
    if optional and len(arguments) == 1:
        field_type = arguments[0]
    origin = typing.get_origin(field_type)
    try:
        if field_type is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if origin is tuple:
            item_type = typing.get_args(field_type)[0]
            return tuple(item_type(item.strip()) for item in text.split(",") if item.strip())
        if field_type is float:
            return float(text)
        if field_type in (int, str):
            return field_type(text)
        raise ValueError
    except ValueError:
        kind = (
            "true or false"
            if field_type is bool
            else getattr(field_type, "__name__", str(field_type))
        )
        raise ValueError(f"--set {name}={text!r}: expected {kind}") from None
