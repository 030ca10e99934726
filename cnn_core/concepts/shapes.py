"""Output-size arithmetic of convolution and pooling, one pure function per rule.

Every function normalises its arguments first (``int`` -> tuple), follows
Keras 3's own rules (``keras/src/ops/operation_utils.py``) and raises
:class:`ShapeError` - a ``ValueError`` that repeats what it received - for an
impossible combination.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cnn_core.core.errors import CodedError

PaddingMode = Literal["valid", "same", "explicit"]


class ShapeError(CodedError):
    """An impossible layer configuration (i18n table ``errors``); ``details`` holds the numbers."""

    catalog = "errors"


def normalize_tuple(value: int | Sequence[int], n: int, name: str) -> tuple[int, ...]:
    """Return ``value`` as a tuple of ``n`` positive ints (an int is repeated)."""
    if isinstance(value, bool):
        raise ShapeError(
            "not_integer", f"`{name}` must be an integer. Received: {name}={value!r}", name=name, value=value
        )
    if isinstance(value, int):
        values: tuple[int, ...] = (value,) * n
    else:
        values = tuple(value) if isinstance(value, (tuple, list)) else ()
        if len(values) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ShapeError(
                "not_integer",
                f"`{name}` must be an int or a tuple of {n} ints. Received: {name}={value!r}",
                name=name,
                value=value,
            )
    if any(v < 1 for v in values):
        raise ShapeError("not_positive", f"`{name}` must be >= 1. Received: {name}={value!r}", name=name, value=value)
    return values


def normalize_padding(padding: str | int | Sequence[int], n: int = 2) -> str | tuple[int, ...]:
    """Return ``"valid"``, ``"same"`` or a tuple of ``n`` explicit paddings (>= 0) per side."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("valid", "same"):
            raise ShapeError(
                "bad_padding",
                f"`padding` must be 'valid', 'same' or a number. Received: padding={padding!r}",
                value=padding,
            )
        return mode
    values = (padding,) * n if isinstance(padding, int) else tuple(padding)
    if len(values) != n or any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
        raise ShapeError(
            "bad_padding",
            f"Explicit `padding` must be {n} ints >= 0. Received: padding={padding!r}",
            value=padding,
        )
    return values


@dataclass(frozen=True)
class AxisArithmetic:
    """The numbers of one spatial axis of a sliding window (convolution or pooling)."""

    input_size: int
    kernel_size: int
    stride: int
    dilation: int
    padding: PaddingMode
    pad_before: int
    pad_after: int
    output_size: int

    @property
    def effective_kernel(self) -> int:
        """Span of the dilated window: ``d*(k-1) + 1``."""
        return dilated_kernel_size(self.kernel_size, self.dilation)

    @property
    def padded_size(self) -> int:
        return self.input_size + self.pad_before + self.pad_after

    def window_start(self, output_index: int) -> int:
        """First padded-input index the window covers at ``output_index``: ``o*s``."""
        if not 0 <= output_index < self.output_size:
            raise IndexError(f"output_index must be in [0, {self.output_size}). Received: {output_index}")
        return output_index * self.stride

    def tap_positions(self, output_index: int) -> list[int]:
        """Padded-input indices the kernel taps read at ``output_index``: ``o*s + j*d``."""
        start = self.window_start(output_index)
        return [start + j * self.dilation for j in range(self.kernel_size)]


def dilated_kernel_size(kernel_size: int, dilation: int) -> int:
    """Span of a dilated kernel: ``k_eff = d*(k-1) + 1``."""
    return dilation * (kernel_size - 1) + 1


