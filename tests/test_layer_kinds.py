"""Every layer kind of the table, compared with real Keras: output shape and ``count_params()`` of each layer.

Each case is a one-layer model (two inputs for a merge) written as a learner would write it; Keras runs the code
itself and the editor reads the same text: the two must agree layer by layer. A kind added to
``cnn_core.keras_code.layer_table.LAYERS`` without a case here fails :func:`test_every_kind_of_the_table_has_a_case`.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.keras_code.graph_report import analyze_code
from cnn_core.keras_code.layer_table import LAYERS

ONE_INPUT = (
    "inputs = keras.Input(shape={shape})\noutputs = layers.{layer}(inputs)\nmodel = keras.Model(inputs, outputs)\n"
)
TWO_INPUTS = (
    "a = keras.Input(shape={shape})\nb = keras.Input(shape={shape})\n"
    "outputs = layers.{layer}([a, b])\nmodel = keras.Model([a, b], outputs)\n"
)

CASES: dict[str, tuple[tuple[tuple[int | None, ...], str], ...]] = {
    "Activation": (((8, 8, 3), "Activation('relu')"),),
    "ActivityRegularization": (((10,), "ActivityRegularization(l1=0.01)"),),
    "AveragePooling1D": (((20, 4), "AveragePooling1D(3, strides=2, padding='same')"), ((20, 4), "AveragePooling1D(2)")),
    "AveragePooling2D": (((9, 7, 3), "AveragePooling2D((3, 2))"), ((9, 7, 3), "AveragePooling2D(2, padding='same')")),
    "BatchNormalization": (((6, 6, 5), "BatchNormalization()"), ((6, 6, 5), "BatchNormalization(center=False)")),
    "CenterCrop": (((12, 10, 3), "CenterCrop(8, 6)"),),
    "Conv1D": (
        ((30, 8), "Conv1D(16, 5, activation='relu')"),
        ((30, 8), "Conv1D(4, 3, padding='causal', dilation_rate=2)"),
    ),
    "Conv2D": (
        ((11, 9, 3), "Conv2D(8, (3, 2), strides=2, padding='same')"),
        ((11, 9, 4), "Conv2D(8, 3, groups=2, use_bias=False)"),
    ),
    "Dense": (((12,), "Dense(7)"), ((5, 12), "Dense(3, use_bias=False)")),
    "DepthwiseConv2D": (((10, 10, 4), "DepthwiseConv2D(3, depth_multiplier=2)"),),
    "Dropout": (((10,), "Dropout(0.5)"),),
    "ELU": (((10,), "ELU()"),),
    "Flatten": (((4, 5, 6), "Flatten()"),),
    "GaussianDropout": (((10,), "GaussianDropout(0.2)"),),
    "GaussianNoise": (((10,), "GaussianNoise(0.1)"),),
    "GlobalAveragePooling1D": (((20, 4), "GlobalAveragePooling1D()"),),
    "GlobalAveragePooling2D": (
        ((6, 6, 5), "GlobalAveragePooling2D()"),
        ((6, 6, 5), "GlobalAveragePooling2D(keepdims=True)"),
    ),  # fmt: skip
    "GlobalMaxPooling1D": (((20, 4), "GlobalMaxPooling1D()"),),
    "GlobalMaxPooling2D": (((6, 6, 5), "GlobalMaxPooling2D()"),),
    "Identity": (((6, 6, 5), "Identity()"),),
    "LayerNormalization": (((7, 12), "LayerNormalization()"), ((7, 12), "LayerNormalization(scale=False)")),
    "LeakyReLU": (((10,), "LeakyReLU(negative_slope=0.2)"),),
    "MaxPooling1D": (((21, 4), "MaxPooling1D(2)"), ((21, 4), "MaxPooling1D(3, strides=1, padding='same')")),
    "MaxPooling2D": (((9, 7, 3), "MaxPooling2D()"), ((9, 7, 3), "MaxPooling2D(3, strides=2, padding='same')")),
    "RandomBrightness": (((16, 16, 3), "RandomBrightness(0.2)"),),
    "RandomContrast": (((16, 16, 3), "RandomContrast(0.2)"),),
    "RandomCrop": (((16, 16, 3), "RandomCrop(10, 12)"),),
    "RandomFlip": (((16, 16, 3), "RandomFlip('horizontal')"),),
    "RandomRotation": (((16, 16, 3), "RandomRotation(0.1)"),),
    "RandomTranslation": (((16, 16, 3), "RandomTranslation(0.1, 0.1)"),),
    "RandomZoom": (((16, 16, 3), "RandomZoom(0.2)"),),
    "ReLU": (((10,), "ReLU(max_value=6.0)"),),
    "Rescaling": (((16, 16, 3), "Rescaling(1 / 255)"),),
    "Reshape": (((4, 5, 6), "Reshape((20, 6))"), ((4, 5, 6), "Reshape((-1, 3))")),
    "Resizing": (((16, 12, 3), "Resizing(8, 10)"),),
    "SeparableConv2D": (((10, 10, 4), "SeparableConv2D(8, 3, padding='same')"),),
    "Softmax": (((10,), "Softmax()"),),
    "SpatialDropout2D": (((6, 6, 5), "SpatialDropout2D(0.2)"),),
    "UpSampling2D": (((5, 4, 3), "UpSampling2D(2)"), ((5, 4, 3), "UpSampling2D((3, 2), interpolation='bilinear')")),
    "ZeroPadding2D": (((5, 4, 3), "ZeroPadding2D(1)"), ((5, 4, 3), "ZeroPadding2D(((1, 2), (0, 3)))")),
    "Conv2DTranspose": (
        ((7, 5, 3), "Conv2DTranspose(8, 3, strides=2)"),
        ((7, 5, 3), "Conv2DTranspose(8, (4, 3), strides=2, padding='same')"),
        ((7, 5, 3), "Conv2DTranspose(4, 3, strides=(2, 3), padding='same', output_padding=(1, 2))"),
        ((7, 5, 3), "Conv2DTranspose(4, 3, dilation_rate=2, use_bias=False)"),
        ((7, 5, 3), "Conv2DTranspose(4, 5, strides=3, output_padding=0)"),
    ),
    "Conv1DTranspose": (
        ((9, 4), "Conv1DTranspose(6, 3, strides=2)"),
        ((9, 4), "Conv1DTranspose(6, 4, strides=2, padding='same', output_padding=1)"),
    ),  # fmt: skip
    "Conv3D": (((6, 8, 7, 2), "Conv3D(4, 3)"), ((6, 8, 7, 2), "Conv3D(4, (1, 3, 2), strides=2, padding='same')")),
    "MaxPooling3D": (((6, 8, 7, 2), "MaxPooling3D()"), ((6, 8, 7, 2), "MaxPooling3D(3, strides=2, padding='same')")),
    "AveragePooling3D": (((6, 8, 7, 2), "AveragePooling3D((2, 2, 1))"),),
    "GlobalAveragePooling3D": (((6, 8, 7, 2), "GlobalAveragePooling3D()"),),
    "GlobalMaxPooling3D": (((6, 8, 7, 2), "GlobalMaxPooling3D(keepdims=True)"),),
    "Cropping1D": (((10, 3), "Cropping1D()"), ((10, 3), "Cropping1D((2, 5))")),
    "Cropping2D": (
        ((9, 8, 3), "Cropping2D(2)"),
        ((9, 8, 3), "Cropping2D(((1, 2), (3, 0)))"),
        ((9, 8, 3), "Cropping2D((1, 2))"),
    ),  # fmt: skip
    "UpSampling1D": (((5, 3), "UpSampling1D(3)"),),
    "ZeroPadding1D": (((5, 3), "ZeroPadding1D()"), ((5, 3), "ZeroPadding1D((2, 0))")),
    "PReLU": (((6, 5, 4), "PReLU()"), ((6, 5, 4), "PReLU(shared_axes=[1, 2])")),
    "Embedding": (((12,), "Embedding(1000, 16)"), ((3, 4), "Embedding(input_dim=50, output_dim=8)")),
    "SimpleRNN": (((10, 6), "SimpleRNN(8)"), ((10, 6), "SimpleRNN(4, return_sequences=True, use_bias=False)")),
    "LSTM": (((10, 6), "LSTM(8)"), ((10, 6), "LSTM(32, return_sequences=True)")),
    "GRU": (((10, 6), "GRU(8)"), ((10, 6), "GRU(5, reset_after=False, return_sequences=True)")),
    "Permute": (((4, 5, 6), "Permute((2, 1, 3))"), ((4, 5), "Permute((2, 1))")),
    "RepeatVector": (((7,), "RepeatVector(3)"),),
    "Normalization": (
        ((5, 3), "Normalization()"),
        ((5, 3), "Normalization(axis=None)"),
        ((5, 3), "Normalization(axis=(1, 2))"),
        ((5, 3), "Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 1.0, 1.0])"),
    ),
    "Add": (((6, 6, 4), "Add()"),),
    "Average": (((6, 6, 4), "Average()"),),
    "Concatenate": (((6, 6, 4), "Concatenate()"), ((6, 6, 4), "Concatenate(axis=1)")),
    "Maximum": (((6, 6, 4), "Maximum()"),),
    "Minimum": (((6, 6, 4), "Minimum()"),),
    "Multiply": (((6, 6, 4), "Multiply()"),),
    "Subtract": (((6, 6, 4), "Subtract()"),),
}
"""Kind -> ``(input shape, the layer as a learner writes it)`` cases."""

MERGES = {"Add", "Average", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract"}


def test_every_kind_of_the_table_has_a_case():
    assert sorted(set(LAYERS) - set(CASES)) == [], "a kind the editor reads that no test compares with Keras"
    assert sorted(set(CASES) - set(LAYERS)) == []


def _listing(kind: str, shape: tuple, layer: str) -> str:
    return (TWO_INPUTS if kind in MERGES else ONE_INPUT).format(shape=shape, layer=layer)


def _keras_layers(code: str) -> list[tuple[tuple, int]]:
    namespace = {"keras": keras, "layers": keras.layers}
    keras.backend.clear_session()
    exec(code, namespace)  # noqa: S102 - the test's own listing, run by real Keras
    model = namespace["model"]
    return [
        (tuple(layer.output.shape[1:]), int(layer.count_params()))
        for layer in model.layers
        if layer.__class__.__name__ != "InputLayer"
    ]


@pytest.mark.parametrize(
    "kind,shape,layer", [(k, s, layer) for k, cases in CASES.items() for s, layer in cases], ids=lambda v: str(v)
)
def test_every_kind_matches_keras(kind, shape, layer):
    code = _listing(kind, shape, layer)
    report = analyze_code(code)
    ours = [(tuple(n.output_shape), n.params) for n in report.connected if n.kind != "InputLayer"]
    assert [n.kind for n in report.connected if n.kind != "InputLayer"] == [kind]
    assert ours == _keras_layers(code), code
    namespace = {"keras": keras, "layers": keras.layers}
    exec(code, namespace)  # noqa: S102
    assert report.total_params == namespace["model"].count_params()
    assert report.trainable_params == sum(int(np.prod(w.shape)) for w in namespace["model"].trainable_weights)


@pytest.mark.parametrize(
    "layer,channels",
    [("Conv2D(6, 3, groups=4)", 8), ("Conv2D(8, 3, groups=3)", 6), ("Conv1D(8, 3, groups=3)", 8)],
)
def test_groups_that_do_not_divide_are_refused_by_both(layer, channels):
    """Keras refuses a grouped convolution whose input channels or filters do not divide by ``groups``; so does the
    editor, with the numbers."""
    shape = (10, 10, channels) if layer.startswith("Conv2D") else (10, channels)
    code = _listing(layer.split("(")[0], shape, layer)
    with pytest.raises(ValueError):
        _keras_layers(code)
    with pytest.raises(LayerCodeError) as err:
        analyze_code(code)
    assert err.value.code == "bad_groups" and f"groups={layer.split('groups=')[1][0]}" in str(err.value)


@pytest.mark.parametrize(
    "kind,shape,layer,code",
    [
        ("Conv2DTranspose", (7, 5, 3), "Conv2DTranspose(4, 3, strides=2, output_padding=2)", "bad_output_padding"),
        ("Cropping2D", (4, 8, 3), "Cropping2D(((2, 2), (0, 0)))", "crop_too_large"),
        ("Permute", (4, 5), "Permute((1, 3))", "bad_permute"),
    ],
)
def test_what_keras_refuses_the_editor_refuses_with_a_coded_message(kind, shape, layer, code):
    listing = _listing(kind, shape, layer)
    with pytest.raises((ValueError, TypeError)):
        _keras_layers(listing)
    with pytest.raises(LayerCodeError) as err:
        analyze_code(listing)
    assert err.value.code == code


UNKNOWN_LENGTHS = {
    "Embedding, Conv1D, pooling over text of any length": """inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(20000, 128)(inputs)
