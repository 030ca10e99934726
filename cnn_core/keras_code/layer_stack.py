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

from cnn_core.concepts.receptive_field import (
    FLATTEN,
    INPUT_FIELD,
    KEEP,
    MIX_LAST,
    UNKNOWN,
    WHOLE,
    FieldStep,
    ReceptiveField,
)
from cnn_core.concepts.shapes import (
    AxisArithmetic,
    ShapeError,
    conv2d_arithmetic,
    conv_axis,
    normalize_tuple,
    pool2d_arithmetic,
)

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
    shape_words: tuple[str, dict[str, object]] | None = None


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

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        """What this layer does to the receptive field (:mod:`cnn_core.concepts.receptive_field`)."""
        return UNKNOWN

    def shape_note(self, input_shape: Shape, output_shape: Shape) -> str:
        """How the output shape arises, as arithmetic only (words come from :meth:`shape_words`)."""
        return ""

    def shape_words(self, input_shape: Shape, output_shape: Shape) -> tuple[str, dict[str, object]] | None:
        """The words that go with the note, as an i18n key under ``shape_words`` and its values."""
        return None

    def arguments(self, keep: tuple[str, ...] | None = None) -> dict[str, object]:
        """Constructor arguments (``name`` excluded); with ``keep``, only those named there or differing from the defaults."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "name" and (keep is None or f.name in keep or getattr(self, f.name) != f.default)
        }


@dataclass(frozen=True)
class _ConvWindow(_Spec):
    """A 2-D convolution (plain, separable, depthwise): its window over the receptive field is its kernel."""

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        arith = conv2d_arithmetic(input_shape, 1, self.kernel_size, self.strides, self.padding, self.dilation_rate)
        return FieldStep("window", arith.rows, arith.cols)


@dataclass(frozen=True)
class Rescaling(_Spec):
    kind: ClassVar[str] = "Rescaling"
    scale: float = 1.0
    offset: float = 0.0

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        return KEEP  # works on each position (or value) by itself


def grouped_channels(kind: str, channels: int, filters: int, groups: int) -> int:
    """``channels / groups``: the input channels each filter sees when a convolution's channels are split into
    ``groups`` (Keras: both the input channels and the filters must divide by ``groups``)."""
    if groups < 1 or channels % groups or filters % groups:
        raise ShapeError(
            "bad_groups",
            f"{kind}: the input channels and filters must both be divisible by groups. "
            f"Received: groups={groups}, input channels={channels}, filters={filters}",
            kind=kind, groups=groups, channels=channels, filters=filters,
        )  # fmt: skip
    return channels // groups


@dataclass(frozen=True)
class Conv2D(_ConvWindow):
    kind: ClassVar[str] = "Conv2D"
    filters: int = 32
    kernel_size: int | tuple[int, int] = 3
    strides: int | tuple[int, int] = 1
    padding: str = "valid"
    dilation_rate: int | tuple[int, int] = 1
    activation: str | None = None
    use_bias: bool = True
    groups: int = 1

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        grouped_channels(self.kind, input_shape[-1], self.filters, self.groups)
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
        """``(kh*kw*c_in/groups + 1) * filters``; without bias ``kh*kw*c_in/groups*filters``."""
        kh, kw = normalize_tuple(self.kernel_size, 2, "kernel_size")
        c = grouped_channels(self.kind, input_shape[-1], self.filters, self.groups)
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
            return f"ceil({r.input_size}/{r.stride}) = {r.output_size}"
        span = f"{r.dilation}*({r.kernel_size}-1)+1" if r.dilation > 1 else f"{r.kernel_size}"
        return f"floor(({r.input_size}-{span})/{r.stride})+1 = {r.output_size}"

    def shape_words(self, input_shape: Shape, output_shape: Shape) -> tuple[str, dict[str, object]] | None:
        return "filters", {"n": self.filters}


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
            return f"ceil({rows.input_size}/{rows.stride}) = {rows.output_size}"
        return f"floor(({rows.input_size}-{rows.kernel_size})/{rows.stride})+1 = {rows.output_size}"

    def shape_words(self, input_shape: Shape, output_shape: Shape) -> tuple[str, dict[str, object]] | None:
        return "channels_kept", {}

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        rows, cols = pool2d_arithmetic(input_shape, self.pool_size, self.strides, self.padding)
        return FieldStep("window", rows, cols)


@dataclass(frozen=True)
class AveragePooling2D(MaxPooling2D):
    kind: ClassVar[str] = "AveragePooling2D"


@dataclass(frozen=True)
class GlobalAveragePooling2D(_Spec):
    kind: ClassVar[str] = "GlobalAveragePooling2D"
    keepdims: bool = False

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        return (1, 1, input_shape[2]) if self.keepdims else (input_shape[2],)

    def shape_words(self, input_shape: Shape, output_shape: Shape) -> tuple[str, dict[str, object]] | None:
        return "mean_over", {"area": f"{input_shape[0]}*{input_shape[1]}"}

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        return WHOLE


@dataclass(frozen=True)
class Flatten(_Spec):
    kind: ClassVar[str] = "Flatten"

    def output_shape(self, input_shape: Shape) -> Shape:
        return (math.prod(input_shape),)

    def shape_note(self, input_shape: Shape, output_shape: Shape) -> str:
        return "*".join(str(d) for d in input_shape) + f" = {output_shape[0]:,}"

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        return FLATTEN


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

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        return MIX_LAST  # each position's channels (every value, after Flatten)


@dataclass(frozen=True)
class Dropout(_Spec):
    kind: ClassVar[str] = "Dropout"
    rate: float = 0.5

    def output_shape(self, input_shape: Shape) -> Shape:
        if not 0 <= self.rate < 1:
            raise ShapeError("bad_rate", f"Dropout rate must be in [0, 1). Received: rate={self.rate}", value=self.rate)
        return input_shape

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        return KEEP  # works on each position (or value) by itself


@dataclass(frozen=True)
class BatchNormalization(_Spec):
    kind: ClassVar[str] = "BatchNormalization"
    center: bool = True
    scale: bool = True

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``4 * c`` (gamma, beta, moving mean, moving variance); only ``2 * c`` train (fewer without center/scale)."""
        c = input_shape[-1]
        learned = int(self.center) + int(self.scale)
        n = (learned + 2) * c
        return n, learned * c, f"{learned + 2}*{c} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        learned = int(self.center) + int(self.scale)
        return learned + 2, learned

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        return KEEP  # works on each position (or value) by itself


