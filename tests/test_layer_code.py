import pytest

from cnn_core.keras_code.book_models import cats_vs_dogs_convnet, mnist_convnet
from cnn_core.keras_code.code_writer import stack_to_code
from cnn_core.keras_code.evaluator import LayerCodeError
from cnn_core.keras_code.graph_report import analyze_code
from cnn_core.keras_code.layer_code import edit_stack, parse_stack
from cnn_core.keras_code.layer_stack import Conv2D, Dense, Rescaling

BOOK_LISTING = """
# 입력층
inputs = keras.Input(shape=(28, 28, 1))

# 은닉층
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
"""


def test_parses_the_book_listing():
    parsed = parse_stack(BOOK_LISTING)
    assert parsed.input_shape == (28, 28, 1)
    assert parsed.layers == mnist_convnet(True).layers


@pytest.mark.parametrize(
    "model", [mnist_convnet(True), mnist_convnet(False), cats_vs_dogs_convnet()], ids=lambda m: m.key
)
def test_code_round_trip(model):
    parsed = parse_stack(stack_to_code(model.input_shape, model.layers))
    assert parsed.input_shape == model.input_shape
    assert parsed.layers == model.layers


def test_rescaling_renders_as_book_writes_it():
    code = stack_to_code((180, 180, 3), (Rescaling(1 / 255), Conv2D(32, 3, activation="relu"), Dense(1)))
    assert "layers.Rescaling(1./255)" in code
    assert 'layers.Conv2D(32, 3, activation="relu")' in code


@pytest.mark.parametrize(
    "code,line,error",
    [
        ("Input((28, 28, 1))\nConv2D(32, 3,", 2, "syntax"),
        ("Input((28, 28, 1))\nConv2d(3, 3)", 2, "unknown_layer"),
        ("Input((28, 28, 1))\nConvLSTM2D(3, 3)", 2, "unsupported_layer"),
        ("Input((28, 28, 1))\nConv2D(32, 3, color='red')", 2, "unknown_argument"),
        ("Input((28, 28, 1))\nConv2D(__import__('os').getpid(), 3)", 2, "not_literal"),
        ("Input((28, 28, 1))\nDense(10, activation='magic')", 2, "bad_activation"),
        ("Conv2D(32, 3)", 1, "no_input"),
        ("Input((28, -1, 1))", 1, "bad_input"),
        ("Input((8, 8, 1))\nConv2D(8, 3, padding='full')", 2, "bad_padding"),
        ("x = Input((8, 8, 1))\ny = Conv2D(4, 3)(x)\nz = Conv2D(4, 3)(x)\nAdd()([y, z])", 1, "not_a_stack"),
    ],
    ids=[
        "syntax",
        "typo-layer",
        "lstm-unsupported",
        "unknown-arg",
        "no-code-execution",
        "activation",
        "no-input",
        "negative-dim",
        "padding",
        "branches",
    ],
)
def test_bad_code_is_explained_with_line(code, line, error):
    with pytest.raises(LayerCodeError) as err:
        parse_stack(code)
    assert (err.value.line, err.value.code) == (line, error)


def test_notebook_lines_are_ignored_not_refused():
    parsed = parse_stack("import os\nInput((8, 8, 1))\nprint('hi')\nDense(3)")
    assert parsed.input_shape == (8, 8, 1) and parsed.layers == (Dense(3),)


def test_sequential_code_round_trip():
    from cnn_core.keras_code.code_writer import stack_to_sequential_code

    model = cats_vs_dogs_convnet()
    parsed = parse_stack(stack_to_sequential_code(model.input_shape, model.layers))
    assert parsed.layers == model.layers


SEQUENTIAL = """model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])"""


def test_an_edit_keeps_the_spelling_the_code_had():
    added = edit_stack(SEQUENTIAL, "add", 1, Dense(64))
    assert added.startswith("model = keras.Sequential([")
    assert [n.kind for n in analyze_code(added).connected][1:] == ["Conv2D", "Dense", "Flatten", "Dense"]
    functional = parse_stack(SEQUENTIAL).functional_code()
    removed = edit_stack(functional, "remove", 2)
    assert removed.startswith("inputs = keras.Input(shape=(28, 28, 1))")
    assert [n.kind for n in analyze_code(removed).connected][1:] == ["Conv2D", "Dense"]
    moved = edit_stack(SEQUENTIAL, "up", 3)
    assert [n.kind for n in analyze_code(moved).connected][1:] == ["Conv2D", "Dense", "Flatten"]
    assert edit_stack(SEQUENTIAL, "down", 3) == parse_stack(SEQUENTIAL).sequential_code()  # the last layer stays
    assert edit_stack(SEQUENTIAL, "remove", 99).count("layers.") == 2  # clamped to the last layer


def test_an_edit_of_a_model_with_branches_changes_nothing():
    branches = """inputs = keras.Input(shape=(8, 8, 3))
a = layers.Conv2D(4, 3)(inputs)
b = layers.Conv2D(4, 3)(inputs)
outputs = layers.add([a, b])
model = keras.Model(inputs, outputs)"""
    assert edit_stack(branches, "remove", 1) is None
    with pytest.raises(ValueError, match="Received: action='swap'"):
        edit_stack(SEQUENTIAL, "swap", 1)