x = layers.Dropout(0.5)(x)
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.MaxPooling1D(2)(x)
x = layers.Conv1D(128, 7, padding="same", activation="relu")(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dense(128, activation="relu")(x)
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
model = keras.Model(inputs, predictions)
""",
    "recurrent layers over sequences of any length": """inputs = keras.Input(shape=(None, 14))
x = layers.LSTM(32, return_sequences=True)(inputs)
x = layers.GRU(16)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
""",
    "a fully convolutional network on images of any size": """inputs = keras.Input(shape=(None, None, 3))
x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inputs)
x = layers.Conv2DTranspose(8, 3, strides=2, padding="same")(x)
y = layers.Conv2D(8, 1)(inputs)
x = layers.add([x, y])
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(4, activation="softmax")(x)
model = keras.Model(inputs, outputs)
""",
}


@pytest.mark.parametrize("code", UNKNOWN_LENGTHS.values(), ids=UNKNOWN_LENGTHS.keys())
def test_sizes_of_any_length_flow_as_in_keras(code):
    """``None`` sizes flow through every layer as Keras's ``compute_output_shape`` lets them: the same per-layer
    shapes (``None`` where the length is unknown) and the same weights."""
    report = analyze_code(code)
    ours = [(tuple(n.output_shape), n.params) for n in report.connected if n.kind != "InputLayer"]
    assert ours == _keras_layers(code)
    assert any(None in shape for shape, _ in ours)


def test_a_layer_that_needs_a_known_size_is_refused_by_name():
    """Dense after Flatten over a sequence of any length: Keras cannot build it; the editor says which layer needs
    the size, in its own words."""
    code = "inputs = keras.Input(shape=(None, 8))\nx = layers.Flatten()(inputs)\noutputs = layers.Dense(3)(x)\nmodel = keras.Model(inputs, outputs)\n"  # fmt: skip
    with pytest.raises(ValueError):
        _keras_layers(code)
    with pytest.raises(LayerCodeError) as err:
        analyze_code(code)
    assert err.value.code == "unknown_size" and err.value.details["kind"] == "Dense" and err.value.line == 3
