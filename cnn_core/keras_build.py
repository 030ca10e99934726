"""Build real Keras models from layer stacks (imports TensorFlow lazily: only call when needed)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from cnn_core.layer_stack import LayerSpec, auto_names, freeze_all_but_last

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