@dataclass(frozen=True)
class _Identity(_Spec):
    """A layer that keeps its input's shape and has no weights (augmentation, activations, noise)."""

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        return KEEP  # works on each position (or value) by itself


@dataclass(frozen=True)
class Activation(_Identity):
    kind: ClassVar[str] = "Activation"
    activation: str | None = None


@dataclass(frozen=True)
class ReLU(_Identity):
    kind: ClassVar[str] = "ReLU"
    max_value: float | None = None
    negative_slope: float = 0.0
    threshold: float = 0.0


@dataclass(frozen=True)
class LeakyReLU(_Identity):
    kind: ClassVar[str] = "LeakyReLU"
    negative_slope: float = 0.3


@dataclass(frozen=True)
class ELU(_Identity):
    kind: ClassVar[str] = "ELU"
    alpha: float = 1.0


@dataclass(frozen=True)
class Softmax(_Identity):
    kind: ClassVar[str] = "Softmax"
    axis: int = -1


@dataclass(frozen=True)
class Identity(_Identity):
    kind: ClassVar[str] = "Identity"


@dataclass(frozen=True)
class SpatialDropout2D(_Identity):
    kind: ClassVar[str] = "SpatialDropout2D"
    rate: float = 0.5

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        return Dropout(self.rate).output_shape(input_shape)


@dataclass(frozen=True)
class GaussianNoise(_Identity):
    kind: ClassVar[str] = "GaussianNoise"
    stddev: float = 0.1


@dataclass(frozen=True)
class GaussianDropout(_Identity):
    kind: ClassVar[str] = "GaussianDropout"
    rate: float = 0.1


@dataclass(frozen=True)
class ActivityRegularization(_Identity):
    kind: ClassVar[str] = "ActivityRegularization"
    l1: float = 0.0
    l2: float = 0.0


@dataclass(frozen=True)
class _ImageAugmentation(_Identity):
    """A random image augmentation: keeps the shape of a (height, width, channels) image; Keras builds it on any
    input but refuses anything else when it trains (its ``call`` expects images)."""

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        return input_shape


@dataclass(frozen=True)
class RandomFlip(_ImageAugmentation):
    kind: ClassVar[str] = "RandomFlip"
    mode: str = "horizontal_and_vertical"


@dataclass(frozen=True)
class RandomRotation(_ImageAugmentation):
    kind: ClassVar[str] = "RandomRotation"
    factor: float | tuple[float, float] = 0.1


@dataclass(frozen=True)
class RandomZoom(_ImageAugmentation):
    kind: ClassVar[str] = "RandomZoom"
    height_factor: float | tuple[float, float] = 0.1
    width_factor: float | tuple[float, float] | None = None


@dataclass(frozen=True)
class RandomTranslation(_ImageAugmentation):
    kind: ClassVar[str] = "RandomTranslation"
    height_factor: float | tuple[float, float] = 0.1
    width_factor: float | tuple[float, float] = 0.1


@dataclass(frozen=True)
class RandomContrast(_ImageAugmentation):
    kind: ClassVar[str] = "RandomContrast"
    factor: float | tuple[float, float] = 0.1


@dataclass(frozen=True)
class RandomBrightness(_ImageAugmentation):
    kind: ClassVar[str] = "RandomBrightness"
    factor: float | tuple[float, float] = 0.1


@dataclass(frozen=True)
class Resizing(_Spec):
    kind: ClassVar[str] = "Resizing"
    height: int = 224
    width: int = 224

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        h, w = normalize_tuple((self.height, self.width), 2, "height, width")
        return (h, w, input_shape[2])


@dataclass(frozen=True)
class CenterCrop(Resizing):
    kind: ClassVar[str] = "CenterCrop"


@dataclass(frozen=True)
class RandomCrop(Resizing):
    kind: ClassVar[str] = "RandomCrop"


