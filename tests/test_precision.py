"""Mixed precision: policy choice, float32 outputs, loss scaling, finite training on CPU."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course.training import precision
from gan_course.training.precision import precision_policy, resolve_precision
from gan_course.training.settings import RunSettings
from gan_course.training.update import apply_update


def test_explicit_names_pass_through_and_unknown_raises():
    for name in ("float32", "mixed_float16", "mixed_bfloat16"):
        assert resolve_precision(name) == name
    with pytest.raises(ValueError, match="choose one of"):
        resolve_precision("float8")
    with pytest.raises(ValueError, match="precision must be one of"):
        RunSettings(precision="half")


@pytest.mark.parametrize(
    "gpu, bf16, expected",
    [
        (True, True, "mixed_float16"),
        (False, True, "mixed_bfloat16"),
        (False, False, "float32"),
    ],
)
def test_auto_picks_by_hardware(monkeypatch, gpu, bf16, expected):
    monkeypatch.setattr(precision, "_gpu_has_tensor_cores", lambda: gpu)
    monkeypatch.setattr(precision, "cpu_has_bf16_units", lambda: bf16)
    assert resolve_precision("auto") == expected


def test_bf16_units_read_from_cpu_flags(tmp_path):
    with_bf16 = tmp_path / "with"
    with_bf16.write_text("flags\t\t: fpu sse2 avx512f avx512_bf16 avx2\n")
    without = tmp_path / "without"
    without.write_text("flags\t\t: fpu sse2 avx512f avx2\n")
    assert precision.cpu_has_bf16_units(str(with_bf16))
    assert not precision.cpu_has_bf16_units(str(without))
    assert not precision.cpu_has_bf16_units(str(tmp_path / "missing"))


def test_policy_context_restores_on_error():
    with pytest.raises(RuntimeError), precision_policy("mixed_bfloat16"):
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
        raise RuntimeError
    assert keras.config.dtype_policy().name == "float32"


def test_update_reports_the_unscaled_norm_and_applies_unscaled_gradients():
    """Under float16 loss scaling the update path seeds the backward pass with the scale,
    and still reports and applies the gradient of the loss itself."""
    variable = tf.Variable([3.0, 4.0])
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
    optimizer.build([variable])
    assert float(optimizer.dynamic_scale) > 1  # the gradients really are scaled
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(variable * tf.constant([0.5, -1.0]))
    norm = apply_update(tape, loss, [variable], optimizer)
    assert float(norm) == pytest.approx(np.hypot(0.5, 1.0))
    assert variable.numpy() == pytest.approx([3.0 - 0.05, 4.0 + 0.1])


def test_float16_overflow_is_skipped_not_applied():
    """A step whose scaled gradients overflow leaves the weights alone and halves the scale."""
    variable = tf.Variable([1.0])
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
    optimizer.build([variable])
    scale = float(optimizer.dynamic_scale)
    optimizer.apply_gradients([(tf.constant([np.inf]), variable)])
    assert float(variable[0]) == 1.0 and float(optimizer.dynamic_scale) == scale / 2


def test_cli_precision_option_reaches_the_models(tmp_path):
    from gan_course.cli import main
    from gan_course.runs import load_run

    out = tmp_path / "run"
    argv = ["train", "gan", "--epochs", "1", "--out", str(out), "--no-progress"]
    assert main(argv + ["--precision", "mixed_bfloat16", "--batch-size", "512"]) == 0
    record, setup = load_run(out)
    assert record["settings"]["precision"] == "mixed_bfloat16"
    assert setup.models["generator"].layers[1].compute_dtype == "bfloat16"
