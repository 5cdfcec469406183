"""Mixed precision: which policy to train in, and the loss scaling that float16 needs.

- `mixed_float16`: float16 compute on NVIDIA GPUs with tensor cores (compute capability
  >= 7.0). float16 has a narrow exponent, so small gradients underflow to zero; the loss is
  multiplied by a dynamic scale before differentiation and the gradients divided by it
  (`keras.optimizers.LossScaleOptimizer`, which also skips a step whose scaled gradients
  overflowed and lowers the scale).
- `mixed_bfloat16`: bfloat16 compute on CPUs with bf16 instructions (AVX512_BF16 or AMX) and
  on TPUs. bfloat16 keeps float32's exponent range, so no loss scaling is needed.
- `float32`: everywhere else, and whenever exact reproducibility across machines matters.

In every policy the variables stay float32, and each builder computes its last layer (the
generator's tanh, the discriminator's logit) in float32, so losses, metrics and samples
are float32 whatever the policy.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


@functools.cache
def cpu_has_bf16_units(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when the CPU advertises bfloat16 instructions (x86 avx512_bf16 or amx_bf16)."""
    try:
        flags = set(Path(cpuinfo).read_text().split())
    except OSError:  # not Linux: no cheap way to tell, so stay in float32
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def _gpu_has_tensor_cores() -> bool:
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability and capability >= (7, 0):
            return True
    return False


def resolve_precision(name: str = "auto") -> str:
    """The policy to use: `name` itself, or for 'auto' the fastest safe one for this machine."""
    if name not in PRECISIONS:
        raise ValueError(f"unknown precision {name!r}; choose one of {', '.join(PRECISIONS)}")
    if name != "auto":
        return name
    if _gpu_has_tensor_cores():
        return "mixed_float16"
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU") and cpu_has_bf16_units():
        return "mixed_bfloat16"
    return "float32"


@contextlib.contextmanager
def precision_policy(name: str = "float32"):
    """Build models under this Keras dtype policy ('auto' resolved), restoring the old one after."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(resolve_precision(name))
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def uses_loss_scaling(policy: str | None = None) -> bool:
    """True for mixed_float16; `policy=None` asks about the active Keras policy."""
    import keras

    if policy is None:
        return keras.config.dtype_policy().name == "mixed_float16"
    return resolve_precision(policy) == "mixed_float16"


def wrap_optimizer(optimizer, policy: str | None = None):
    """Wrap an unbuilt `optimizer` in a dynamic `LossScaleOptimizer` under mixed_float16
    (`policy=None`: the active Keras policy, as inside a `family_setup` setup)."""
    import keras

    if not uses_loss_scaling(policy):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)