@dataclass(frozen=True)
class LayerNormalization(_Spec):
    kind: ClassVar[str] = "LayerNormalization"
    center: bool = True
    scale: bool = True

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``2 * c`` (gamma and beta over the last axis), all trainable."""
        c = input_shape[-1]
        n = (int(self.center) + int(self.scale)) * c
        return n, n, f"{int(self.center) + int(self.scale)}*{c} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        n = int(self.center) + int(self.scale)
        return n, n

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        return KEEP  # works on each position (or value) by itself


@dataclass(frozen=True)
class SeparableConv2D(_ConvWindow):
    kind: ClassVar[str] = "SeparableConv2D"
    filters: int = 32
    kernel_size: int | tuple[int, int] = 3
    strides: int | tuple[int, int] = 1
    padding: str = "valid"
    dilation_rate: int | tuple[int, int] = 1
    depth_multiplier: int = 1
    activation: str | None = None
    use_bias: bool = True

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        normalize_tuple(self.depth_multiplier, 1, "depth_multiplier")
        return conv2d_arithmetic(
            input_shape, self.filters, self.kernel_size, self.strides, self.padding, self.dilation_rate
        ).output_shape

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``kh*kw*c_in*m`` (depthwise) ``+ c_in*m*filters`` (pointwise) ``+ filters`` (bias)."""
        kh, kw = normalize_tuple(self.kernel_size, 2, "kernel_size")
        c, m, f = input_shape[-1], self.depth_multiplier, self.filters
        n = kh * kw * c * m + c * m * f + (f if self.use_bias else 0)
        bias = f"+{f}" if self.use_bias else ""
        return n, n, f"{kh}*{kw}*{c}*{m}+{c}*{m}*{f}{bias} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        n = 3 if self.use_bias else 2
        return n, n


@dataclass(frozen=True)
class DepthwiseConv2D(_ConvWindow):
    kind: ClassVar[str] = "DepthwiseConv2D"
    kernel_size: int | tuple[int, int] = 3
    strides: int | tuple[int, int] = 1
    padding: str = "valid"
    depth_multiplier: int = 1
    dilation_rate: int | tuple[int, int] = 1
    activation: str | None = None
    use_bias: bool = True

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 3)
        (m,) = normalize_tuple(self.depth_multiplier, 1, "depth_multiplier")
        return conv2d_arithmetic(
            input_shape, input_shape[2] * m, self.kernel_size, self.strides, self.padding, self.dilation_rate
        ).output_shape

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``kh*kw*c_in*m`` (one kernel per input channel and multiplier) ``+ c_in*m`` (bias)."""
        kh, kw = normalize_tuple(self.kernel_size, 2, "kernel_size")
        c, m = input_shape[-1], self.depth_multiplier
        n = kh * kw * c * m + (c * m if self.use_bias else 0)
        bias = f"+{c}*{m}" if self.use_bias else ""
        return n, n, f"{kh}*{kw}*{c}*{m}{bias} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        n = 2 if self.use_bias else 1
        return n, n


@dataclass(frozen=True)
class Conv1D(_Spec):
    kind: ClassVar[str] = "Conv1D"
    filters: int = 32
    kernel_size: int | tuple[int] = 3
    strides: int | tuple[int] = 1
    padding: str = "valid"
    dilation_rate: int | tuple[int] = 1
    activation: str | None = None
    use_bias: bool = True
    groups: int = 1

    def output_shape(self, input_shape: Shape) -> Shape:
        """Valid: ``floor((L - d*(k-1) - 1)/s) + 1``; same and causal: ``ceil(L/s)``."""
        _require_rank(self.kind, input_shape, 2)
        grouped_channels(self.kind, input_shape[-1], self.filters, self.groups)
        (k,) = normalize_tuple(self.kernel_size, 1, "kernel_size")
        (s,) = normalize_tuple(self.strides, 1, "strides")
        (d,) = normalize_tuple(self.dilation_rate, 1, "dilation_rate")
        (f,) = normalize_tuple(self.filters, 1, "filters")
        mode = {"causal": "same"}.get(self.padding, self.padding)
        steps = conv2d_arithmetic((input_shape[0], 1, input_shape[1]), f, (k, 1), (s, 1), mode, (d, 1))
        return (steps.output_shape[0], f)

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``(k*c_in/groups + 1) * filters``; without bias ``k*c_in/groups*filters``."""
        (k,) = normalize_tuple(self.kernel_size, 1, "kernel_size")
        c = grouped_channels(self.kind, input_shape[-1], self.filters, self.groups)
        n = (k * c + int(self.use_bias)) * self.filters
        return n, n, f"({k}*{c}{'+1' if self.use_bias else ''})*{self.filters} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        n = 2 if self.use_bias else 1
        return n, n


@dataclass(frozen=True)
class MaxPooling1D(_Spec):
    kind: ClassVar[str] = "MaxPooling1D"
    pool_size: int | tuple[int] = 2
    strides: int | tuple[int] | None = None
    padding: str = "valid"

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 2)
        (p,) = normalize_tuple(self.pool_size, 1, "pool_size")
        s = None if self.strides is None else normalize_tuple(self.strides, 1, "strides")[0]
        rows, _ = pool2d_arithmetic(
            (input_shape[0], 1, input_shape[1]), (p, 1), None if s is None else (s, 1), self.padding
        )
        return (rows.output_size, input_shape[1])


@dataclass(frozen=True)
class AveragePooling1D(MaxPooling1D):
    kind: ClassVar[str] = "AveragePooling1D"


@dataclass(frozen=True)
class GlobalMaxPooling2D(GlobalAveragePooling2D):
    kind: ClassVar[str] = "GlobalMaxPooling2D"

    def shape_words(self, input_shape: Shape, output_shape: Shape) -> tuple[str, dict[str, object]] | None:
        return "max_over", {"area": f"{input_shape[0]}*{input_shape[1]}"}


