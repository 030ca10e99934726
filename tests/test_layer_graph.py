"""The code reader's rules against Keras itself: signatures, activations, argument binding, graphs."""

from __future__ import annotations

import inspect
from pathlib import Path

import keras
import numpy as np
import pytest

from cnn_core.keras_code.evaluator import LayerCodeError, clean_cell
from cnn_core.keras_code.graph_report import analyze_code
from cnn_core.keras_code.keras_build import build_keras_graph
from cnn_core.keras_code.layer_table import (
    BASE_LAYER_ARGUMENTS,
    KERAS_ACTIVATIONS,
    KERAS_SIGNATURES,
    LAYER_ALIASES,
    REQUIRED_ARGUMENTS,
)


@pytest.mark.parametrize("kind", sorted(KERAS_SIGNATURES))
def test_signatures_are_keras_own(kind):
    params = list(inspect.signature(getattr(keras.layers, kind).__init__).parameters.values())[1:]
    positional = tuple(p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD)
    required = tuple(p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD and p.default is p.empty)
    assert KERAS_SIGNATURES[kind] == positional
    assert REQUIRED_ARGUMENTS.get(kind, ()) == required


def test_aliases_are_keras_aliases():
    for alias, kind in LAYER_ALIASES.items():
        assert getattr(keras.layers, alias) is getattr(keras.layers, kind)


def test_base_arguments_are_accepted_by_keras():
    for argument in BASE_LAYER_ARGUMENTS - {"input_dim", "input_shape"}:
        assert argument in inspect.signature(keras.layers.Layer.__init__).parameters
    keras.layers.Dense(3, input_dim=4)
    keras.layers.Dense(3, input_shape=(4,))
    with pytest.raises(ValueError):
        keras.layers.Dense(3, batch_input_shape=(None, 4))


def test_activation_names_are_keras_activations():
    for name in KERAS_ACTIVATIONS:
        assert keras.activations.get(name) is not None, name


def keras_total(code: str) -> tuple[int, int]:
    namespace = {"keras": keras, "layers": keras.layers}
    keras.backend.clear_session()
    exec(code, namespace)  # noqa: S102 - trusted test code
    model = namespace["model"]
    return model.count_params(), sum(int(np.prod(w.shape)) for w in model.trainable_weights)


UNUSED_CONV = """
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.MaxPooling2D(2)(inputs)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
"""

UNUSED_BRANCH = """
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(32, 3, activation="relu")(inputs)
branch = layers.Conv2D(64, 3, activation="relu")(x)
branch = layers.GlobalAveragePooling2D()(branch)
x = layers.MaxPooling2D(2)(x)
x = layers.Flatten()(x)
outputs = layers.Dense(20, activation="softmax")(x)
model = keras.Model(inputs, outputs)
"""


@pytest.mark.parametrize(
    "code,unused", [(UNUSED_CONV, ["Conv2D"]), (UNUSED_BRANCH, ["Conv2D", "GlobalAveragePooling2D"])]
)
def test_unconnected_layers_are_reported_and_not_counted(code, unused):
    report = analyze_code(code)
    assert (report.total_params, report.trainable_params) == keras_total(code)
    assert [w.details["kind"] for w in report.warnings if w.code == "unused_layer"] == unused
    assert all(
        not n.connected for n in report.nodes if n.kind in unused and n.line in {w.line for w in report.warnings}
    )


def test_unused_conv_typo_gives_keras_total():
    assert analyze_code(UNUSED_CONV).total_params == 1_970 == keras_total(UNUSED_CONV)[0]


SHARED_AND_MERGES = """
from tensorflow import keras
from tensorflow.keras import layers
a = keras.Input(shape=(16, 16, 3))
b = keras.Input(shape=(16, 16, 3))
shared = layers.Conv2D(8, 3, padding="SAME", kernel_initializer="he_normal")
x = layers.Concatenate()([shared(a), shared(b)])
y = layers.multiply([shared(a), shared(b)])
z = layers.average([x[..., :8] if False else layers.Conv2D(8, 1)(x), y])
m = layers.maximum([z, layers.Subtract()([y, z])])
m = layers.ZeroPadding2D(((1, 2), (3, 4)))(m)
m = layers.DepthwiseConv2D(3, depth_multiplier=2)(m)
m = layers.LeakyReLU(0.1)(m)
m = layers.ActivityRegularization(l2=0.01)(m)
m = layers.Reshape((-1, 16))(m)
m = layers.Conv1D(4, 3, padding="causal")(m)
m = layers.GlobalMaxPooling1D()(m)
outputs = layers.Dense(2, activation="leaky_relu")(m)
model = keras.Model(inputs=[a, b], outputs=outputs)
"""


