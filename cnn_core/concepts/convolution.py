"""Convolution in NumPy, exactly as Keras's ``Conv2D`` computes it (cross-correlation).

Used for the step-through, the multi-channel view and the photo filters, so
that every number the page shows is computed, not drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnn_core.concepts.shapes import Conv2DArithmetic, conv2d_arithmetic
from cnn_core.core.errors import CodedError


@dataclass(frozen=True)
class Term:
    """One product of the dot product behind an output value."""

    row: int
    col: int
    channel: int
    value: float
    weight: float

    @property
    def product(self) -> float:
        return self.value * self.weight


def as_hwc(x: np.ndarray) -> np.ndarray:
    """Return ``x`` as ``(height, width, channels)``: a 2-D array gets one channel."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 2:
        return arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"Expected a (height, width) or (height, width, channels) array. Received shape={arr.shape}")
    return arr


def as_kernel(kernel: np.ndarray) -> np.ndarray:
    """Return ``kernel`` as ``(kh, kw, in_channels, filters)``; a 2-D kernel is one filter on one channel."""
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim == 2:
        return k[:, :, None, None]
    if k.ndim == 3:
        return k[:, :, :, None]
    if k.ndim != 4:
        raise ValueError(f"Expected a kernel of rank 2, 3 or 4. Received shape={k.shape}")
    return k


def pad_input(x: np.ndarray, arithmetic: Conv2DArithmetic, fill: float = 0.0) -> np.ndarray:
    """Pad ``(h, w, c)`` with ``fill`` by the arithmetic's before/after amounts on each axis."""
    r, c = arithmetic.rows, arithmetic.cols
    return np.pad(as_hwc(x), ((r.pad_before, r.pad_after), (c.pad_before, c.pad_after), (0, 0)), constant_values=fill)


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: float | Sequence[float] | np.ndarray = 0.0,
    strides: int | Sequence[int] = 1,
    padding: str | int | Sequence[int] = "valid",
    dilation_rate: int | Sequence[int] = 1,
) -> np.ndarray:
    """``y[o_r, o_c, f] = b[f] + sum_{i,j,ch} xp[o_r*s_r + i*d_r, o_c*s_c + j*d_c, ch] * K[i, j, ch, f]``

    where ``xp`` is the zero-padded input. Returns ``(out_h, out_w, filters)``.
    """
    xs = as_hwc(x)
    k = as_kernel(kernel)
    kh, kw, cin, filters = k.shape
    if cin != xs.shape[2]:
        raise ValueError(f"Kernel expects {cin} input channels. Received input with {xs.shape[2]} channels.")
    arith = conv2d_arithmetic(xs.shape, filters, (kh, kw), strides, padding, dilation_rate)
    xp = pad_input(xs, arith)
    rows, cols = arith.rows, arith.cols
    oh, ow = rows.output_size, cols.output_size
    out = np.zeros((oh, ow, filters))
    for i in range(kh):
        r0 = i * rows.dilation
        for j in range(kw):
            c0 = j * cols.dilation
            patch = xp[
                r0 : r0 + (oh - 1) * rows.stride + 1 : rows.stride, c0 : c0 + (ow - 1) * cols.stride + 1 : cols.stride
            ]
            out += patch @ k[i, j]
    return out + np.broadcast_to(np.asarray(bias, dtype=np.float64), (filters,))


def dot_product_terms(
    x_padded: np.ndarray,
    kernel: np.ndarray,
    arithmetic: Conv2DArithmetic,
    out_row: int,
    out_col: int,
    filter_index: int = 0,
) -> list[Term]:
    """The products summed into ``y[out_row, out_col, filter_index]`` (bias excluded), row-major per channel.

    Positions are in padded-input coordinates: ``(o_r*s_r + i*d_r, o_c*s_c + j*d_c)``.
    """
    k = as_kernel(kernel)
    xp = as_hwc(x_padded)
    row_taps = arithmetic.rows.tap_positions(out_row)
    col_taps = arithmetic.cols.tap_positions(out_col)
    return [
        Term(r, c, ch, float(xp[r, c, ch]), float(k[i, j, ch, filter_index]))
        for ch in range(k.shape[2])
        for i, r in enumerate(row_taps)
        for j, c in enumerate(col_taps)
    ]


def format_number(value: float) -> str:
    """Compact number for arithmetic read-outs: ``75``, ``-0.25``, ``0.111``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}"


def format_terms(terms: Sequence[Term], bias: float, per_line: int) -> str:
    """Write the dot product out term by term, ``per_line`` products a line, then the bias and the sum.

    >>> # 0 * -1 + 0 * -2 + 75 * -1 + ...
    """
    lines = []
    for start in range(0, len(terms), per_line):
        chunk = terms[start : start + per_line]
        lines.append(" + ".join(f"{format_number(t.value)} * {format_number(t.weight)}" for t in chunk) + " +")
    total = sum(t.product for t in terms) + bias
    lines.append(format_number(bias))
    lines.append(f"= {format_number(total)}")
    return "\n".join(lines)


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` element-wise."""
    return np.maximum(x, 0.0)


KERNEL_PRESETS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
    "sobel_horizontal": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
    "sobel_vertical": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    "box_blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
}
"""3x3 kernels for the photo filter. ``sobel_horizontal`` is the book's worked-example kernel."""

BOOK_PATCH_INPUT = np.array(
    [
        [0, 0, 75, 80, 80],
        [0, 75, 80, 80, 80],
        [0, 75, 80, 80, 80],
        [0, 70, 75, 80, 80],
        [0, 0, 0, 0, 0],
    ],
    dtype=np.float64,
)
"""A 5x5 input whose top-left 3x3 patch is the book's ``[[0,0,75],[0,75,80],[0,75,80]]``."""


class KernelTextError(CodedError):
    """Text that is not a square matrix of numbers; ``code`` names why."""

    catalog = "kernel_errors"


def parse_kernel_text(text: str, max_size: int = 7) -> np.ndarray:
    """Parse ``"0 -1 0; -1 5 -1; 0 -1 0"`` (rows split by ``;`` or new lines, numbers by spaces or commas).

    Returns a square float matrix of odd or even size up to ``max_size``.
    """
    rows = [r for r in text.replace("\n", ";").split(";") if r.strip()]
    try:
        matrix = [[float(v) for v in r.replace(",", " ").split()] for r in rows]
    except ValueError as err:
        raise KernelTextError("not_numbers", f"Only numbers are allowed. Received: {text!r}") from err
    n = len(matrix)
    if n == 0 or any(len(r) != n for r in matrix):
        raise KernelTextError("not_square", f"The kernel must be square (n rows of n numbers). Received: {text!r}")
    if n > max_size:
        raise KernelTextError("too_big", f"At most {max_size}x{max_size}. Received: {n}x{n}", size=n, limit=max_size)
    arr = np.array(matrix)
    if not np.isfinite(arr).all():
        raise KernelTextError("not_numbers", f"Only finite numbers are allowed. Received: {text!r}")
    return arr


def kernel_to_text(kernel: np.ndarray) -> str:
    """Inverse of :func:`parse_kernel_text`."""
    return "; ".join(" ".join(format_number(v) for v in row) for row in np.asarray(kernel))


def demo_values(shape: tuple[int, ...], seed: int, low: int, high: int) -> np.ndarray:
    """Deterministic small integers in ``[low, high]`` for teaching grids (easy to add up by hand)."""
    return np.random.default_rng(seed).integers(low, high + 1, size=shape).astype(np.float64)