@dataclass(frozen=True)
class GlobalAveragePooling1D(_Spec):
    kind: ClassVar[str] = "GlobalAveragePooling1D"
    keepdims: bool = False

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 2)
        return (1, input_shape[1]) if self.keepdims else (input_shape[1],)


@dataclass(frozen=True)
class GlobalMaxPooling1D(GlobalAveragePooling1D):
    kind: ClassVar[str] = "GlobalMaxPooling1D"


def _padding_pairs(padding: object) -> tuple[tuple[int, int], tuple[int, int]]:
    """ZeroPadding2D's ``padding``: ``p``, ``(ph, pw)`` or ``((top, bottom), (left, right))``."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        pairs = ((padding, padding), (padding, padding))
    elif isinstance(padding, tuple) and len(padding) == 2 and all(isinstance(p, int) for p in padding):
        pairs = ((padding[0], padding[0]), (padding[1], padding[1]))
    elif (
        isinstance(padding, tuple) and len(padding) == 2 and all(isinstance(p, tuple) and len(p) == 2 for p in padding)
    ):
        pairs = (tuple(padding[0]), tuple(padding[1]))
    else:
        pairs = None
    if pairs is None or any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for pair in pairs for v in pair):
        raise ShapeError(
            "bad_padding",
            f"`padding` must be an int, 2 ints or 2 pairs of ints >= 0. Received: padding={padding!r}",
            value=padding,
        )
    return pairs  # type: ignore[return-value]


@dataclass(frozen=True)
class ZeroPadding2D(_Spec):
    kind: ClassVar[str] = "ZeroPadding2D"
    padding: int | tuple = 1

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(h + top + bottom, w + left + right, c)``."""
        _require_rank(self.kind, input_shape, 3)
        (top, bottom), (left, right) = _padding_pairs(self.padding)
        return (input_shape[0] + top + bottom, input_shape[1] + left + right, input_shape[2])

    def receptive_step(self, input_shape: Shape) -> FieldStep:
        """A window of one cell that starts ``top``/``left`` cells before the input."""
        (top, bottom), (left, right) = _padding_pairs(self.padding)
        rows = AxisArithmetic(input_shape[0], 1, 1, 1, "explicit", top, bottom, input_shape[0] + top + bottom)
        cols = AxisArithmetic(input_shape[1], 1, 1, 1, "explicit", left, right, input_shape[1] + left + right)
        return FieldStep("window", rows, cols)


