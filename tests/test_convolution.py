import keras
import numpy as np
import pytest

from cnn_core.concepts.convolution import (
    BOOK_PATCH_INPUT,
    KERNEL_PRESETS,
    conv2d,
    dot_product_terms,
    format_terms,
    pad_input,
    relu,
)
from cnn_core.concepts.shapes import conv2d_arithmetic


def _keras_conv(x, kernel, bias, strides, padding, dilation):
    layer = keras.layers.Conv2D(
        kernel.shape[-1], kernel.shape[:2], strides=strides, padding=padding, dilation_rate=dilation
    )
    layer.build((None, *x.shape))
    layer.set_weights([kernel.astype("float32"), np.asarray(bias, dtype="float32")])
    return np.asarray(layer(x[None].astype("float32")))[0]


@pytest.mark.parametrize(
    "shape,kernel,strides,padding,dilation",
    [
        ((5, 5, 1), (3, 3, 1, 1), 1, "valid", 1),
        ((5, 5, 1), (3, 3, 1, 1), 2, "valid", 1),
        ((5, 5, 1), (3, 3, 1, 1), 1, "same", 1),
        ((8, 8, 3), (3, 3, 3, 6), 1, "valid", 1),
        ((9, 7, 2), (3, 2, 2, 4), 2, "same", 1),
        ((9, 9, 1), (3, 3, 1, 2), 1, "valid", 2),
        ((6, 6, 1), (4, 4, 1, 1), 1, "same", 1),
    ],
    ids=["5x5-valid", "5x5-stride2", "5x5-same", "8x8x3-6filters", "rect-same-s2", "dilation2", "even-kernel-same"],
)
def test_conv2d_matches_keras(shape, kernel, strides, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 9, shape).astype(float)
    k = rng.normal(size=kernel)
    b = rng.normal(size=kernel[-1])
    ours = conv2d(x, k, b, strides, padding, dilation)
    np.testing.assert_allclose(ours, _keras_conv(x, k, b, strides, padding, dilation), rtol=1e-4, atol=1e-4)


def test_book_worked_example_gives_155():
    kernel = KERNEL_PRESETS["sobel_horizontal"]
    out = conv2d(BOOK_PATCH_INPUT, kernel)
    assert out.shape == (3, 3, 1)
    assert out[0, 0, 0] == 155
    arith = conv2d_arithmetic((5, 5, 1), 1, 3)
    terms = dot_product_terms(pad_input(BOOK_PATCH_INPUT, arith), kernel, arith, 0, 0)
    assert [t.value for t in terms] == [0, 0, 75, 0, 75, 80, 0, 75, 80]
    text = format_terms(terms, 0.0, 3)
    assert text.splitlines()[0] == "0 * -1 + 0 * -2 + 75 * -1 +"
    assert text.endswith("= 155")


def test_dot_product_terms_follow_stride_and_dilation():
    arith = conv2d_arithmetic((9, 9, 1), 1, 3, dilation_rate=2)
    x = np.arange(81.0).reshape(9, 9)
    terms = dot_product_terms(pad_input(x, arith), np.ones((3, 3)), arith, 1, 2)
    assert [(t.row, t.col) for t in terms[:3]] == [(1, 2), (1, 4), (1, 6)]
    assert sum(t.product for t in terms) == conv2d(x, np.ones((3, 3)), dilation_rate=2)[1, 2, 0]


def test_multichannel_filter_sums_its_channel_slices():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 8, 3))
    k = rng.normal(size=(3, 3, 3, 6))
    out = conv2d(x, k)
    assert out.shape == (6, 6, 6)
    per_channel = sum(conv2d(x[:, :, c], k[:, :, c, 0]) for c in range(3))
    np.testing.assert_allclose(out[:, :, 0:1], per_channel)


def test_relu_clips_negatives():
    np.testing.assert_array_equal(relu(np.array([-2.0, 0.0, 3.0])), [0, 0, 3])
