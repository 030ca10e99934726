"""The editor's plain layer stack: the stack of layers in code that is one, and the add/remove/move buttons'
edits of it.

Reading code is :mod:`cnn_core.keras_code.layer_graph`'s job (any model, never executed); writing it back is
:mod:`cnn_core.keras_code.code_writer`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.keras_code.code_writer import stack_to_code, stack_to_sequential_code
from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.keras_code.graph_report import GraphReport, analyze_code
from cnn_core.keras_code.layer_stack import LayerSpec

EDIT_ACTIONS = ("add", "remove", "up", "down")


@dataclass(frozen=True)
class ParsedStack:
    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]
    style: str = "functional"
    """How the code built the model: "sequential", "functional" or "implicit" (``GraphReport.style``)."""

    def functional_code(self) -> str:
        return stack_to_code(self.input_shape, self.layers)

    def sequential_code(self) -> str:
        return stack_to_sequential_code(self.input_shape, self.layers)

    def code(self) -> str:
        """The stack in the spelling its code had: ``keras.Sequential([...])`` or the functional API."""
        return self.sequential_code() if self.style == "sequential" else self.functional_code()


def stack_of(report: GraphReport) -> ParsedStack | None:
    """The layer stack of an analysed model, or ``None`` when it has branches, merges or several inputs."""
    if not report.is_chain():
        return None
    layers = tuple(n.spec for n in report.connected if n.spec is not None)
    return ParsedStack(report.input_shapes[0], layers, report.style)


def parse_stack(code: str) -> ParsedStack:
    """The layer stack of Keras code, for the editor's add/remove/move buttons.

    Any code :func:`cnn_core.keras_code.layer_graph.parse_graph` reads is accepted as long as its model is a
    straight chain (one input, each layer fed by the one before); branches raise ``not_a_stack``.
    """
    stack = stack_of(analyze_code(code))
    if stack is None:
        raise LayerCodeError(1, "not_a_stack", "this model has branches or merges, so it is not a plain layer stack")
    return stack


def edit_stack(code: str, action: str, position: int, new_layer: LayerSpec | None = None) -> str | None:
    """``code`` rewritten with one edit of its stack, in the spelling it had; ``None`` when it is not a stack.

    ``position`` is 1-based and clamped to the stack: "add" puts ``new_layer`` after that layer (first in an empty
    stack), "remove" drops it, "up"/"down" swap it with its neighbour (no change at either end).
    """
    if action not in EDIT_ACTIONS:
        raise ValueError(f"Unknown edit. Received: action={action!r}; expected one of {EDIT_ACTIONS}")
    try:
        stack = parse_stack(code)
    except LayerCodeError:
        return None
    layers = list(stack.layers)
    index = min(max(position, 1), max(len(layers), 1)) - 1
    if action == "add":
        if new_layer is None:
            raise ValueError("adding a layer needs new_layer")
        layers.insert(index + 1 if layers else 0, new_layer)
    elif action == "remove" and layers:
        layers.pop(index)
    elif action == "up" and 0 < index < len(layers):
        layers[index - 1], layers[index] = layers[index], layers[index - 1]
    elif action == "down" and index < len(layers) - 1:
        layers[index + 1], layers[index] = layers[index], layers[index + 1]
    return ParsedStack(stack.input_shape, tuple(layers), stack.style).code()
