"""Layer stacks as frozen dataclasses: output shapes and parameter counts without TensorFlow.

Each layer spec knows its Keras rule in one ``report`` method; the numbers must
equal what Keras's ``output_shape`` and ``count_params()`` say (see the tests).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import ClassVar

from cnn_core.shapes import ShapeError, conv2d_arithmetic, normalize_tuple, pool2d_arithmetic

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerReport:
    """One row of a model summary.

    ``formula`` shows how ``params`` is counted with the numbers filled in
    (``(3*3*1+1)*32 = 320``); ``shape_note`` shows how the output shape arises.
    """

    index: int
    name: str
    kind: str
    input_shape: Shape
    output_shape: Shape
    params: int
    trainable_params: int
    formula: str
    shape_note: str
    weight_tensors: int
    trainable_weight_tensors: int


class StackError(ShapeError):
    """A layer that cannot follow the one before it; ``index`` is its 0-based position in the stack."""

    def __init__(self, index: int, kind: str, cause: ShapeError) -> None:
        super().__init__(cause.code, f"Layer {index + 1} ({kind}): {cause}", **cause.details)
        self.index = index
        self.kind = kind
        self.cause = cause


def _require_rank(kind: str, shape: Shape, rank: int) -> None:
    if len(shape) != rank:
        wanted = "(height, width, channels)" if rank == 3 else f"rank {rank}"
        raise ShapeError(
            "bad_rank",
            f"{kind} expects a {wanted} input. Received: input_shape={shape}",
            kind=kind,
            input_shape=shape,
            expected_rank=rank,
        )


@dataclass(frozen=True)
class _Spec:
    kind: ClassVar[str] = ""
    name: str | None = field(default=None, kw_only=True)

    def output_shape(self, input_shape: Shape) -> Shape:
        raise NotImplementedError

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """(parameters, trainable parameters, formula); parameter-free by default."""
        return 0, 0, "0"

    def weight_tensors(self) -> tuple[int, int]:
        """(weight tensors, trainable weight tensors) when the layer is trainable."""
        return 0, 0

    def shape_note(self, input_shape: Shape, output_shape: Shape) -> str:
        return ""

    def arguments(self, keep: tuple[str, ...] | None = None) -> dict[str, object]:
        """Constructor arguments (``name`` excluded); with ``keep``, only those named there or differing from the defaults."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "name" and (keep is None or f.name in keep or getattr(self, f.name) != f.default)
        }


@dataclass(frozen=True)
class Rescaling(_Spec):
    kind: ClassVar[str] = "Rescaling"
    scale: float = 1.0
    offset: float = 0.0

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape


@dataclass(frozen=True)
class Conv2D(_Spec):
    kind: ClassVar[str] = "Conv2D"
    filters: int = 32
    kernel_size: int | tuple[int, int] = 3
    strides: int | tuple[int, int] = 1
    padding: str = "valid"
    dilation_rate: int | tuple[int, int] = 1
    activation: str | None = None
    use_bias: bool = True

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        if self.padding not in ("valid", "same"):
            raise ShapeError(
                "bad_padding",
                f"Conv2D padding must be 'valid' or 'same'. Received: padding={self.padding!r}",
                value=self.padding,
            )
        return conv2d_arithmetic(
            input_shape, self.filters, self.kernel_size, self.strides, self.padding, self.dilation_rate
        ).output_shape

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``(kh*kw*c_in + 1) * filters``; without bias ``kh*kw*c_in*filters``."""
        kh, kw = normalize_tuple(self.kernel_size, 2, "kernel_size")
        c = input_shape[-1]
        if self.use_bias:
            n = (kh * kw * c + 1) * self.filters
            return n, n, f"({kh}*{kw}*{c}+1)*{self.filters} = {n:,}"
        n = kh * kw * c * self.filters
        return n, n, f"{kh}*{kw}*{c}*{self.filters} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        n = 2 if self.use_bias else 1
        return n, n

    def shape_note(self, input_shape: Shape, output_shape: Shape) -> str:
        arith = conv2d_arithmetic(
            input_shape, self.filters, self.kernel_size, self.strides, self.padding, self.dilation_rate
        )
        r = arith.rows
        if r.padding == "same":
            return f"ceil({r.input_size}/{r.stride}) = {r.output_size}; {self.filters} filters"
        span = f"{r.dilation}*({r.kernel_size}-1)+1" if r.dilation > 1 else f"{r.kernel_size}"
        return f"floor(({r.input_size}-{span})/{r.stride})+1 = {r.output_size}; {self.filters} filters"


@dataclass(frozen=True)
class MaxPooling2D(_Spec):
    kind: ClassVar[str] = "MaxPooling2D"
    pool_size: int | tuple[int, int] = 2
    strides: int | tuple[int, int] | None = None
    padding: str = "valid"

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        rows, cols = pool2d_arithmetic(input_shape, self.pool_size, self.strides, self.padding)
        return (rows.output_size, cols.output_size, input_shape[2])

    def shape_note(self, input_shape: Shape, output_shape: Shape) -> str:
        rows, _ = pool2d_arithmetic(input_shape, self.pool_size, self.strides, self.padding)
        if rows.padding == "same":
            return f"ceil({rows.input_size}/{rows.stride}) = {rows.output_size}; channels kept"
        return f"floor(({rows.input_size}-{rows.kernel_size})/{rows.stride})+1 = {rows.output_size}; channels kept"


@dataclass(frozen=True)
class AveragePooling2D(MaxPooling2D):
    kind: ClassVar[str] = "AveragePooling2D"


@dataclass(frozen=True)
class GlobalAveragePooling2D(_Spec):
    kind: ClassVar[str] = "GlobalAveragePooling2D"

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        return (input_shape[2],)

    def shape_note(self, input_shape: Shape, output_shape: Shape) -> str:
        return f"mean over {input_shape[0]}*{input_shape[1]} per channel"


@dataclass(frozen=True)
class Flatten(_Spec):
    kind: ClassVar[str] = "Flatten"

    def output_shape(self, input_shape: Shape) -> Shape:
        return (math.prod(input_shape),)

    def shape_note(self, input_shape: Shape, output_shape: Shape) -> str:
        return "*".join(str(d) for d in input_shape) + f" = {output_shape[0]:,}"


@dataclass(frozen=True)
class Dense(_Spec):
    kind: ClassVar[str] = "Dense"
    units: int = 10
    activation: str | None = None
    use_bias: bool = True

    def output_shape(self, input_shape: Shape) -> Shape:
        normalize_tuple(self.units, 1, "units")
        return (*input_shape[:-1], self.units)

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``(n_in + 1) * units``; without bias ``n_in * units`` (``n_in`` = last input axis)."""
        n_in = input_shape[-1]
        if self.use_bias:
            n = (n_in + 1) * self.units
            return n, n, f"({n_in:,}+1)*{self.units} = {n:,}"
        n = n_in * self.units
        return n, n, f"{n_in:,}*{self.units} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        n = 2 if self.use_bias else 1
        return n, n