def test_shared_layers_merges_and_rare_layers_match_keras():
    report = analyze_code(SHARED_AND_MERGES)
    namespace: dict = {}
    keras.backend.clear_session()
    exec(SHARED_AND_MERGES, namespace)  # noqa: S102
    model = namespace["model"]
    assert report.total_params == model.count_params()
    assert report.output_shape == tuple(model.output.shape[1:])
    shared = [n for n in report.nodes if n.name == "conv2d"]
    assert len(shared) == 4 and sum(n.shared for n in shared) == 3
    assert report.style == "functional" and len(report.inputs) == 2


@pytest.mark.parametrize(
    "code,error",
    [
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2D(32, 3, filters=64)(x)", "duplicate_argument"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2D(32, 3, colour='red')(x)", "unknown_argument"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2D(kernel_size=3)(x)", "missing_argument"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2d(32, 3)(x)", "unknown_layer"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.ConvLSTM2D(3, 3)(x)", "unsupported_layer"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Dropout('0.5')(x)", "bad_value"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Dropout(None)(x)", "bad_value"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Dense(10, activation='magic')(x)", "bad_activation"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2D(8, 3, padding='full')(x)", "bad_padding"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2D(n, 3)(x)", "undefined_name"),
        (
            "import numpy as np\nx = keras.Input(shape=(8, 8, 1))\nn = np.prod(x.shape)\ny = layers.Conv2D(n, 3)(x)",
            "not_literal",
        ),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2D(__import__('os').getpid(), 3)(x)", "not_literal"),
        ("x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2D(8, 9)(x)", "kernel_too_large"),
        ("a = keras.Input(shape=(8, 8, 1))\nb = keras.Input(shape=(4, 4, 1))\ny = layers.add([a, b])", "merge_shapes"),
        (
            "a = keras.Input(shape=(8, 8, 1))\nb = keras.Input(shape=(8, 8, 1))\nm = keras.Model(a, layers.add([a, b]))",
            "graph_disconnected",
        ),
        ("model = keras.Sequential([layers.Dense(3)])", "no_input"),
        ("import numpy as np\nprint(1)", "no_model"),
        ("x = keras.Input(shape=(8, 8, 1)\n", "syntax"),
        ("x = keras.Input(shape=784)", "bad_input"),
    ],
)
def test_bad_code_gets_a_coded_error(code, error):
    with pytest.raises(LayerCodeError) as err:
        analyze_code(code)
    assert err.value.code == error


@pytest.mark.parametrize(
    "code",
    [
        "x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2D(32, 3, filters=64)(x)",
        "x = keras.Input(shape=(8, 8, 1))\ny = layers.Conv2D(kernel_size=3)(x)",
        "x = keras.Input(shape=(8, 8, 1))\ny = layers.Dropout('0.5')(x)",
    ],
)
def test_keras_refuses_the_same_arguments(code):
    with pytest.raises((TypeError, ValueError)):
        exec(code, {"keras": keras, "layers": keras.layers})  # noqa: S102


def test_copy_damage_is_cleaned():
    pasted = """>>> from tensorflow import keras
>>> model = keras.Sequential([
...     keras.layers.Dense(4, input_dim=3),
... ])
>>> model.summary()
Model: "sequential"
%matplotlib inline
!pip install tensorflow
"""
    cleaned = clean_cell(pasted)
    assert cleaned.splitlines()[1].startswith("model = keras.Sequential")
    report = analyze_code(pasted)
    assert report.total_params == 16 and report.input_shapes == ((3,),)


def test_names_bound_to_literals_and_tuple_arithmetic():
    code = """
num_classes = 10
img_height = img_width = 32
n = 2 ** 4
model = keras.Sequential([
    layers.Input((img_height, img_width) + (3,)),
    layers.Conv2D(n, 3, padding="valid"),
    layers.MaxPool2D(),
    layers.Flatten(),
    layers.Dense(num_classes * 2 // 2),
])
"""
    report = analyze_code(code)
    assert report.output_shape == (10,)
    assert report.connected[1].params == (3 * 3 * 3 + 1) * 16


