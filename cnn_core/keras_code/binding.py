"""A layer call's arguments bound the way Keras binds them, and checked the way Keras checks them in ``__init__``.

``Conv2D(32, 3, activation="relu")`` binds ``32`` to ``filters`` and ``3`` to ``kernel_size`` through the kind's
signature in :data:`cnn_core.keras_code.layer_table.LAYERS`; an argument given twice, one Keras does not know, or a
required one left out is refused as Keras would refuse it (``TypeError``), with the line and a code. A value that
changes the layer's shape or parameter count must be known (not an :class:`~cnn_core.keras_code.evaluator.Opaque`
value) and of the type Keras expects; the rest (initializers, regularizers...) are accepted and ignored.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields

from cnn_core.keras_code.evaluator import MAX_NUMBER, PLAIN, LayerCodeError, Opaque, all_plain, is_number
from cnn_core.keras_code.layer_stack import LayerSpec, Shape
from cnn_core.keras_code.layer_table import (
    BASE_LAYER_ARGUMENTS,
    KERAS_ACTIVATIONS,
    LAYERS,
)


@dataclass(frozen=True)
class ActivationRef:
    """``tf.nn.relu`` or ``keras.activations.relu`` passed as an activation."""

    name: str


@dataclass(frozen=True)
class BoundLayer:
    """A layer's spec and the arguments every layer takes (name, trainable, a declared input shape)."""

    spec: LayerSpec
    name: str | None
    trainable: bool
    declared_input: Shape | None


def bind_layer(kind: str, args: list, kwargs: dict, line: int) -> BoundLayer:
    """``kind(*args, **kwargs)`` as Keras would construct it; :class:`LayerCodeError` where Keras would refuse."""
    signature = LAYERS[kind].signature
    if "**" in kwargs or any(isinstance(a, Opaque) and a.origin == "*args" for a in args):
        raise LayerCodeError(line, "not_literal", f"{kind}: arguments unpacked with * or ** cannot be read", value="**")
    if len(args) > len(signature):
        raise LayerCodeError(line, "too_many_args", f"{kind} takes at most {len(signature)} positional arguments", kind=kind)  # fmt: skip
    bound: dict[str, object] = dict(zip(signature, args, strict=False))
    for key, value in kwargs.items():
        if key in bound:
            raise LayerCodeError(line, "duplicate_argument", f"{kind} got multiple values for argument {key!r}", kind=kind, argument=key)  # fmt: skip
        if key not in signature and key not in BASE_LAYER_ARGUMENTS:
            close = difflib.get_close_matches(key, [*signature, *BASE_LAYER_ARGUMENTS], n=1)
            raise LayerCodeError(line, "unknown_argument", f"{kind} has no argument {key!r}", kind=kind, argument=key, hint=close[0] if close else "")  # fmt: skip
        bound[key] = value
    missing = [p for p in LAYERS[kind].required if p not in bound]
    if missing:
        raise LayerCodeError(line, "missing_argument", f"{kind} needs {missing[0]}", kind=kind, argument=missing[0])
    spec_cls = LAYERS[kind].spec
    spec_fields = {f.name for f in fields(spec_cls)} - {"name"}
    values: dict[str, object] = {
        key: layer_value(kind, key, value, line) for key, value in bound.items() if key in spec_fields
    }
    name = bound.get("name")
    if isinstance(name, str):
        values["name"] = name
    if name is not None and not (isinstance(name, str) and name and name.replace("_", "").replace("-", "").isalnum()):
        raise LayerCodeError(line, "bad_name", "layer names may hold letters, digits and '_'", value=repr(name)[:40])
    trainable = bound.get("trainable", True)
    if not isinstance(trainable, bool):
        raise LayerCodeError(line, "bad_value", f"trainable must be True or False. Received: {trainable!r}", kind=kind, argument="trainable", value=repr(trainable)[:40])  # fmt: skip
    declared = declared_input(bound, line)
    try:
        spec = spec_cls(**values)
    except TypeError as err:  # a value of the wrong kind that the checks above let through
        raise LayerCodeError(line, "bad_value", f"{kind}: {err}", kind=kind, argument="", value="") from err
    check_spec(kind, spec, line)
    return BoundLayer(spec, name if isinstance(name, str) else None, trainable, declared)


def declared_input(bound: dict[str, object], line: int) -> Shape | None:
    """The input shape a first layer declares (``input_shape=`` or ``input_dim=``), if any."""
    if "input_dim" in bound:
        shape = (bound["input_dim"],)
    elif "input_shape" in bound:
        shape = bound["input_shape"]
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    else:
        return None
    return concrete_shape(shape, "input_shape", line)


