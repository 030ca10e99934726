"""Layer stacks -> Keras code, so learners edit the code they read in the book: the book's functional code or
``keras.Sequential([...])``, each layer written as Keras's own constructor call (defaults left out)."""

from __future__ import annotations

from cnn_core.keras_code.layer_stack import LayerSpec
from cnn_core.keras_code.layer_table import LAYERS


def _format_value(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and len(repr(value)) > 8 and value != 0 and abs(1 / value - round(1 / value)) < 1e-9:
        return f"1./{round(1 / value)}"
    return repr(value)


def layer_call(layer: LayerSpec) -> str:
    """``layers.Conv2D(32, 3, activation="relu")`` for a spec (defaults omitted, leading arguments positional)."""
    required = LAYERS[layer.kind].positional
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
