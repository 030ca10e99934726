import keras
import numpy as np
import pytest

from cnn_core.concepts.pooling import pool2d, pool_axis_formula, window_cells


@pytest.mark.parametrize(
    "shape,pool,strides,padding",
    [
        ((4, 4, 1), 2, None, "valid"),
        ((5, 5, 2), 2, None, "same"),
        ((7, 6, 3), 3, 2, "valid"),
        ((6, 6, 1), 3, 1, "same"),
    ],
    ids=["4x4-pool2", "5x5-same", "pool3-s2", "pool3-s1-same"],
)
@pytest.mark.parametrize("mode", ["max", "average"])
def test_pool2d_matches_keras(shape, pool, strides, padding, mode):
    x = np.random.default_rng(2).normal(size=shape)
    cls = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    expected = np.asarray(cls(pool, strides=strides, padding=padding)(x[None].astype("float32")))[0]
    np.testing.assert_allclose(pool2d(x, pool, strides, padding, mode).values, expected, rtol=1e-5, atol=1e-6)


def test_max_pool_winners_point_at_the_max():
    x = np.array([[1, 3, 2, 0], [4, 2, 1, 7], [0, 0, 5, 1], [2, 9, 1, 1]], dtype=float)
    result = pool2d(x, 2)
    np.testing.assert_array_equal(result.values[:, :, 0], [[4, 7], [9, 5]])
    assert [tuple(result.winners[r, c, 0]) for r in range(2) for c in range(2)] == [(1, 0), (1, 3), (3, 1), (2, 2)]


def test_pooling_keeps_channels():
    assert pool2d(np.zeros((26, 26, 32)), 2).values.shape == (13, 13, 32)


def test_pool_formula():
    result = pool2d(np.zeros((26, 26, 1)), 2)
    assert pool_axis_formula(result.rows).endswith(r"\left\lfloor \frac{26 - 2}{2} \right\rfloor + 1 = 13")


def test_window_cells_match_the_winners_and_leave_out_padding():
    x = np.arange(25, dtype=float).reshape(5, 5)
    valid = pool2d(x, 2)
    assert window_cells(valid, 1, 1) == [(2, 2), (2, 3), (3, 2), (3, 3)]
    same = pool2d(x, 2, padding="same")  # 3x3 output: the last window holds only the corner cell
    assert window_cells(same, 2, 2) == [(4, 4)]
    for r in range(3):
        for c in range(3):
            assert tuple(same.winners[r, c, 0]) in window_cells(same, r, c)
