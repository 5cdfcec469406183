"""Run settings: how long and how a run trains, kept apart from what the model is.

A family's config (`DCGANConfig`, ...) holds model hyperparameters only: widths, learning
rates, loss weights. Everything about the *run* lives here, is resolved once (family
defaults, then the user's values) and validated once, in `RunSettings.__post_init__`:
the command line, `runs.train_run` and the notebooks all build one of these.

`None` means "the family's default" (each family module declares `RUN_DEFAULTS`, whose
`jit_compile` was chosen by measurement; see benchmarks/README.md).
"""

from __future__ import annotations

import dataclasses

from gan_course.training.precision import PRECISIONS

STRATEGIES = ("default", "mirrored", "multiworker")


@dataclasses.dataclass(frozen=True)
class RunSettings:
    epochs: int | None = None
    batch_size: int | None = None  # the global batch, split over replicas
    max_minutes: float | None = None  # wall-clock budget; None trains all epochs
    precision: str | None = None  # float32 | mixed_float16 | mixed_bfloat16 | auto
    jit_compile: bool | None = None  # XLA for the train step
    checkpoint_every_steps: int | None = None  # besides the save after every epoch
    seed: int | None = None  # None: 0 for a new run, the saved seed when resuming
    strategy: str = "default"  # default | mirrored | multiworker (gan_course.training.distribution)

    def __post_init__(self):
        for name in ("epochs", "batch_size", "checkpoint_every_steps"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value <= 0
            ):
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if self.max_minutes is not None and (
            isinstance(self.max_minutes, bool)
            or not isinstance(self.max_minutes, (int, float))
            or not self.max_minutes > 0
        ):
            raise ValueError(f"max_minutes must be a positive number, got {self.max_minutes!r}")
        if self.precision is not None and self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"
            )
        if self.jit_compile is not None and not isinstance(self.jit_compile, bool):
            raise ValueError(f"jit_compile must be true or false, got {self.jit_compile!r}")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0
        ):
            raise ValueError(f"seed must be a whole number >= 0, got {self.seed!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"unknown strategy {self.strategy!r}; choose one of {', '.join(STRATEGIES)}"
            )

    def over(self, defaults: RunSettings) -> RunSettings:
        """These settings with every unset (None) field taken from `defaults`."""
        values = {
            field.name: getattr(self, field.name)
            if getattr(self, field.name) is not None
            else getattr(defaults, field.name)
            for field in dataclasses.fields(self)
        }
        return RunSettings(**values)

    def replace(self, **changes) -> RunSettings:
        """A copy with `changes` (None values ignored, as for unset command-line options)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


# What every family falls back to; a family's RUN_DEFAULTS overrides what it measured.
BASE_DEFAULTS = RunSettings(
    epochs=10, batch_size=64, precision="float32", jit_compile=False, seed=0
)


def resolve_settings(settings: RunSettings | None, family_defaults: RunSettings) -> RunSettings:
    """The complete settings of a run: the user's, then the family's, then the base defaults."""
    return (settings or RunSettings()).over(family_defaults.over(BASE_DEFAULTS))