@dataclass(frozen=True)
class UpSampling2D(_Spec):
    kind: ClassVar[str] = "UpSampling2D"
    size: int | tuple[int, int] = 2

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(h * size_h, w * size_w, c)``."""
        _require_rank(self.kind, input_shape, 3)
        sh, sw = normalize_tuple(self.size, 2, "size")
        return (input_shape[0] * sh, input_shape[1] * sw, input_shape[2])


@dataclass(frozen=True)
class Reshape(_Spec):
    kind: ClassVar[str] = "Reshape"
    target_shape: tuple[int, ...] = (-1,)

    def output_shape(self, input_shape: Shape) -> Shape:
        """``target_shape`` with one ``-1`` replaced so the element count stays ``prod(input_shape)``."""
        target = self.target_shape if isinstance(self.target_shape, tuple) else (self.target_shape,)
        size = math.prod(input_shape)
        if (
            not all(isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1) for d in target)
            or target.count(-1) > 1
        ):
            raise ShapeError(
                "bad_reshape",
                f"`target_shape` must be positive ints and at most one -1. Received: {target!r}",
                value=target,
            )
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            if size % known:
                raise ShapeError(
                    "bad_reshape", f"Cannot reshape {input_shape} ({size:,} values) to {target}", value=target
                )
            target = tuple(size // known if d == -1 else d for d in target)
        if math.prod(target) != size:
            raise ShapeError("bad_reshape", f"Cannot reshape {input_shape} ({size:,} values) to {target}", value=target)
        return target


class MergeSpec(_Spec):
    """A layer that combines several tensors: ``merge_shape`` takes all their shapes."""

    min_inputs: ClassVar[int] = 2

    def output_shape(self, input_shape: Shape) -> Shape:
        raise ShapeError("merge_needs_list", f"{self.kind} takes a list of tensors", kind=self.kind)

    def merge_shape(self, shapes: Sequence[Shape]) -> Shape:
        """Element-wise merges: equal shapes, where a 1 broadcasts against any size."""
        self._check_count(shapes)
        out = shapes[0]
        for shape in shapes[1:]:
            if len(shape) != len(out) or any(a != b and 1 not in (a, b) for a, b in zip(shape, out, strict=True)):
                raise ShapeError(
                    "merge_shapes",
                    f"{self.kind} needs inputs of the same shape. Received: {', '.join(str(s) for s in shapes)}",
                    kind=self.kind,
                    shapes=", ".join(str(s) for s in shapes),
                )
            out = tuple(max(a, b) for a, b in zip(out, shape, strict=True))
        return out

    def _check_count(self, shapes: Sequence[Shape]) -> None:
        if len(shapes) < self.min_inputs:
            raise ShapeError(
                "merge_count",
                f"{self.kind} needs at least {self.min_inputs} inputs. Received: {len(shapes)}",
                kind=self.kind,
                count=len(shapes),
            )


@dataclass(frozen=True)
class Add(MergeSpec):
    kind: ClassVar[str] = "Add"


@dataclass(frozen=True)
class Subtract(MergeSpec):
    kind: ClassVar[str] = "Subtract"

    def merge_shape(self, shapes: Sequence[Shape]) -> Shape:
        if len(shapes) != 2:
            raise ShapeError(
                "merge_count",
                f"Subtract needs exactly 2 inputs. Received: {len(shapes)}",
                kind=self.kind,
                count=len(shapes),
            )
        return super().merge_shape(shapes)


@dataclass(frozen=True)
class Multiply(MergeSpec):
    kind: ClassVar[str] = "Multiply"


@dataclass(frozen=True)
class Average(MergeSpec):
    kind: ClassVar[str] = "Average"


@dataclass(frozen=True)
class Maximum(MergeSpec):
    kind: ClassVar[str] = "Maximum"


@dataclass(frozen=True)
class Minimum(MergeSpec):
    kind: ClassVar[str] = "Minimum"


@dataclass(frozen=True)
class Concatenate(MergeSpec):
    kind: ClassVar[str] = "Concatenate"
    axis: int = -1

    def merge_shape(self, shapes: Sequence[Shape]) -> Shape:
        """All axes equal except ``axis``, whose sizes add up."""
        self._check_count(shapes)
        rank = len(shapes[0])
        axis = self.axis + rank + 1 if self.axis < 0 else self.axis  # Keras counts the batch axis
        if not 1 <= axis <= rank or any(len(s) != rank for s in shapes):
            raise ShapeError(
                "merge_shapes",
                f"Concatenate(axis={self.axis}) cannot join {', '.join(str(s) for s in shapes)}",
                kind=self.kind,
                shapes=", ".join(str(s) for s in shapes),
            )
        i = axis - 1
        if any(s[:i] + s[i + 1 :] != shapes[0][:i] + shapes[0][i + 1 :] for s in shapes):
            raise ShapeError(
                "merge_shapes",
                f"Concatenate(axis={self.axis}) needs equal sizes on the other axes. Received: {', '.join(str(s) for s in shapes)}",
                kind=self.kind,
                shapes=", ".join(str(s) for s in shapes),
            )
        return shapes[0][:i] + (sum(s[i] for s in shapes),) + shapes[0][i + 1 :]


def _ints(value: object, name: str, minimum: int, n: int | None = None) -> tuple[int, ...]:
    """``value`` (an int, or a tuple of ints; of ``n`` of them where given) as a tuple of ints ``>= minimum``."""
    values = (value,) * (n or 1) if isinstance(value, int) and not isinstance(value, bool) else value
    if not (
        isinstance(values, tuple)
        and (n is None or len(values) == n)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in values)
    ):
        count = f"{n} " if n else ""
        raise ShapeError("not_integer", f"`{name}` must be an int or a tuple of {count}ints >= {minimum}. Received: {name}={value!r}", name=name, value=value)  # fmt: skip
    return values


def transposed_length(
    size: int, kernel: int, stride: int, padding: str, output_padding: int | None, dilation: int
) -> int:
    """One axis of a transposed convolution (Keras's ``deconv_output_length``), with ``k' = d*(k-1)+1``: without
    ``output_padding``, ``valid``: ``size*s + max(k' - s, 0)``, ``same``: ``size*s``; with it, ``(size-1)*s + k' -
    2*pad + output_padding`` where ``pad = k' // 2`` for ``same`` and 0 for ``valid``."""
    span = dilation * (kernel - 1) + 1
    if output_padding is None:
        return size * stride + max(span - stride, 0) if padding == "valid" else size * stride
    pad = span // 2 if padding == "same" else 0
    return (size - 1) * stride + span - 2 * pad + output_padding


@dataclass(frozen=True)
class Conv2DTranspose(_Spec):
    """A transposed convolution: each input cell spreads a ``kernel``-sized patch over an output ``stride`` times as
    large (the gradient of a convolution; segmentation decoders, autoencoders, GAN generators)."""

    kind: ClassVar[str] = "Conv2DTranspose"
    filters: int = 32
    kernel_size: int | tuple[int, int] = 3
    strides: int | tuple[int, int] = 1
    padding: str = "valid"
    output_padding: int | tuple[int, int] | None = None
    dilation_rate: int | tuple[int, int] = 1
    activation: str | None = None
    use_bias: bool = True
    rank: ClassVar[int] = 2

    def _axes(self) -> list[tuple[int, int, int | None, int]]:
        n = self.rank
        kernel = normalize_tuple(self.kernel_size, n, "kernel_size")
        strides = normalize_tuple(self.strides, n, "strides")
        dilation = normalize_tuple(self.dilation_rate, n, "dilation_rate")
        outs = (None,) * n if self.output_padding is None else _ints(self.output_padding, "output_padding", 0, n)
        for s, o in zip(strides, outs, strict=True):
            if o is not None and o >= s:
                raise ShapeError(
                    "bad_output_padding",
                    f"{self.kind}: each output_padding must be smaller than its stride. "
                    f"Received: strides={self.strides}, output_padding={self.output_padding}",
                    kind=self.kind, strides=str(self.strides), output_padding=str(self.output_padding),
                )  # fmt: skip
        return list(zip(kernel, strides, outs, dilation, strict=True))

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, self.rank + 1)
        sizes = [
            transposed_length(size, k, s, self.padding, o, d)
            for size, (k, s, o, d) in zip(input_shape[:-1], self._axes(), strict=True)
        ]
        return (*sizes, self.filters)

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``(k_1*...*k_n*c_in + 1) * filters`` (the kernel maps each input channel to every filter)."""
        kernel = [k for k, *_ in self._axes()]
        c = input_shape[-1]
        n = (math.prod(kernel) * c + int(self.use_bias)) * self.filters
        return n, n, f"({'*'.join(map(str, kernel))}*{c}{'+1' if self.use_bias else ''})*{self.filters} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        n = 2 if self.use_bias else 1
        return n, n

    def shape_note(self, input_shape: Shape, output_shape: Shape) -> str:
        k, s, o, d = self._axes()[0]
        span = f"{d}*({k}-1)+1" if d > 1 else f"{k}"
        if o is None:
            return f"{input_shape[0]}*{s}" + (f" + max({span}-{s}, 0)" if self.padding == "valid" else "") + f" = {output_shape[0]}"  # fmt: skip
        return f"({input_shape[0]}-1)*{s} + {span} - 2*pad + {o} = {output_shape[0]}"


@dataclass(frozen=True)
class Conv1DTranspose(Conv2DTranspose):
    kind: ClassVar[str] = "Conv1DTranspose"
    kernel_size: int | tuple[int] = 3
    strides: int | tuple[int] = 1
    output_padding: int | tuple[int] | None = None
    dilation_rate: int | tuple[int] = 1
    rank: ClassVar[int] = 1


@dataclass(frozen=True)
class Conv3D(_Spec):
    """A convolution over volumes or clips: ``(depth, height, width, channels)`` in, each axis as Conv2D's."""

    kind: ClassVar[str] = "Conv3D"
    filters: int = 32
    kernel_size: int | tuple[int, int, int] = 3
    strides: int | tuple[int, int, int] = 1
    padding: str = "valid"
    dilation_rate: int | tuple[int, int, int] = 1
    activation: str | None = None
    use_bias: bool = True
    groups: int = 1

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 4)
        grouped_channels(self.kind, input_shape[-1], self.filters, self.groups)
        kernel = normalize_tuple(self.kernel_size, 3, "kernel_size")
        strides = normalize_tuple(self.strides, 3, "strides")
        dilation = normalize_tuple(self.dilation_rate, 3, "dilation_rate")
        sizes = [
            conv_axis(size, k, s, self.padding, d).output_size
            for size, k, s, d in zip(input_shape[:3], kernel, strides, dilation, strict=True)
        ]
        return (*sizes, self.filters)

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``(kd*kh*kw*c_in/groups + 1) * filters``."""
        kd, kh, kw = normalize_tuple(self.kernel_size, 3, "kernel_size")
        c = grouped_channels(self.kind, input_shape[-1], self.filters, self.groups)
        n = (kd * kh * kw * c + int(self.use_bias)) * self.filters
        return n, n, f"({kd}*{kh}*{kw}*{c}{'+1' if self.use_bias else ''})*{self.filters} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        n = 2 if self.use_bias else 1
        return n, n


@dataclass(frozen=True)
class MaxPooling3D(_Spec):
    kind: ClassVar[str] = "MaxPooling3D"
    pool_size: int | tuple[int, int, int] = 2
    strides: int | tuple[int, int, int] | None = None
    padding: str = "valid"

    def output_shape(self, input_shape: Shape) -> Shape:
        """Each of depth, height and width as MaxPooling2D's: ``floor((n - p) / s) + 1``, ``same``: ``ceil(n / s)``."""
        _require_rank(self.kind, input_shape, 4)
        pools = normalize_tuple(self.pool_size, 3, "pool_size")
        strides = pools if self.strides is None else normalize_tuple(self.strides, 3, "strides")
        sizes = [
            conv_axis(size, p, s, self.padding, 1).output_size
            for size, p, s in zip(input_shape[:3], pools, strides, strict=True)
        ]
        return (*sizes, input_shape[3])


