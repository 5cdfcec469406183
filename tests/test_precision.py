"""Mixed precision: policy choice, float32 outputs, loss scaling, finite training on CPU."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_course.models.dcgan import DCGANConfig
from gan_course.registry import get_recipe
from gan_course.training import precision
from gan_course.training.precision import gradient_norm, precision_policy, resolve_precision

# Small widths keep each family's three steps to about a second.
TINY = {
    "gan": {"generator_widths": (16, 16), "discriminator_widths": (16, 16)},
    "dcgan": {"generator_filters": (16, 8), "discriminator_filters": (8, 16)},
    "cgan": {"generator_filters": (16, 8), "discriminator_filters": (8, 16)},
    "wgan": {"generator_filters": (16, 8), "critic_filters": (8, 16)},
    "wgan-gp": {"generator_filters": (16, 8), "critic_filters": (8, 16)},
    "autoencoder": {"filters": (8, 16)},
    "vae": {"filters": (8, 16)},
}


def tiny_setup(model, policy):
    recipe = get_recipe(model)
    config = recipe.load_config_class()(precision=policy, **TINY[model])
    return recipe.build(config, image_shape=(28, 28, 1), seed=0)


def batch_for(setup, size=16):
    images = np.random.default_rng(0).uniform(-1, 1, (size, 28, 28, 1)).astype("float32")
    if setup.scale == "unit":
        images = (images + 1) / 2
    return (images, np.arange(size, dtype=np.int32) % 10) if setup.conditional else images


# float16 (the GPU path, with loss scaling) for every family; bfloat16 (the bf16-CPU path)
# for one dense and one convolutional family.
CASES = [(model, "mixed_float16") for model in sorted(TINY)] + [
    ("gan", "mixed_bfloat16"),
    ("dcgan", "mixed_bfloat16"),
]


@pytest.mark.parametrize("model, policy", CASES)
def test_every_family_trains_finite_with_float32_outputs(model, policy):
    setup = tiny_setup(model, policy)
    low = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}[policy]
    layers = [layer for m in setup.models.values() for layer in m.layers]
    assert any(layer.compute_dtype == low for layer in layers)  # the policy was applied
    assert all(v.dtype == "float32" for m in setup.models.values() for v in m.weights)
    assert keras.config.dtype_policy().name == "float32"  # restored after building
    scaled = all(
        isinstance(o, keras.optimizers.LossScaleOptimizer) for o in setup.optimizers.values()
    )
    assert scaled == (policy == "mixed_float16")  # loss scaling for float16 only
    before = [v.numpy().copy() for m in setup.models.values() for v in m.trainable_variables]
    for _ in range(3):
        outputs = setup.train_step(batch_for(setup))
    assert all(np.isfinite(float(value)) for value in outputs.values()), outputs
    after = [v.numpy() for m in setup.models.values() for v in m.trainable_variables]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    samples = setup.sample(setup.fixed_inputs)
    assert samples.dtype == tf.float32 and np.isfinite(np.asarray(samples)).all()


def test_explicit_names_pass_through_and_unknown_raises():
    for name in ("float32", "mixed_float16", "mixed_bfloat16"):
        assert resolve_precision(name) == name
    with pytest.raises(ValueError, match="choose one of"):
        resolve_precision("float8")
    with pytest.raises(ValueError, match="precision must be one of"):
        DCGANConfig(precision="half")


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


def test_gradient_norm_undoes_the_loss_scale():
    variable = tf.Variable([3.0, 4.0])
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
    optimizer.build([variable])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(variable * tf.constant([0.5, -1.0]))
        scaled = optimizer.scale_loss(loss)
    gradients = tape.gradient(scaled, [variable])
    assert float(optimizer.dynamic_scale) > 1  # the gradients really are scaled
    assert float(gradient_norm(gradients, optimizer)) == pytest.approx(np.hypot(0.5, 1.0))
    overflowed = [tf.constant([np.inf, 1.0])]  # a skipped step reports 0, not inf
    assert float(gradient_norm(overflowed, optimizer)) == 0.0


def test_float16_overflow_is_skipped_not_applied():
    """A step whose scaled gradients overflow leaves the weights alone and halves the scale."""
    variable = tf.Variable([1.0])
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
    optimizer.build([variable])
    scale = float(optimizer.dynamic_scale)
    optimizer.apply_gradients([(tf.constant([np.inf]), variable)])
    assert float(variable[0]) == 1.0 and float(optimizer.dynamic_scale) == scale / 2


def test_cli_precision_field_reaches_the_models(tmp_path):
    from gan_course.cli import main

    out = tmp_path / "run"
    argv = ["train", "gan", "--epochs", "1", "--out", str(out), "--no-progress"]
    assert main(argv + ["--set", "precision=mixed_bfloat16", "--batch-size", "512"]) == 0
    from gan_course.runs import load_run

    record, setup = load_run(out)
    assert record["config"]["precision"] == "mixed_bfloat16"
    assert setup.models["generator"].layers[1].compute_dtype == "bfloat16"
    assert dataclasses.asdict(DCGANConfig())["precision"] in precision.PRECISIONS
