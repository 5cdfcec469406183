"""Checks for the notebooks' hands-on exercises, in the style of the CS231n assignments.

The learner writes a function; `check_exercise` runs it and the package's own version on
the same seeded random inputs and prints exactly one line:

    PASS (max difference 3.2e-09)
    FAIL: max difference 0.41 (expected 1.23, got 0.82 at [2, 0]). Hint: ...
    not attempted yet: fill in the cell above

A stub that still raises `NotImplementedError`, a function that crashes and one that
returns the wrong shape each give a line, never an exception, so a notebook runs from top
to bottom (in CI too) with every exercise still open.
"""

from __future__ import annotations

import zlib

import numpy as np

NOT_ATTEMPTED = "not attempted yet: fill in the cell above"


class _Mismatch(Exception):
    """What is wrong with the learner's output; it becomes the FAIL line."""


def check_exercise(
    learner_function,
    reference_function,
    make_inputs,
    *,
    tolerance: float,
    trials: int = 3,
    seed: int = 0,
    hint: str = "",
) -> None:
    """Print PASS, FAIL or "not attempted" for `learner_function` against `reference_function`.

    `make_inputs(rng)` builds one set of arguments from a NumPy generator: a tuple (passed
    positionally), a dict (passed by keyword) or a single value. Each of `trials` sets is
    seeded (`seed`, `seed + 1`, ...) and built twice, once for each function, so a function
    that changes its inputs in place cannot change what the other one sees. Outputs are
    tensors, arrays or numbers, or a tuple or dict of them; they pass when every shape
    matches and no element differs by more than `tolerance` (absolute). `hint` follows a
    FAIL line.
    """
    print(
        exercise_verdict(
            learner_function,
            reference_function,
            make_inputs,
            tolerance=tolerance,
            trials=trials,
            seed=seed,
            hint=hint,
        )
    )


def exercise_verdict(
    learner_function,
    reference_function,
    make_inputs,
    *,
    tolerance: float,
    trials: int = 3,
    seed: int = 0,
    hint: str = "",
) -> str:
    """The line that `check_exercise` prints (same arguments)."""
    if not tolerance > 0:
        raise ValueError(f"tolerance must be positive, got {tolerance!r}")
    if not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    largest = 0.0
    for trial in range(trials):
        # The reference runs outside the try: an error there is a bug of the check itself.
        expected = _parts(
            _call(reference_function, make_inputs(np.random.default_rng(seed + trial)))
        )
        try:
            output = _call(learner_function, make_inputs(np.random.default_rng(seed + trial)))
        except NotImplementedError:
            return NOT_ATTEMPTED
        except Exception as error:  # any bug of the learner's is a FAIL line, not a crash
            return _fail(f"your function raised {type(error).__name__}: {_first_line(error)}", hint)
        try:
            largest = max(largest, _max_difference(expected, _parts(output), tolerance))
        except _Mismatch as mismatch:
            return _fail(str(mismatch), hint)
    return f"PASS (max difference {largest:.2g})"


def _call(function, inputs):
    if isinstance(inputs, dict):
        return function(**inputs)
    if isinstance(inputs, tuple):
        return function(*inputs)
    return function(inputs)


def _parts(output) -> dict:
    """{label: float64 array} for one output, a tuple of outputs or a dict of them."""
    if output is None:
        raise _Mismatch("your function returned None: is a `return` missing?")
    if isinstance(output, dict):
        named = {f"{key!r}": value for key, value in output.items()}
    elif isinstance(output, (tuple, list)):
        named = {f"value {index + 1} of {len(output)}": part for index, part in enumerate(output)}
    else:
        named = {"": output}
    parts = {}
    for label, value in named.items():
        where = f" ({label})" if label else ""
        try:
            array = np.asarray(value)
            if np.iscomplexobj(array):
                raise _Mismatch(f"your output{where} is complex: keep its real part (`.real`)")
            parts[label] = array.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise _Mismatch(
                f"your output{where} is not a number or array: {type(value).__name__} "
                f"({_first_line(error)})"
            ) from None
    return parts


def _max_difference(expected: dict, got: dict, tolerance: float) -> float:
    if list(got) != list(expected):
        raise _Mismatch(
            f"your function returned {len(got)} value(s), expected {len(expected)}"
            if len(got) != len(expected)
            else f"your output has keys {list(got)}, expected {list(expected)}"
        )
    largest = 0.0
    for label, reference in expected.items():
        output, where = got[label], f" ({label})" if label else ""
        if output.shape != reference.shape:
            scalar = " (a scalar)" if reference.shape == () else ""
            raise _Mismatch(
                f"your output{where} has shape {output.shape}, expected {reference.shape}{scalar}"
            )
        if reference.size == 0:
            continue
        difference = np.abs(output - reference)
        difference = np.where(np.isnan(difference), np.inf, difference)  # NaN: as wrong as it gets
        index = np.unravel_index(np.argmax(difference), difference.shape)
        if difference[index] > tolerance:
            at = f" at {list(map(int, index))}" if reference.ndim else ""
            raise _Mismatch(
                f"max difference {difference[index]:.2g}{where} (expected "
                f"{reference[index]:.6g}, got {output[index]:.6g}{at})"
            )
        largest = max(largest, float(difference[index]))
    return largest


def _fail(problem: str, hint: str) -> str:
    return f"FAIL: {problem}" + (f". Hint: {hint}" if hint else "")


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else ""


def block_outputs(block, inputs, *args, seed: int = 0) -> dict:
    """Build `block(x, *args)` (Keras layers on a Keras tensor) into a model around `inputs`,
    fill its weights from `seed`, and return {"inference": ..., "training": ...} outputs.

    Each weight is drawn from a generator keyed by its name and shape ("kernel" (4, 4, 8, 16),
    "gamma" (8,), ...), so two blocks made of the same layers get the same weights however
    their code is written, and a missing, extra or differently shaped layer changes the
    outputs. Inference mode uses the BatchNorm moving statistics, training mode the batch's.
    """
    import keras

    x = keras.Input(np.shape(inputs)[1:])
    model = keras.Model(x, block(x, *args))
    for weight in model.weights:
        shape = tuple(weight.shape)
        key = zlib.crc32(f"{weight.name} {shape}".encode())
        rng = np.random.default_rng([seed, key])
        if weight.name == "moving_variance":
            value = rng.uniform(0.5, 1.5, shape)  # a variance is positive
        elif weight.name == "gamma":
            value = 1.0 + 0.1 * rng.standard_normal(shape)
        else:
            value = 0.1 * rng.standard_normal(shape)
        weight.assign(value.astype(weight.dtype))
    # Inference first: a training-mode call updates the moving statistics.
    inference = np.asarray(model(inputs, training=False))
    return {"inference": inference, "training": np.asarray(model(inputs, training=True))}