@dataclass(frozen=True)
class AveragePooling3D(MaxPooling3D):
    kind: ClassVar[str] = "AveragePooling3D"


@dataclass(frozen=True)
class GlobalAveragePooling3D(_Spec):
    kind: ClassVar[str] = "GlobalAveragePooling3D"
    keepdims: bool = False

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 4)
        return (1, 1, 1, input_shape[3]) if self.keepdims else (input_shape[3],)


@dataclass(frozen=True)
class GlobalMaxPooling3D(GlobalAveragePooling3D):
    kind: ClassVar[str] = "GlobalMaxPooling3D"


def _crop_pair(cropping: object, argument: str = "cropping") -> tuple[int, int]:
    if isinstance(cropping, int) and not isinstance(cropping, bool):
        return cropping, cropping
    if isinstance(cropping, tuple) and len(cropping) == 2 and all(isinstance(c, int) and not isinstance(c, bool) for c in cropping):  # fmt: skip
        return cropping  # type: ignore[return-value]
    raise ShapeError("not_integer", f"`{argument}` must be an int or 2 ints. Received: {argument}={cropping!r}", name=argument, value=cropping)  # fmt: skip


def _cropped(kind: str, size: int, pair: tuple[int, int], cropping: object) -> int:
    if min(pair) < 0 or size - sum(pair) <= 0:
        raise ShapeError(
            "crop_too_large",
            f"{kind}: cropping {cropping} leaves nothing of an axis of {size}. Received: cropping={cropping}",
            kind=kind, size=size, cropping=str(cropping),
        )  # fmt: skip
    return size - sum(pair)


