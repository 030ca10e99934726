"""Receptive fields against Keras's own gradients: the input cells one output cell depends on."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cnn_core.concepts.receptive_field import AxisField, ReceptiveField
from cnn_core.concepts.shapes import conv_axis
from cnn_core.keras_code.code_writer import stack_to_code
from cnn_core.keras_code.graph_report import analyze_code
from cnn_core.keras_code.layer_stack import (
    AveragePooling2D,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    Flatten,
    MaxPooling2D,
    ZeroPadding2D,
)

SIZE = 24


def random_stack(rng: np.random.Generator) -> list:
    layers, size = [], SIZE
    for _ in range(rng.integers(1, 5)):
        choice = rng.integers(0, 4)
        padding = str(rng.choice(["valid", "same"]))
        if choice == 0:
            dilation = int(rng.integers(1, 4)) if rng.random() < 0.3 else 1
            stride = 1 if dilation > 1 else int(rng.integers(1, 4))
            layer = Conv2D(1, int(rng.integers(1, 6)), strides=stride, padding=padding, dilation_rate=dilation)
        elif choice == 1:
            pool = int(rng.integers(1, 4))
            layer = AveragePooling2D(pool, strides=int(rng.integers(1, 4)), padding=padding)
        elif choice == 2:
            layer = DepthwiseConv2D(int(rng.integers(1, 5)), strides=int(rng.integers(1, 3)), padding=padding)
        else:
            layer = ZeroPadding2D(((int(rng.integers(0, 3)), int(rng.integers(0, 3))), (int(rng.integers(0, 3)), 0)))
        try:
            out = analyze_code(stack_to_code((SIZE, SIZE, 1), [*layers, layer])).output_shape
        except Exception:  # noqa: BLE001 - a window larger than what is left: try another layer
            continue
        if out[0] < 1 or out[1] < 1:
            continue
        layers.append(layer)
        size = out[0]
    return layers if size >= 1 else []


GRADIENTS = """
import json, sys
import keras, numpy as np, tensorflow as tf
out = []
for stack in json.load(sys.stdin):
    keras.backend.clear_session()
    inputs = keras.Input((SIZE_, SIZE_, 1))
    x = inputs
    for kind, args in stack["layers"]:
        if kind in ("Conv2D", "DepthwiseConv2D"):
            args |= {"kernel_initializer" if kind == "Conv2D" else "depthwise_initializer": "ones", "use_bias": False}
        x = getattr(keras.layers, kind)(**args)(x)
    model = keras.Model(inputs, x)
    image = tf.ones((1, SIZE_, SIZE_, 1))
    masks = []
    for row, col in stack["cells"]:
        with tf.GradientTape() as tape:
            tape.watch(image)
            y = model(image)[0, row, col, 0]
        masks.append(np.argwhere(tape.gradient(y, image)[0, :, :, 0].numpy() != 0).tolist())
    out.append(masks)
print(json.dumps(out))
""".replace("SIZE_", str(SIZE))


def keras_gradient_cells(stacks: list[dict]) -> list:
    """For each stack and each of its probed output cells, the input cells with a non-zero gradient (all-ones
    kernels and input): the cells it depends on. In a fresh process with oneDNN's kernels off: with them, TensorFlow
    2.21 corrupts its heap on some of these random stacks (AVX-512, seen here), which would take the suite down."""
    done = subprocess.run(
        [sys.executable, "-c", GRADIENTS],
        input=json.dumps(stacks),
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_receptive_fields_agree_with_keras_gradients_on_random_stacks():
    rng = np.random.default_rng(2019)
    cases = []
    while len(cases) < 100:
        specs = random_stack(rng)
        if not specs:
            continue
        last = analyze_code(stack_to_code((SIZE, SIZE, 1), specs)).connected[-1]
        assert last.receptive_field.extent == "spatial", specs
        oh, ow = last.output_shape[:2]
        cells = sorted({(0, 0), (oh - 1, ow - 1), (oh // 2, ow // 2)})
        cases.append((specs, last.receptive_field, cells))
    stacks = [{"layers": [(s.kind, s.arguments()) for s in specs], "cells": cells} for specs, _, cells in cases]
    for (specs, field, cells), masks in zip(cases, keras_gradient_cells(stacks), strict=True):
        unpadded = all(getattr(spec, "padding", "valid") == "valid" for spec in specs)
        for (row, col), mask in zip(cells, masks, strict=True):
            seen = np.zeros((SIZE, SIZE), dtype=bool)
            seen[tuple(np.array(mask, dtype=int).reshape(-1, 2).T)] = True
            rows, cols = field.input_cells(row, col)
            expected = np.zeros((SIZE, SIZE), dtype=bool)
            expected[np.ix_(rows, cols)] = True
            assert (seen == expected).all(), (specs, row, col, field)
            if unpadded and seen.any():  # no padding anywhere: the field's size is the span of what it sees
                r, c = np.nonzero(seen)
                assert (r.max() - r.min() + 1, c.max() - c.min() + 1) == field.size, (specs, field)
                assert (r.min(), c.min()) == (field.rows.first + row * field.rows.jump, field.cols.first + col * field.cols.jump)  # fmt: skip


def test_the_books_two_reasons_for_pooling():
    """Seed 000: with pooling the last conv layer of the MNIST convnet sees 18x18 of the 28x28 digit; without, 7x7."""
    from cnn_core.keras_code.book_models import mnist_convnet

    sizes = {}
    for pooled in (True, False):
        model = mnist_convnet(pooled)
        report = analyze_code(stack_to_code(model.input_shape, model.layers))
        convs = [n for n in report.connected if n.kind == "Conv2D"]
        sizes[pooled] = convs[-1].receptive_field.size
        assert report.connected[-1].receptive_field.extent == "whole"  # the Dense head after Flatten sees everything
    assert sizes == {True: (18, 18), False: (7, 7)}


def test_max_pooling_has_the_same_field_as_average_pooling():
    shape = (9, 9, 3)
    assert MaxPooling2D(3, 2, "same").receptive_step(shape) == AveragePooling2D(3, 2, "same").receptive_step(shape)


def test_the_recurrence_step_by_step():
    field = AxisField()
    field = field.through(conv_axis(28, 3))  # 3x3 conv: 3 cells
    assert (field.size, field.jump, field.first) == (3, 1, 0)
    field = field.through(conv_axis(26, 2, 2))  # 2x2 pool, stride 2
    assert (field.size, field.jump, field.first) == (4, 2, 0)
    field = field.through(conv_axis(13, 3, 1, "same"))  # same padding starts one cell (two input cells) before
    assert (field.size, field.jump, field.first) == (8, 2, -2)
    assert field.cells(0, 28) == (0, 5) and field.cells(12, 28) == (22, 27)
    assert field.center() == 1.5


def test_flatten_keeps_each_value_s_field_and_dense_then_sees_all():
    flat = ReceptiveField("spatial", AxisField(5, 1, 0), AxisField(5, 1, 0)).then(Flatten().receptive_step((3, 3, 1)))
    assert flat.extent == "flat" and flat.size == (5, 5)
    assert flat.then(Dense(4).receptive_step((9,))).extent == "whole"


@pytest.mark.parametrize("shape", [(8, 8, 2)])
def test_dense_on_a_map_mixes_channels_only(shape):
    spatial = ReceptiveField("spatial", AxisField(3, 1, 0), AxisField(3, 1, 0))
    assert spatial.then(Dense(4).receptive_step(shape)) == spatial
