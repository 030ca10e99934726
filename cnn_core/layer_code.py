"""Keras-style code <-> layer stacks, so learners edit the code they read in the book.

The parser accepts the book's functional style (``x = layers.Conv2D(32, 3)(x)``)
and plain calls (``Conv2D(32, 3)``), one layer per statement. It never runs
the text: it walks the syntax tree and accepts only literal numbers, strings,
tuples and simple arithmetic on numbers (``1./255``).
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, fields

from cnn_core.layer_stack import LAYER_TYPES, LayerSpec

ACTIVATIONS = frozenset(
    {"relu", "sigmoid", "softmax", "tanh", "linear", "elu", "selu", "gelu", "swish", "silu", "relu6", "softplus"}
)
IGNORED_CALLS = frozenset({"Model", "summary", "compile", "fit"})
MAX_CODE_CHARS = 20_000
MAX_LAYERS = 200

POSITIONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "Conv2D": ("filters", "kernel_size", "strides", "padding"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "AveragePooling2D": ("pool_size", "strides", "padding"),
    "Dense": ("units", "activation"),
    "Dropout": ("rate",),
    "Rescaling": ("scale", "offset"),
}
"""Keras's positional argument order for each layer."""

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "Conv2D": ("filters", "kernel_size"),
    "MaxPooling2D": ("pool_size",),
    "AveragePooling2D": ("pool_size",),
    "Dense": ("units",),
    "Dropout": ("rate",),
    "Rescaling": ("scale",),
}
"""Arguments always written out, positionally, in generated code (Keras requires most of them)."""


class LayerCodeError(ValueError):
    """Code that does not describe a layer stack; ``line`` is 1-based, ``code`` names the problem."""

    def __init__(self, line: int, code: str, message: str, catalog: str = "code_errors", **details: object) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.code = code
        self.catalog = catalog  # the i18n table of ``code``: "code_errors", or "errors" for shape rules
        self.details = details