@dataclass(frozen=True)
class Cropping1D(_Spec):
    kind: ClassVar[str] = "Cropping1D"
    cropping: int | tuple[int, int] = (1, 1)

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(length - start - end, channels)``."""
        _require_rank(self.kind, input_shape, 2)
        return (_cropped(self.kind, input_shape[0], _crop_pair(self.cropping), self.cropping), input_shape[1])


@dataclass(frozen=True)
class Cropping2D(_Spec):
    kind: ClassVar[str] = "Cropping2D"
    cropping: int | tuple = ((0, 0), (0, 0))

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(h - top - bottom, w - left - right, c)``; ``cropping``: ``n``, ``(nh, nw)`` or two pairs."""
        _require_rank(self.kind, input_shape, 3)
        c = self.cropping
        if isinstance(c, int) and not isinstance(c, bool):
            rows, cols = (c, c), (c, c)
        elif isinstance(c, tuple) and len(c) == 2:
            rows, cols = (_crop_pair(part) for part in c)
        else:
            raise ShapeError("not_integer", f"`cropping` must be an int, 2 ints or 2 pairs of ints. Received: cropping={c!r}", name="cropping", value=c)  # fmt: skip
        return (
            _cropped(self.kind, input_shape[0], rows, c),
            _cropped(self.kind, input_shape[1], cols, c),
            input_shape[2],
        )


@dataclass(frozen=True)
class UpSampling1D(_Spec):
    kind: ClassVar[str] = "UpSampling1D"
    size: int = 2

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(length * size, channels)``."""
        _require_rank(self.kind, input_shape, 2)
        return (input_shape[0] * self.size, input_shape[1])


@dataclass(frozen=True)
class ZeroPadding1D(_Spec):
    kind: ClassVar[str] = "ZeroPadding1D"
    padding: int | tuple[int, int] = 1

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(length + start + end, channels)``."""
        _require_rank(self.kind, input_shape, 2)
        start, end = _crop_pair(self.padding, "padding")
        return (input_shape[0] + start + end, input_shape[1])


@dataclass(frozen=True)
class PReLU(_Spec):
    """A ReLU whose slope for negative inputs is learned, one per value (or shared along ``shared_axes``)."""

    kind: ClassVar[str] = "PReLU"
    shared_axes: tuple[int, ...] | int | None = None

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """One slope per value of the input, axes in ``shared_axes`` (1 = the first after the batch) counted once."""
        shared = () if self.shared_axes is None else _ints(self.shared_axes, "shared_axes", 1)
        sizes = [1 if i + 1 in shared else d for i, d in enumerate(input_shape)]
        n = math.prod(sizes)
        return n, n, f"{'*'.join(map(str, sizes))} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        return 1, 1


@dataclass(frozen=True)
class Embedding(_Spec):
    """Token ids in, one learned vector of ``output_dim`` numbers per id out (``input_dim`` ids in the vocabulary)."""

    kind: ClassVar[str] = "Embedding"
    input_dim: int = 1000
    output_dim: int = 64

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(*input_shape, output_dim)``."""
        return (*input_shape, self.output_dim)

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``input_dim * output_dim``."""
        n = self.input_dim * self.output_dim
        return n, n, f"{self.input_dim:,}*{self.output_dim} = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        return 1, 1


@dataclass(frozen=True)
class SimpleRNN(_Spec):
    """A recurrent layer over ``(steps, features)``: the last step's ``units`` values, or every step's with
    ``return_sequences=True``."""

    kind: ClassVar[str] = "SimpleRNN"
    units: int = 32
    activation: str | None = "tanh"
    use_bias: bool = True
    return_sequences: bool = False
    gates: ClassVar[int] = 1

    def output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self.kind, input_shape, 2)
        return (input_shape[0], self.units) if self.return_sequences else (self.units,)

    def _bias(self) -> int:
        return int(self.use_bias)

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``gates * units * (features + units + biases)``: each gate's input and recurrent kernels and its bias (1
        gate for SimpleRNN, 4 for LSTM, 3 for GRU whose ``reset_after`` gives it two biases)."""
        f, u = input_shape[-1], self.units
        n = self.gates * u * (f + u + self._bias())
        gates = f"{self.gates}*" if self.gates > 1 else ""
        return n, n, f"{gates}{u}*({f}+{u}+{self._bias()}) = {n:,}"

    def weight_tensors(self) -> tuple[int, int]:
        n = 3 if self.use_bias else 2
        return n, n


@dataclass(frozen=True)
class LSTM(SimpleRNN):
    kind: ClassVar[str] = "LSTM"
    gates: ClassVar[int] = 4


@dataclass(frozen=True)
class GRU(SimpleRNN):
    kind: ClassVar[str] = "GRU"
    reset_after: bool = True
    gates: ClassVar[int] = 3

    def _bias(self) -> int:
        return (2 if self.reset_after else 1) if self.use_bias else 0


@dataclass(frozen=True)
class Permute(_Spec):
    kind: ClassVar[str] = "Permute"
    dims: tuple[int, ...] = (1,)

    def output_shape(self, input_shape: Shape) -> Shape:
        """The input's axes in the order ``dims`` gives (1 = the first after the batch)."""
        dims = tuple(self.dims) if isinstance(self.dims, tuple) else (self.dims,)
        if sorted(dims) != list(range(1, len(input_shape) + 1)):
            raise ShapeError(
                "bad_permute",
                f"Permute: dims must be a permutation of 1..{len(input_shape)}. Received: dims={self.dims}",
                dims=str(self.dims), rank=len(input_shape),
            )  # fmt: skip
        return tuple(input_shape[d - 1] for d in dims)