def conv_axis(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: str | int = "valid",
    dilation: int = 1,
) -> AxisArithmetic:
    """Output length of a convolution along one axis.

    * ``valid`` (p = 0) or explicit padding p on both sides:
      ``o = floor((i + 2p - d(k-1) - 1) / s) + 1``
    * Keras ``same``: ``o = ceil(i / s)``; the total padding is
      ``max((o-1)*s + d(k-1) + 1 - i, 0)``, split ``top = total // 2`` and
      ``bottom = total - top`` (the extra cell goes to the bottom/right).
    """
    (i,) = normalize_tuple(input_size, 1, "input_size")
    (k,) = normalize_tuple(kernel_size, 1, "kernel_size")
    (s,) = normalize_tuple(stride, 1, "strides")
    (d,) = normalize_tuple(dilation, 1, "dilation_rate")
    mode = normalize_padding(padding, 1)
    k_eff = dilated_kernel_size(k, d)
    if mode == "same":
        out = math.ceil(i / s)
        total = max((out - 1) * s + k_eff - i, 0)
        return AxisArithmetic(i, k, s, d, "same", total // 2, total - total // 2, out)
    p = 0 if mode == "valid" else mode[0]
    padded = i + 2 * p
    if k_eff > padded:
        dilated = f" (dilated to {k_eff})" if d > 1 else ""
        raise ShapeError(
            "kernel_too_large",
            f"Received: kernel_size={k}{dilated} > padded input {padded} (input {i} + 2*padding {p}).",
            kernel_size=k,
            effective_kernel=k_eff,
            padded_size=padded,
            input_size=i,
            padding=p,
        )
    out = (padded - k_eff) // s + 1
    return AxisArithmetic(i, k, s, d, "valid" if mode == "valid" else "explicit", p, p, out)


def pool_axis(input_size: int, pool_size: int, stride: int | None = None, padding: str = "valid") -> AxisArithmetic:
    """Output length of pooling along one axis (Keras: ``strides=None`` means ``pool_size``).

    ``valid``: ``o = floor((i - k) / s) + 1``; ``same``: ``o = ceil(i / s)``
    (padded cells never win: they are ignored, not zeros).
    """
    return conv_axis(input_size, pool_size, pool_size if stride is None else stride, padding, 1)


@dataclass(frozen=True)
class Conv2DArithmetic:
    """Both axes of a 2-D convolution and the resulting ``(height, width, filters)``."""

    rows: AxisArithmetic
    cols: AxisArithmetic
    in_channels: int
    filters: int

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (self.rows.output_size, self.cols.output_size, self.filters)


def conv2d_arithmetic(
    input_shape: Sequence[int],
    filters: int,
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = 1,
    padding: str | int | Sequence[int] = "valid",
    dilation_rate: int | Sequence[int] = 1,
) -> Conv2DArithmetic:
    """Shape arithmetic of ``Conv2D`` on a ``(height, width, channels)`` input.

    Each spatial axis follows :func:`conv_axis`; the channel axis becomes
    ``filters``. Like Keras, ``strides > 1`` together with ``dilation_rate > 1``
    is refused. Explicit padding stands for ``ZeroPadding2D(p)`` before a
    ``valid`` convolution.
    """
    if len(input_shape) != 3:
        raise ShapeError(
            "bad_rank",
            f"Conv2D expects a (height, width, channels) input. Received: input_shape={tuple(input_shape)}",
            input_shape=tuple(input_shape),
        )
    h, w, c = normalize_tuple(tuple(input_shape), 3, "input_shape")
    (f,) = normalize_tuple(filters, 1, "filters")
    kh, kw = normalize_tuple(kernel_size, 2, "kernel_size")
    sh, sw = normalize_tuple(strides, 2, "strides")
    dh, dw = normalize_tuple(dilation_rate, 2, "dilation_rate")
    pad = normalize_padding(padding, 2)
    if max(sh, sw) > 1 and max(dh, dw) > 1:
        raise ShapeError(
            "stride_and_dilation",
            f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={(sh, sw)} and dilation_rate={(dh, dw)}",
            strides=(sh, sw),
            dilation_rate=(dh, dw),
        )
    pad_h, pad_w = (pad, pad) if isinstance(pad, str) else pad
    return Conv2DArithmetic(conv_axis(h, kh, sh, pad_h, dh), conv_axis(w, kw, sw, pad_w, dw), c, f)


def pool2d_output_shape(
    input_shape: Sequence[int],
    pool_size: int | Sequence[int] = 2,
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
) -> tuple[int, int, int]:
    """``(height, width, channels)`` after ``MaxPooling2D``/``AveragePooling2D``.

    Each spatial axis follows :func:`pool_axis`; pooling works channel by channel,
    so the channel count is kept: ``(26, 26, 32) -> (13, 13, 32)``.
    """
    rows, cols = pool2d_arithmetic(input_shape, pool_size, strides, padding)
    return (rows.output_size, cols.output_size, int(input_shape[2]))


def pool2d_arithmetic(
    input_shape: Sequence[int],
    pool_size: int | Sequence[int] = 2,
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
) -> tuple[AxisArithmetic, AxisArithmetic]:
    """Row and column arithmetic of 2-D pooling (see :func:`pool_axis`)."""
    if len(input_shape) != 3:
        raise ShapeError(
            "bad_rank",
            f"Pooling expects a (height, width, channels) input. Received: input_shape={tuple(input_shape)}",
            input_shape=tuple(input_shape),
        )
    h, w, _ = normalize_tuple(tuple(input_shape), 3, "input_shape")
    ph, pw = normalize_tuple(pool_size, 2, "pool_size")
    sh, sw = (ph, pw) if strides is None else normalize_tuple(strides, 2, "strides")
    mode = normalize_padding(padding, 2)
    if not isinstance(mode, str):
        raise ShapeError(
            "bad_padding", f"Pooling padding must be 'valid' or 'same'. Received: padding={padding!r}", value=padding
        )
    return pool_axis(h, ph, sh, mode), pool_axis(w, pw, sw, mode)


def conv_axis_formula(axis: AxisArithmetic) -> str:
    """LaTeX of :func:`conv_axis`'s rule with this axis's numbers filled in."""
    i, k, s, d = axis.input_size, axis.kernel_size, axis.stride, axis.dilation
    if axis.padding == "same":
        total = axis.pad_before + axis.pad_after
        return (
            rf"o = \left\lceil \frac{{i}}{{s}} \right\rceil = \left\lceil \frac{{{i}}}{{{s}}} \right\rceil = {axis.output_size}"
            rf",\quad p_{{total}} = \max((o-1)s + d(k-1) + 1 - i,\ 0) = \max(({axis.output_size}-1)\cdot{s} + {d}\cdot({k}-1) + 1 - {i},\ 0) = {total}"
        )
    p = axis.pad_before
    return (
        rf"o = \left\lfloor \frac{{i + 2p - d(k-1) - 1}}{{s}} \right\rfloor + 1"
        rf" = \left\lfloor \frac{{{i} + 2\cdot{p} - {d}\cdot({k}-1) - 1}}{{{s}}} \right\rfloor + 1 = {axis.output_size}"
    )