@dataclass(frozen=True)
class ParsedStack:
    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _literal(node: ast.expr, line: int) -> object:
    """Evaluate a literal without executing anything: constants, tuples/lists, unary minus, + - * / on numbers."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_literal(e, line) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand, line)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _literal(node.left, line), _literal(node.right, line)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
            if isinstance(node.op, ast.Div) and right == 0:
                raise LayerCodeError(line, "not_literal", "division by zero")
            return _BINARY[type(node.op)](left, right)
    raise LayerCodeError(
        line, "not_literal", f"only numbers, strings and tuples are allowed. Received: {ast.unparse(node)}"
    )


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _check_value(kind: str, field: str, value: object, line: int) -> object:
    if field == "activation" and value is not None and value not in ACTIVATIONS:
        raise LayerCodeError(line, "bad_activation", f"unknown activation {value!r}", kind=kind, value=value)
    if field == "padding" and value not in ("valid", "same"):
        raise LayerCodeError(
            line, "bad_padding", f"padding must be 'valid' or 'same'. Received: {value!r}", value=value
        )
    return value


def _layer_from_call(kind: str, call: ast.Call, line: int) -> LayerSpec:
    cls = LAYER_TYPES[kind]
    allowed = {f.name for f in fields(cls)}
    positional = POSITIONAL_FIELDS.get(kind, ())
    if len(call.args) > len(positional):
        raise LayerCodeError(
            line, "too_many_args", f"{kind} takes at most {len(positional)} positional arguments", kind=kind
        )
    kwargs: dict[str, object] = {}
    for field, node in zip(positional, call.args, strict=False):
        kwargs[field] = _check_value(kind, field, _literal(node, line), line)
    for kw in call.keywords:
        if kw.arg is None or kw.arg not in allowed:
            raise LayerCodeError(
                line, "unknown_argument", f"{kind} has no argument {kw.arg!r}", kind=kind, argument=kw.arg
            )
        kwargs[kw.arg] = _check_value(kind, kw.arg, _literal(kw.value, line), line)
    if "name" in kwargs and not (isinstance(kwargs["name"], str) and kwargs["name"].replace("_", "").isalnum()):
        raise LayerCodeError(line, "bad_name", "layer names may hold letters, digits and '_'", value=kwargs["name"])
    return cls(**kwargs)


def _input_shape(call: ast.Call, line: int) -> tuple[int, ...]:
    node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "shape"), None)
    shape = _literal(node, line) if node is not None else None
    if not (
        isinstance(shape, tuple)
        and shape
        and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
    ):
        raise LayerCodeError(
            line, "bad_input", f"Input needs shape=(height, width, channels) of positive ints. Received: {shape!r}"
        )
    return shape


def parse_stack(code: str) -> ParsedStack:
    """Read ``Input(shape=...)`` and layer calls, in order, from Keras-style code.

    Raises :class:`LayerCodeError` with the line number for syntax errors,
    unknown layers or arguments, and non-literal values.
    """
    if len(code) > MAX_CODE_CHARS:
        raise LayerCodeError(1, "too_long", f"code longer than {MAX_CODE_CHARS} characters")
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        raise LayerCodeError(err.lineno or 1, "syntax", err.msg or "invalid syntax") from err
    input_shape: tuple[int, ...] | None = None
    layers: list[LayerSpec] = []
    for stmt in tree.body:
        line = stmt.lineno
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        if not isinstance(value, ast.Call):
            raise LayerCodeError(line, "not_a_layer", "each statement must be one layer call")
        call = value.func if isinstance(value.func, ast.Call) else value  # functional style: Layer(...)(x)
        name = _call_name(call)
        if name == "Input":
            input_shape = _input_shape(call, line)
        elif name in LAYER_TYPES:
            layers.append(_layer_from_call(name, call, line))
        elif name not in IGNORED_CALLS:
            raise LayerCodeError(
                line, "unknown_layer", f"unknown layer {name!r}", name=name, known=", ".join(LAYER_TYPES)
            )
        if len(layers) > MAX_LAYERS:
            raise LayerCodeError(line, "too_many_layers", f"at most {MAX_LAYERS} layers")
    if input_shape is None:
        raise LayerCodeError(1, "no_input", "the code needs an Input(shape=(...)) line")
    return ParsedStack(input_shape, tuple(layers))


def _format_value(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and len(repr(value)) > 8 and value != 0 and abs(1 / value - round(1 / value)) < 1e-9:
        return f"1./{round(1 / value)}"
    return repr(value)


def layer_call(layer: LayerSpec) -> str:
    """``layers.Conv2D(32, 3, activation="relu")`` for a spec (defaults omitted, leading arguments positional)."""
    required = REQUIRED_FIELDS.get(layer.kind, ())
    args = layer.arguments(keep=required)
    parts = [_format_value(args.pop(field)) for field in required]
    parts += [f"{k}={_format_value(v)}" for k, v in args.items()]
    if layer.name:
        parts.append(f'name="{layer.name}"')
    return f"layers.{layer.kind}({', '.join(parts)})"


def stack_to_code(input_shape: tuple[int, ...], layers: tuple[LayerSpec, ...] | list[LayerSpec]) -> str:
    """The book's functional-API code for a stack."""
    lines = [f"inputs = keras.Input(shape={tuple(input_shape)!r})"]
    previous = "inputs"
    for i, layer in enumerate(layers):
        target = "outputs" if i == len(layers) - 1 else "x"
        lines.append(f"{target} = {layer_call(layer)}({previous})")
        previous = target
    if not layers:
        lines.append("outputs = inputs")
    lines.append("model = keras.Model(inputs=inputs, outputs=outputs)")
    return "\n".join(lines)


__all__ = ["LayerCodeError", "ParsedStack", "layer_call", "parse_stack", "stack_to_code"]