def test_trainable_flags_follow_keras_setters():
    code = """
base = keras.Sequential([layers.Input((8,)), layers.Dense(4), layers.BatchNormalization()])
base.trainable = False
base.layers[0].trainable = True
inputs = keras.Input((8,))
model = keras.Model(inputs, layers.Dense(1)(base(inputs)))
"""
    report = analyze_code(code)
    assert (report.total_params, report.trainable_params) == keras_total(code)


def test_graph_builds_in_keras_with_the_same_numbers():
    report = analyze_code(SHARED_AND_MERGES)
    model = build_keras_graph(SHARED_AND_MERGES)
    assert model.count_params() == report.total_params


def test_copy_damage_is_mended_keeping_line_numbers():
    from cnn_core.keras_code.evaluator import Repair, prepare_code

    web = 'inputs= keras.Input(shape=(8, 8, 1)) x= layers.Conv2D(4, 3)(inputs)\nprint("a= b c= d") y= x'
    prepared = prepare_code(web)
    assert prepared.text.split("\n")[0] == "inputs= keras.Input(shape=(8, 8, 1)); x= layers.Conv2D(4, 3)(inputs)"
    assert prepared.text.split("\n")[1] == 'print("a= b c= d"); y= x'  # text inside the string is left alone
    assert prepared.repairs == (Repair(1, "split"), Repair(2, "split"))
    doctest = "x = keras.Input(shape=(4,))\ny = layers.Dense(2)(x)\n>>> model.summary()\nModel: 'functional'\n"
    prepared = prepare_code(doctest)
    assert prepared.text.split("\n")[:4] == [
        "x = keras.Input(shape=(4,))",
        "y = layers.Dense(2)(x)",
        "model.summary()",
        "",
    ]
    assert [r.line for r in prepared.repairs] == [3, 4]
    with pytest.raises(LayerCodeError) as err:
        prepare_code("x = (1 2")
    assert err.value.code == "syntax"


def test_each_layer_of_a_multi_line_sequential_is_on_its_own_line():
    """The walk-through's defect: the table's "Line" column said 1 for every layer of keras.io's Sequential cell."""
    code = (
        "model = keras.Sequential(\n"
        "    [\n"
        "        keras.Input(shape=(28, 28, 1)),\n"
        "        layers.Conv2D(32, kernel_size=(3, 3), activation='relu'),\n"
        "        layers.MaxPooling2D(pool_size=(2, 2)),\n"
        "        layers.Flatten(),\n"
        "        layers.Dense(10, activation='softmax'),\n"
        "    ]\n"
        ")\n"
    )
    graph = analyze_code(code)
    lines = {n.kind: n.line for n in graph.connected}
    assert lines == {"InputLayer": 3, "Conv2D": 4, "MaxPooling2D": 5, "Flatten": 6, "Dense": 7}


def test_an_undefined_name_is_reported_on_its_own_line():
    """The walk-through's defect: "line 1: input_shape is not defined" for a name on line 3."""
    code = "model = keras.Sequential([\n    layers.Conv2D(32, 3, activation='relu',\n                  input_shape=input_shape),\n    layers.Flatten(),\n])"
    with pytest.raises(LayerCodeError) as err:
        analyze_code(code)
    assert err.value.code == "undefined_name" and err.value.line == 3


def _without_the_call(listing: str) -> str:
    return "\n".join(line for line in listing.splitlines() if not line.startswith("model = make_model("))


def test_a_builder_function_that_is_never_called_is_read_as_called_with_its_arguments_asked():
    """keras.io's "Build a model" section copied without the line that calls ``make_model``: the function is read as
    called; its two parameters are asked for by name, and with the learner's values the total is Keras's."""
    from cnn_core.keras_code.graph_report import missing_names  # noqa: PLC0415

    listing = (Path(__file__).parent / "model_corpus" / "kerasio_image_classification_from_scratch.py").read_text()
    code = _without_the_call(listing)
    assert "make_model(" in code and "model = make_model" not in code
    with pytest.raises(LayerCodeError) as err:
        analyze_code(code)
    assert err.value.code == "undefined_name" and err.value.details["name"] in ("input_shape", "num_classes")
    assert [q.name for q in missing_names(code, {})] == ["input_shape", "num_classes"]  # both asked at once
    report = analyze_code(code, {"input_shape": (180, 180, 3), "num_classes": 2})
    namespace = {"keras": keras, "layers": keras.layers}
    keras.backend.clear_session()
    published = listing.replace("image_size + (3,)", "(180, 180, 3)").split("keras.utils.plot_model")[0]
    exec(published, namespace)  # noqa: S102 - the published listing up to its plot (pydot is not installed)
    assert report.total_params == namespace["model"].count_params()
    assert [w.code for w in report.warnings][:1] == ["builder_called"]