def concrete_shape(shape: object, argument: str, line: int) -> Shape:
    """``shape`` as a tuple of positive whole numbers or ``None`` (a size of any length, as Keras allows), or the
    reason it is not one."""
    if isinstance(shape, list):
        shape = tuple(shape)
    unknown = [v for v in (shape if isinstance(shape, tuple) else (shape,)) if isinstance(v, Opaque)]
    if unknown:
        _refuse_undefined(unknown, line)
        raise LayerCodeError(line, "not_literal", f"the value of {argument} is not known here ({unknown[0].origin}, line {unknown[0].line})", kind="Input", argument=argument, value=unknown[0].origin[:40], origin_line=unknown[0].line)  # fmt: skip
    if not (
        isinstance(shape, tuple)
        and shape
        and all(d is None or (isinstance(d, int) and not isinstance(d, bool) and 0 < d <= MAX_NUMBER) for d in shape)
    ):
        raise LayerCodeError(line, "bad_input", f"{argument} must be a tuple of positive whole numbers. Received: {shape!r}", value=repr(shape)[:60])  # fmt: skip
    return shape


def layer_value(kind: str, key: str, value: object, line: int) -> object:
    """A value that changes shapes or parameters must be known; its type is checked by the rule the layer table
    gives the argument (:meth:`cnn_core.keras_code.layer_table.LayerInfo.argument_type`)."""
    if isinstance(value, ActivationRef):
        value = value.name
    if isinstance(value, list):
        value = tuple(value)
    _refuse_undefined([v for v in (value if isinstance(value, tuple) else (value,)) if isinstance(v, Opaque)], line)
    if isinstance(value, Opaque):
        raise LayerCodeError(line, "not_literal", f"{kind}: the value of {key} is not known here ({value.origin}, line {value.line})", kind=kind, argument=key, value=value.origin[:40], origin_line=value.line)  # fmt: skip
    if not isinstance(value, PLAIN) and not (isinstance(value, tuple) and all_plain(value)):
        raise LayerCodeError(line, "bad_value", f"{kind}: {key} must be a number, text or tuple. Received: {type(value).__name__}", kind=kind, argument=key, value=type(value).__name__)  # fmt: skip
    rule = LAYERS[kind].argument_type(key)
    if rule == "activation":
        if value is not None and (not isinstance(value, str) or value.lower() not in KERAS_ACTIVATIONS):
            raise LayerCodeError(line, "bad_activation", f"unknown activation {value!r}", kind=kind, value=str(value)[:40])  # fmt: skip
        return value.lower() if isinstance(value, str) else value
    if rule in ("padding", "padding_causal"):
        allowed = ("valid", "same", "causal") if rule == "padding_causal" else ("valid", "same")
        if not isinstance(value, str) or value.lower() not in allowed:
            raise LayerCodeError(line, "bad_padding", f"padding must be one of {allowed}. Received: {value!r}", value=str(value)[:40])  # fmt: skip
        return value.lower()
    if rule == "bool" and not isinstance(value, bool):
        raise LayerCodeError(line, "bad_value", f"{kind}: {key} must be True or False. Received: {value!r}", kind=kind, argument=key, value=repr(value)[:40])  # fmt: skip
    if rule == "number" and not is_number(value):
        raise LayerCodeError(line, "bad_value", f"{kind}: {key} must be a number. Received: {value!r}", kind=kind, argument=key, value=repr(value)[:40])  # fmt: skip
    if rule == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        raise LayerCodeError(line, "bad_value", f"{kind}: {key} must be a whole number. Received: {value!r}", kind=kind, argument=key, value=repr(value)[:40])  # fmt: skip
    return value


def _refuse_undefined(unknown: list[Opaque], line: int) -> None:
    """A value computed from names the listing never defines: ask for the first such name (``need="value"``), or,
    when it comes out of undefined code, ask for that code (``need="code"``)."""
    for attribute, need in (("free", "value"), ("undefined", "code")):
        names = [name for value in unknown for name in getattr(value, attribute)]
        if names:
            line = next(v.line for v in unknown if names[0] in getattr(v, attribute)) or line  # where it is written
            raise LayerCodeError(line, "undefined_name", f"{names[0]} is not defined in what you pasted", name=names[0], need=need)  # fmt: skip


def check_spec(kind: str, spec: LayerSpec, line: int) -> None:
    """Argument errors Keras raises in ``__init__`` (before any shape is known)."""
    rate = getattr(spec, "rate", None)
    if rate is not None and not 0 <= rate <= 1:
        raise LayerCodeError(line, "bad_value", f"{kind}: rate must be in [0, 1]. Received: {rate}", kind=kind, argument="rate", value=repr(rate))  # fmt: skip
    for key in ("filters", "units"):
        value = getattr(spec, key, None)
        if value is not None and value <= 0:
            raise LayerCodeError(line, "bad_value", f"{kind}: {key} must be positive. Received: {value}", kind=kind, argument=key, value=repr(value))  # fmt: skip
