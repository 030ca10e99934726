"""Max and average pooling in NumPy, as Keras's ``MaxPooling2D``/``AveragePooling2D`` compute them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnn_core.concepts.convolution import as_hwc
from cnn_core.concepts.shapes import AxisArithmetic, pool2d_arithmetic

PoolMode = Literal["max", "average"]


@dataclass(frozen=True)
class PoolResult:
    """Pooled values ``(oh, ow, c)`` and, for max pooling, the input cell that won each window.

    ``winners[r, c, ch] = (row, col)`` in input coordinates (``-1`` for average pooling).
    """

    values: np.ndarray
    winners: np.ndarray
    rows: AxisArithmetic
    cols: AxisArithmetic


def pool2d(
    x: np.ndarray,
    pool_size: int | Sequence[int] = 2,
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    mode: PoolMode = "max",
) -> PoolResult:
    """``y[o_r, o_c, ch] = max`` (or mean) of ``x`` over the window starting at ``(o_r*s_r, o_c*s_c)``.

    With ``same`` padding the padded cells are ignored, never counted, exactly
    like Keras (a window's mean divides by its real cells only).
    """
    if mode not in ("max", "average"):
        raise ValueError(f"mode must be 'max' or 'average'. Received: mode={mode!r}")
    xs = as_hwc(x)
    h, w, channels = xs.shape
    rows, cols = pool2d_arithmetic(xs.shape, pool_size, strides, padding)
    fill = -np.inf if mode == "max" else np.nan
    xp = np.pad(
        xs, ((rows.pad_before, rows.pad_after), (cols.pad_before, cols.pad_after), (0, 0)), constant_values=fill
    )
    windows = sliding_window_view(xp, (rows.kernel_size, cols.kernel_size), axis=(0, 1))
    windows = windows[:: rows.stride, :: cols.stride][: rows.output_size, : cols.output_size]
    flat = windows.reshape(*windows.shape[:3], -1)  # (oh, ow, c, kh*kw)
    winners = np.full((*flat.shape[:3], 2), -1, dtype=np.int64)
    if mode == "average":
        values = np.nanmean(flat, axis=-1)
    else:
        best = flat.argmax(axis=-1)
        values = np.take_along_axis(flat, best[..., None], axis=-1)[..., 0]
        oh_idx = np.arange(rows.output_size)[:, None, None]
        ow_idx = np.arange(cols.output_size)[None, :, None]
        winners[..., 0] = oh_idx * rows.stride - rows.pad_before + best // cols.kernel_size
        winners[..., 1] = ow_idx * cols.stride - cols.pad_before + best % cols.kernel_size
    return PoolResult(values, winners, rows, cols)


def window_cells(result: PoolResult, out_row: int, out_col: int) -> list[tuple[int, int]]:
    """The input cells ``(row, col)`` pooled into output ``(out_row, out_col)``: the window starting at
    ``o*s - pad_before`` on each axis, less the padded cells outside the input (``same`` padding)."""
    rows, cols = result.rows, result.cols
    r0 = out_row * rows.stride - rows.pad_before
    c0 = out_col * cols.stride - cols.pad_before
    return [
        (r, c)
        for r in range(max(r0, 0), min(r0 + rows.kernel_size, rows.input_size))
        for c in range(max(c0, 0), min(c0 + cols.kernel_size, cols.input_size))
    ]


def pool_axis_formula(axis: AxisArithmetic) -> str:
    """LaTeX of the pooling rule of :func:`cnn_core.concepts.shapes.pool_axis` with this axis's numbers."""
    i, k, s = axis.input_size, axis.kernel_size, axis.stride
    if axis.padding == "same":
        return rf"o = \left\lceil \frac{{i}}{{s}} \right\rceil = \left\lceil \frac{{{i}}}{{{s}}} \right\rceil = {axis.output_size}"
    return (
        rf"o = \left\lfloor \frac{{i - k}}{{s}} \right\rfloor + 1"
        rf" = \left\lfloor \frac{{{i} - {k}}}{{{s}}} \right\rfloor + 1 = {axis.output_size}"
    )
