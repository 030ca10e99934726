"""Which floating-point precision a run trains in, chosen by the hardware it runs on, and recorded with the run.

Keras's mixed precision computes in a 16-bit type and keeps the weights in float32. A CPU with bfloat16 units
(``avx512_bf16`` or ``amx_bf16`` in its flags, Linux) runs the book's convnets about twice as fast in
``mixed_bfloat16`` (``bench/training.py``); a GPU of compute capability 7 or more gains likewise from
``mixed_float16``; any other machine trains in float32, as before. The model's output and the loss stay float32
(a float32 output layer is added: Keras's own advice), so the probabilities and the loss are as precise as ever.

The choice is made where the run trains (the trainer process, or each Ray worker for its own hardware), recorded
in the run's status (``"bf16"``, ``"fp16"``, ``"fp32"``), and shown in the runs table. ``RunConfig.precision`` (the
launch form's advanced option) or ``CNN_CLASSROOM_PRECISION`` can force a precision; ``float32`` turns the
automatic choice off.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

logger = logging.getLogger(__name__)

ENV = "CNN_CLASSROOM_PRECISION"
CHOICES = ("auto", "float32", "bfloat16", "float16")
"""What a run (or the environment) may ask for: ``auto`` picks from the hardware, the others force."""
LABELS = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}
"""How a precision is recorded and shown."""
POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}
"""Keras's dtype policy for each recorded precision."""
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
MIN_FP16_COMPUTE_CAPABILITY = (7, 0)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``; empty elsewhere)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return frozenset()
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            flags.update(line.split(":", 1)[-1].split())
    return frozenset(flags)


def cpu_has_bfloat16(flags: Iterable[str]) -> bool:
    return bool(BF16_CPU_FLAGS & set(flags))


def gpu_capabilities() -> list[tuple[int, int]]:
    """Compute capabilities of the GPUs TensorFlow sees (imports TensorFlow)."""
    import tensorflow as tf  # noqa: PLC0415

    capabilities = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capability = details.get("compute_capability")
        if capability:
            capabilities.append(tuple(capability))
    return capabilities


def choose_precision(
    requested: str = "auto",
    flags: Iterable[str] | None = None,
    gpus: Iterable[tuple[int, int]] | None = None,
    environ: dict[str, str] | None = None,
    speedups: Mapping[str, float] | None = None,
) -> str:
    """The precision label a run trains in: what the run or ``CNN_CLASSROOM_PRECISION`` forces, else ``fp16`` on a
    GPU of compute capability >= 7, ``bf16`` on a CPU with bfloat16 units, ``fp32`` otherwise; but ``fp32`` where
    ``speedups`` (the run's strategy's measured speed-up per precision) says the 16-bit one is slower for this model
    (EfficientNet-Lite0's depthwise convolutions in bfloat16, see the README). A forced 16-bit precision is honoured
    on any hardware (slow where it is emulated); an unknown request is ``auto``."""
    environ = os.environ if environ is None else environ
    wanted = requested if requested in CHOICES and requested != "auto" else environ.get(ENV, "auto").strip().lower()
    wanted = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}.get(wanted, wanted)
    if wanted in LABELS:
        return LABELS[wanted]
    gpus = list(gpu_capabilities() if gpus is None else gpus)
    if gpus:
        chosen = "fp16" if all(tuple(c) >= MIN_FP16_COMPUTE_CAPABILITY for c in gpus) else "fp32"
    else:
        chosen = "bf16" if cpu_has_bfloat16(cpu_flags() if flags is None else flags) else "fp32"
    return "fp32" if (speedups or {}).get(chosen, 1.0) < 1.0 else chosen


def expected_precision(requested: str = "auto", speedups: Mapping[str, float] | None = None) -> str:
    """The precision a run asking for ``requested`` will train in on this machine's CPU (no TensorFlow imported:
    a GPU, seen only by the trainer, may still choose ``fp16``)."""
    return choose_precision(requested, gpus=(), speedups=speedups)


def apply_precision(precision: str) -> None:
    """Set Keras's global dtype policy for ``precision`` (before any model is built)."""
    import keras  # noqa: PLC0415

    keras.mixed_precision.set_global_policy(POLICIES[precision])
    logger.info("training precision %s (Keras policy %s)", precision, POLICIES[precision])


@contextlib.contextmanager
def precision_policy(precision: str):
    """Models built inside compute in ``precision`` (the frozen base of a feature pass measured faster in another
    precision than the head's training); the global policy is restored on leaving."""
    import keras  # noqa: PLC0415

    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(POLICIES[precision])
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def float32_output(model):  # -> keras.Model
    """``model`` with its outputs cast to float32 (a linear float32 layer, no parameters), for the loss and the
    probabilities; the model itself when it already computes in float32."""
    import keras  # noqa: PLC0415

    if all(str(getattr(t, "dtype", "float32")) == "float32" for t in model.outputs):
        return model
    name = "float32_output" if len(model.outputs) == 1 else None
    outputs = [keras.layers.Activation("linear", dtype="float32", name=name)(t) for t in model.outputs]
    return keras.Model(model.inputs, outputs[0] if len(outputs) == 1 else outputs, name=model.name)