@dataclass(frozen=True)
class RepeatVector(_Spec):
    kind: ClassVar[str] = "RepeatVector"
    n: int = 1

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(n, features)``: the vector ``n`` times."""
        _require_rank(self.kind, input_shape, 1)
        return (self.n, input_shape[0])


@dataclass(frozen=True)
class Normalization(_Spec):
    """Subtracts a mean and divides by a standard deviation per feature (``adapt`` learns them from data): a mean,
    a variance and a count of seen samples, none trained."""

    kind: ClassVar[str] = "Normalization"
    axis: int | tuple[int, ...] | None = -1
    mean: object = None
    variance: object = None

    def output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def _kept(self, input_shape: Shape) -> list[int]:
        axes = () if self.axis is None else _ints(self.axis, "axis", -len(input_shape) - 1)
        rank = len(input_shape) + 1
        return [input_shape[(a % rank) - 1] for a in axes]

    def params(self, input_shape: Shape) -> tuple[int, int, str]:
        """``2 * (the kept axes' sizes) + 1`` (mean, variance, count), none trainable; 0 with ``mean`` and
        ``variance`` given (they are constants then)."""
        if self.mean is not None and self.variance is not None:
            return 0, 0, "0"
        size = math.prod(self._kept(input_shape))
        n = 2 * size + 1
        return n, 0, f"2*{size:,}+1 = {n:,}"


UNKNOWN_STAND_INS = (720_720, 1_441_440)
"""Two stand-ins for a size written ``None`` (a sequence of any length, an image of any size). 720,720 divides by
every number up to 16, so that a stride, a pool or a reshape never stumbles on one."""


def _has_unknown(shapes: Sequence[Shape]) -> bool:
    return any(d is None for shape in shapes for d in shape)


def _stand_in(shape: Shape, size: int) -> Shape:
    return tuple(size if d is None else d for d in shape)


def _output(spec: _Spec, shapes: Sequence[Shape]) -> Shape:
    return spec.merge_shape(shapes) if isinstance(spec, MergeSpec) else spec.output_shape(shapes[0])


def output_shape_of(spec: _Spec, shapes: Sequence[Shape]) -> Shape:
    """``spec``'s output shape for ``shapes``, where a size may be ``None`` as Keras's ``compute_output_shape``
    allows: computed at two stand-in sizes (:data:`UNKNOWN_STAND_INS`), an axis that comes out different is ``None``
    (a valid convolution over a sequence of any length), one that comes out the same is known (a global pooling)."""
    if not _has_unknown(shapes):
        return _output(spec, shapes)
    first, second = (_output(spec, [_stand_in(s, n) for s in shapes]) for n in UNKNOWN_STAND_INS)
    return tuple(a if a == b else None for a, b in zip(first, second, strict=True))


def params_of(spec: _Spec, input_shape: Shape) -> tuple[int, int, str]:
    """:meth:`_Spec.params` where sizes may be ``None``: the same at both stand-ins, or Keras's refusal (a Dense
    layer after Flatten over a sequence of any length has no known number of weights)."""
    if not _has_unknown([input_shape]):
        return spec.params(input_shape)
    first, second = (spec.params(_stand_in(input_shape, n)) for n in UNKNOWN_STAND_INS)
    if first[:2] != second[:2]:
        raise ShapeError(
            "unknown_size",
            f"{spec.kind} needs the sizes of its input known to count its weights. Received: input_shape={input_shape}",
            kind=spec.kind, input_shape=str(input_shape).replace("None", "?"),
        )  # fmt: skip
    return first if first[2] == second[2] else (*first[:2], "")


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


def stack_receptive_fields(input_shape: Shape, layers: Sequence[_Spec]) -> list[ReceptiveField]:
    """Each layer's receptive field on the stack's input (:mod:`cnn_core.concepts.receptive_field`)."""
    field = INPUT_FIELD if len(input_shape) == 3 else ReceptiveField("unknown")
    fields, shape = [], tuple(input_shape)
    for layer in layers:
        try:
            field = field.then(layer.receptive_step(shape))
            shape = layer.output_shape(shape)
        except ShapeError:
            field = ReceptiveField("unknown")
        fields.append(field)
    return fields


def last_conv_field(input_shape: Shape, layers: Sequence[_Spec]) -> ReceptiveField:
    """The receptive field of the stack's last convolution: how much of the input its top sees (seed 000)."""
    fields = stack_receptive_fields(input_shape, layers)
    convs = [f for layer, f in zip(layers, fields, strict=True) if isinstance(layer, _ConvWindow)]
    return convs[-1] if convs else ReceptiveField("unknown")


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
            words = layer.shape_words(shape, out)
        except ShapeError as err:
            raise StackError(index, layer.kind, err) from err
        tensors, trainable_tensors = layer.weight_tensors()
        if frozen is not None and frozen[index]:
            trainable, trainable_tensors = 0, 0
        rows.append(
            LayerReport(
                index, name, layer.kind, shape, out, params, trainable, formula, note, tensors, trainable_tensors, words
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