@dataclass(frozen=True)
class Dropout(_Spec):
    kind: ClassVar[str] = "Dropout"
    rate: float = 0.5

    def output_shape(self, input_shape: Shape) -> Shape:
        if not 0 <= self.rate < 1:
            raise ShapeError("bad_rate", f"Dropout rate must be in [0, 1). Received: rate={self.rate}", value=self.rate)
        return input_shape


@dataclass(frozen=True)
class BatchNormalization(_Spec):
    kind: ClassVar[str] = "BatchNormalization"

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``4 * c`` (gamma, beta, moving mean, moving variance); only ``2 * c`` train."""
        c = input_shape[-1]
        return 4 * c, 2 * c, f"4*{c} = {4 * c:,} ({2 * c:,} trainable)"

    def weight_tensors(self) -> tuple[int, int]:
        return 4, 2


LAYER_TYPES: dict[str, type[_Spec]] = {
    cls.kind: cls
    for cls in (
        Rescaling,
        Conv2D,
        MaxPooling2D,
        AveragePooling2D,
        GlobalAveragePooling2D,
        Flatten,
        Dense,
        Dropout,
        BatchNormalization,
    )
}

LayerSpec = _Spec


@dataclass(frozen=True)
class StackReport:
    input_shape: Shape
    rows: tuple[LayerReport, ...]

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def trainable_params(self) -> int:
        return sum(r.trainable_params for r in self.rows)

    @property
    def output_shape(self) -> Shape:
        return self.rows[-1].output_shape if self.rows else self.input_shape


def snake_case(name: str) -> str:
    """Keras's layer-name rule: ``Conv2D`` -> ``conv2d``, ``MaxPooling2D`` -> ``max_pooling2d``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def auto_names(layers: Sequence[_Spec]) -> list[str]:
    """Keras-style names: ``conv2d``, ``conv2d_1``, ... unless a layer has its own."""
    seen: dict[str, int] = {}
    names = []
    for layer in layers:
        if layer.name:
            names.append(layer.name)
            continue
        base = snake_case(layer.kind)
        count = seen.get(base, 0)
        seen[base] = count + 1
        names.append(base if count == 0 else f"{base}_{count}")
    return names


def analyze_stack(
    input_shape: Sequence[int], layers: Sequence[_Spec], frozen: Sequence[bool] | None = None
) -> StackReport:
    """Shapes, parameters and weight tensors of ``layers`` applied in order to ``input_shape``.

    ``frozen[i]`` marks layer ``i`` non-trainable (its parameters stay counted,
    its trainable parameters and tensors become 0). Raises :class:`StackError`
    naming the first layer that cannot follow its predecessor.
    """
    shape: Shape = normalize_tuple(tuple(input_shape), len(input_shape), "input_shape") if input_shape else ()
    if not shape:
        raise ShapeError("bad_input", "The input shape must not be empty. Received: input_shape=()")
    in_shape = shape
    rows = []
    for index, (layer, name) in enumerate(zip(layers, auto_names(layers), strict=True)):
        try:
            out = layer.output_shape(shape)
            params, trainable, formula = layer.params(shape)
            note = layer.shape_note(shape, out)
        except ShapeError as err:
            raise StackError(index, layer.kind, err) from err
        tensors, trainable_tensors = layer.weight_tensors()
        if frozen is not None and frozen[index]:
            trainable, trainable_tensors = 0, 0
        rows.append(
            LayerReport(
                index, name, layer.kind, shape, out, params, trainable, formula, note, tensors, trainable_tensors
            )
        )
        shape = out
    return StackReport(in_shape, tuple(rows))


def freeze_all_but_last(n_layers: int, unfrozen_last: int | None) -> list[bool]:
    """Frozen flags for ``conv_base.trainable = False`` then unfreezing the last ``unfrozen_last`` layers.

    ``None`` means the whole base is trainable; ``0`` means all frozen.
    """
    if unfrozen_last is None:
        return [False] * n_layers
    if unfrozen_last < 0:
        raise ValueError(f"unfrozen_last must be >= 0. Received: {unfrozen_last}")
    keep = min(unfrozen_last, n_layers)
    return [True] * (n_layers - keep) + [False] * keep
