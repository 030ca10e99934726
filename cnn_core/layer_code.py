"""Layer stacks <-> Keras code, so learners edit the code they read in the book.

Reading code is :mod:`cnn_core.layer_graph`'s job (any model, never executed); this module turns a
stack back into the book's functional code or into ``keras.Sequential([...])``, and hands the editor's
buttons the stack of code that is one.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.errors import CodedError
from cnn_core.layer_stack import LayerSpec

ACTIVATIONS = frozenset(
    {"relu", "sigmoid", "softmax", "tanh", "linear", "elu", "selu", "gelu", "swish", "silu", "relu6", "softplus"}
)

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "Conv2D": ("filters", "kernel_size"),
    "MaxPooling2D": ("pool_size",),
    "AveragePooling2D": ("pool_size",),
    "Dense": ("units",),
    "Dropout": ("rate",),
    "Rescaling": ("scale",),
}
"""Arguments always written out, positionally, in generated code (Keras requires most of them)."""


class LayerCodeError(CodedError):
    """Code that does not describe a layer stack; ``line`` is 1-based, ``code`` names the problem."""

    def __init__(self, line: int, code: str, message: str, catalog: str = "code_errors", **details: object) -> None:
        super().__init__(code, f"line {line}: {message}", **details)
        self.line = line
        self.catalog = catalog  # the i18n table of ``code``: "code_errors", or "errors" for shape rules


@dataclass(frozen=True)
class ParsedStack:
    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]


def parse_stack(code: str) -> ParsedStack:
    """The layer stack of Keras code, for the editor's add/remove/move buttons.

    Any code :func:`cnn_core.layer_graph.parse_graph` reads is accepted as long as its model is a
    straight chain (one input, each layer fed by the one before); branches raise ``not_a_stack``.
    """
    from cnn_core.layer_graph import analyze_code  # noqa: PLC0415 - layer_graph imports this module

    report = analyze_code(code)
    if not report.is_chain():
        raise LayerCodeError(1, "not_a_stack", "this model has branches or merges, so it is not a plain layer stack")
    layers = tuple(n.spec for n in report.connected if n.spec is not None)
    return ParsedStack(report.input_shapes[0], layers)


def _format_value(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and len(repr(value)) > 8 and value != 0 and abs(1 / value - round(1 / value)) < 1e-9:
        return f"1./{round(1 / value)}"
    return repr(value)


def layer_call(layer: LayerSpec) -> str:
    """``layers.Conv2D(32, 3, activation="relu")`` for a spec (defaults omitted, leading arguments positional)."""
    from cnn_core.layer_graph import REQUIRED_ARGUMENTS  # noqa: PLC0415 - layer_graph imports this module

    required = REQUIRED_FIELDS.get(layer.kind) or REQUIRED_ARGUMENTS.get(layer.kind, ())
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


def stack_to_sequential_code(input_shape: tuple[int, ...], layers: tuple[LayerSpec, ...] | list[LayerSpec]) -> str:
    """The same stack as ``keras.Sequential([keras.Input(...), ...])``."""
    rows = [f"    keras.Input(shape={tuple(input_shape)!r}),", *(f"    {layer_call(layer)}," for layer in layers)]
    return "model = keras.Sequential([\n" + "\n".join(rows) + "\n])"


__all__ = ["LayerCodeError", "ParsedStack", "layer_call", "parse_stack", "stack_to_code", "stack_to_sequential_code"]
