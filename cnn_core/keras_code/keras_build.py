"""Build real Keras models from layer stacks (imports TensorFlow lazily: only call when needed)."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from cnn_core.keras_code.graph_report import analyze_graph
from cnn_core.keras_code.layer_graph import parse_graph
from cnn_core.keras_code.layer_stack import LayerSpec, auto_names, freeze_all_but_last

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KerasLayerInfo:
    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int


@dataclass(frozen=True)
class KerasSummary:
    """What Keras itself reports for a model: per-layer shapes and ``count_params()``."""

    layers: tuple[KerasLayerInfo, ...]
    total_params: int
    trainable_weight_tensors: int
    trainable_params: int | None = None


def build_keras_model(input_shape: Sequence[int], layers: Sequence[LayerSpec]):  # -> keras.Model
    """``keras.Model`` of ``Input(input_shape)`` followed by ``layers`` (functional API)."""
    import keras  # noqa: PLC0415 - TensorFlow only when a real model is asked for

    inputs = keras.Input(shape=tuple(input_shape))
    x = inputs
    for layer, name in zip(layers, auto_names(layers), strict=True):
        cls = getattr(keras.layers, layer.kind)
        x = cls(**layer.arguments(), name=name)(x)
    return keras.Model(inputs=inputs, outputs=x)


def keras_vgg16_base(image_size: int):  # -> keras.Model
    """``keras.applications.VGG16(weights=None, include_top=False)``: architecture only, nothing downloaded."""
    import keras  # noqa: PLC0415

    return keras.applications.VGG16(weights=None, include_top=False, input_shape=(image_size, image_size, 3))


def summarize(model, unfrozen_last: int | None = None) -> KerasSummary:
    """Per-layer output shapes and parameters as Keras reports them.

    ``unfrozen_last`` applies the book's recipe first: ``trainable = True`` for the model,
    then every layer except the last ``unfrozen_last`` frozen (``None``: all trainable).
    """
    body = [layer for layer in model.layers if layer.__class__.__name__ != "InputLayer"]
    model.trainable = True
    for layer, frozen in zip(body, freeze_all_but_last(len(body), unfrozen_last), strict=True):
        layer.trainable = not frozen
    infos = tuple(
        KerasLayerInfo(
            layer.name,
            layer.__class__.__name__,
            tuple(int(d) for d in layer.output.shape[1:]),
            int(layer.count_params()),
        )
        for layer in body
    )
    return KerasSummary(infos, int(model.count_params()), len(model.trainable_weights))


def build_keras_graph(
    code: str, names: Mapping[str, object] | None = None, blocks: Collection[str] = ()
):  # -> keras.Model
    """The learner's model rebuilt in Keras from *our* graph (every node, branch and merge), never by running the code.

    Each layer is created once from its spec with the name we gave it, called on the same tensors
    as in the code, frozen where our reading says so; only layers connected to the outputs are built.
    """
    import keras  # noqa: PLC0415 - TensorFlow only when a real model is asked for

    parsed = parse_graph(code, names, blocks)
    report = analyze_graph(parsed)
    connected = {n.index for n in report.connected}
    built: dict[int, object] = {}
    tensors: dict[int, object] = {}
    for node in parsed.nodes:
        if node.index not in connected:
            continue
        layer = node.layer
        if layer is None or layer.spec is None:
            tensors[node.index] = keras.Input(shape=node.shape)
            continue
        if id(layer) not in built:
            keras_layer = getattr(keras.layers, layer.kind)(**layer.spec.arguments(), name=layer.name)
            top = parsed.model.trainable if parsed.model is not None else True
            keras_layer.trainable = top and layer.trainable
            built[id(layer)] = keras_layer
        inputs = [tensors[i] for i in node.inputs]
        tensors[node.index] = built[id(layer)](inputs if len(inputs) > 1 else inputs[0])
    inputs, outputs = [tensors[i] for i in report.inputs], [tensors[i] for i in report.outputs]
    return keras.Model(  # one input or output as itself: a list of one makes Keras warn at every call
        inputs=inputs[0] if len(inputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name="rebuilt",
    )


def summarize_graph(model) -> KerasSummary:
    """Per-layer output shapes (first call) and parameters of a rebuilt graph, with Keras's totals."""
    infos = tuple(
        KerasLayerInfo(
            layer.name,
            layer.__class__.__name__,
            tuple(None if d is None else int(d) for d in layer._inbound_nodes[0].output_tensors[0].shape[1:]),
            int(layer.count_params()),
        )
        for layer in model.layers
        if layer.__class__.__name__ != "InputLayer"
    )
    trainable = sum(int(math.prod(w.shape)) for w in model.trainable_weights)
    return KerasSummary(infos, int(model.count_params()), len(model.trainable_weights), trainable)
