import itertools

import keras
import numpy as np
import pytest

from cnn_core.concepts.shapes import (
    ShapeError,
    conv2d_arithmetic,
    conv_axis,
    conv_axis_formula,
    normalize_tuple,
    pool2d_output_shape,
)

CASES = [
    # (input, kernel, stride, padding, dilation)
    (i, k, s, p, d)
    for i, k, s, p, d in itertools.product((5, 7, 8, 28), (1, 2, 3, 5), (1, 2, 3), ("valid", "same"), (1, 2))
    if not (s > 1 and d > 1) and (p == "same" or d * (k - 1) + 1 <= i)
]


def _case_id(case):
    i, k, s, p, d = case
    return f"i{i}-k{k}-s{s}-{p}-d{d}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_conv_output_matches_keras(case):
    i, k, s, p, d = case
    layer = keras.layers.Conv2D(2, k, strides=s, padding=p, dilation_rate=d)
    expected = layer.compute_output_shape((None, i, i + 1, 3))
    got = conv2d_arithmetic((i, i + 1, 3), 2, k, s, p, d).output_shape
    assert (None, *got) == tuple(expected)


@pytest.mark.parametrize("i,k,s,p", [(5, 3, 1, 1), (5, 3, 2, 1), (7, 3, 2, 2), (4, 5, 1, 1)], ids=str)
def test_explicit_padding_matches_zeropadding_then_valid(i, k, s, p):
    model = keras.Sequential(
        [keras.Input((i, i, 1)), keras.layers.ZeroPadding2D(p), keras.layers.Conv2D(1, k, strides=s)]
    )
    assert conv2d_arithmetic((i, i, 1), 1, k, s, p).output_shape == tuple(model.output_shape[1:])


def test_same_padding_split_puts_extra_cell_bottom_right():
    axis = conv_axis(6, 4, 2, "same")
    # out = ceil(6/2) = 3; total = (3-1)*2 + 4 - 6 = 2 -> 1/1
    assert (axis.output_size, axis.pad_before, axis.pad_after) == (3, 1, 1)
    axis = conv_axis(5, 4, 1, "same")
    # total = 4*1 + 4 - 5 = 3 -> top 1, bottom 2
    assert (axis.pad_before, axis.pad_after) == (1, 2)


@pytest.mark.parametrize(
    "padding,stride,expected",
    [("valid", 1, 3), ("valid", 2, 2), ("same", 1, 5)],
    ids=["valid-s1", "valid-s2", "same-s1"],
)
def test_book_5x5_cases(padding, stride, expected):
    assert conv_axis(5, 3, stride, padding).output_size == expected


def test_kernel_larger_than_padded_input_is_explained():
    with pytest.raises(ShapeError) as err:
        conv_axis(5, 7)
    assert err.value.code == "kernel_too_large"
    assert "Received: kernel_size=7 > padded input 5" in str(err.value)
    with pytest.raises(ShapeError, match="dilated to 5"):
        conv_axis(4, 3, dilation=2)


def test_stride_with_dilation_refused_like_keras():
    with pytest.raises(ShapeError) as err:
        conv2d_arithmetic((9, 9, 1), 1, 3, strides=2, dilation_rate=2)
    assert err.value.code == "stride_and_dilation"
    with pytest.raises(ValueError):
        keras.layers.Conv2D(1, 3, strides=2, dilation_rate=2).build((None, 9, 9, 1))


@pytest.mark.parametrize(
    "bad", [0, -1, (1, 2, 3), 1.5, True], ids=["zero", "negative", "wrong-length", "float", "bool"]
)
def test_normalize_tuple_rejects(bad):
    with pytest.raises(ShapeError):
        normalize_tuple(bad, 2, "kernel_size")


@pytest.mark.parametrize(
    "shape,pool,stride,padding",
    [
        ((26, 26, 32), 2, None, "valid"),
        ((5, 5, 3), 2, None, "same"),
        ((7, 9, 1), 3, 2, "valid"),
        ((7, 7, 4), 3, 1, "same"),
    ],
    ids=["book-26", "same-5", "pool3-s2", "pool3-same"],
)
@pytest.mark.parametrize("layer_cls", [keras.layers.MaxPooling2D, keras.layers.AveragePooling2D], ids=["max", "avg"])
def test_pool_output_matches_keras(shape, pool, stride, padding, layer_cls):
    expected = layer_cls(pool, strides=stride, padding=padding).compute_output_shape((None, *shape))
    assert (None, *pool2d_output_shape(shape, pool, stride, padding)) == tuple(expected)


def test_pooling_keeps_channels():
    assert pool2d_output_shape((26, 26, 32), 2) == (13, 13, 32)


def test_formula_fills_in_numbers():
    text = conv_axis_formula(conv_axis(5, 3, 2, "valid"))
    assert r"\frac{5 + 2\cdot0 - 1\cdot(3-1) - 1}{2}" in text and text.endswith("= 2")
    assert np.isclose(conv_axis(28, 3).output_size, 26)