def test_several_uncalled_builders_read_the_last_and_name_the_others():
    code = """def tiny(n):
    return keras.Sequential([keras.Input((8,)), layers.Dense(n)])

def small(n, k=2):
    inputs = keras.Input((8,))
    return keras.Model(inputs, layers.Dense(n * k)(inputs))

def block(x):
    return layers.Dense(3)(x)
"""
    report = analyze_code(code, {"n": 4})
    assert report.total_params == (8 + 1) * 8
    warning = report.warnings[0]
    assert warning.code == "builder_called_of_several" and warning.details == {"name": "small", "others": "tiny"}


def test_keras_2_spellings_are_read_as_keras_3_with_a_note():
    """``Model(input=, output=)`` and ``keras.layers.merge.concatenate`` (older books): read as Keras 3's
    ``inputs=``/``outputs=`` and ``keras.layers.concatenate``, each with a note; the count is Keras 3's."""
    old = """from keras.layers.merge import concatenate
a = keras.Input(shape=(8, 8, 3))
x = layers.Conv2D(4, 3)(a)
y = layers.Conv2D(4, 3)(a)
z = concatenate([x, y])
w = keras.layers.merge.add([x, y])
model = keras.Model(input=a, output=layers.Flatten()(concatenate([z, w])))
"""
    new = """a = keras.Input(shape=(8, 8, 3))
x = layers.Conv2D(4, 3)(a)
y = layers.Conv2D(4, 3)(a)
z = layers.concatenate([x, y])
w = layers.add([x, y])
model = keras.Model(inputs=a, outputs=layers.Flatten()(layers.concatenate([z, w])))
"""
    report = analyze_code(old)
    assert report.total_params == keras_total(new)[0] == analyze_code(new).total_params
    notes = {(w.details["old"], w.details["new"]) for w in report.warnings if w.code == "old_spelling"}
    assert ("Model(input=...)", "Model(inputs=...)") in notes and ("Model(output=...)", "Model(outputs=...)") in notes
    assert any(old.endswith("merge.add") for old, _ in notes)


@pytest.mark.parametrize(
    "code,shape,keras_input",
    [
        (  # the array never defined in the cell
            "model = keras.Sequential([\n    keras.Input(shape=x_train.shape[1:]),\n    layers.Conv2D(32, 3, activation='relu'),\n"
            "    layers.Flatten(),\n    layers.Dense(10, activation='softmax'),\n])\n",
            (60000, 28, 28, 1),
            (28, 28, 1),
        ),
        (  # loaded by code the reader does not run (the book's temperature series)
            "import numpy as np\nfloat_data = np.loadtxt('jena_climate_2009_2016.csv')\nmodel = keras.Sequential()\n"
            "model.add(layers.Conv1D(32, 5, activation='relu', input_shape=(None, float_data.shape[-1])))\n"
            "model.add(layers.GlobalMaxPooling1D())\nmodel.add(layers.Dense(1))\n",
            (420451, 14),
            (None, 14),
        ),
    ],
)
def test_a_shape_read_from_an_array_is_asked_as_that_arrays_shape(code, shape, keras_input):
    """``x_train.shape[1:]``, ``float_data.shape[-1]``: the page asks for "x_train.shape" (a tuple), applies the
    listing's own slice to the answer, and counts as Keras does with that input."""
    name = "x_train.shape" if "x_train" in code else "float_data.shape"
    with pytest.raises(LayerCodeError) as err:
        analyze_code(code)
    assert err.value.code == "undefined_name" and err.value.details["name"] == name
    report = analyze_code(code, {name: shape})
    assert report.input_shapes[0] == keras_input
    inputs = keras.Input(shape=keras_input)
    layers_ = [n.spec for n in report.connected if n.spec is not None]
    x = inputs
    for spec in layers_:
        x = getattr(keras.layers, spec.kind)(**spec.arguments())(x)
    assert report.total_params == keras.Model(inputs, x).count_params()
