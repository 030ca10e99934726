"""How much of the input one output cell of a layer sees: its receptive field, per spatial axis.

Seed 000's second reason for max pooling: stacked 3x3 convolutions alone let the last layer see only a small
part of the image; pooling (a stride) makes every later layer's window cover more of it. Along one axis, a chain of
sliding windows (kernel ``k``, stride ``s``, dilation ``d``, padding ``p`` cells before the input) gives every output
cell the same-sized field, moved by a fixed jump (Araujo, Norris and Sim, "Computing Receptive Fields of
Convolutional Neural Networks", Distill 2019)::

    k_eff  = d(k - 1) + 1
    size_l = size_{l-1} + (k_eff - 1) * jump_{l-1}      size_0 = 1
    jump_l = jump_{l-1} * s                              jump_0 = 1
    first_l = first_{l-1} - p * jump_{l-1}               first_0 = 0

Output cell ``o`` of layer ``l`` sees input cells ``first_l + o*jump_l`` to ``first_l + o*jump_l + size_l - 1``
(cells outside the input are padding). That is the field's *size*, the same for every cell. Near a border, padding
at any layer on the way means a cell depends on fewer input cells than that; :meth:`ReceptiveField.input_cells`
follows the windows back layer by layer and gives exactly the input cells a cell depends on (the non-zero cells of
its gradient, which the tests check against Keras).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cnn_core.concepts.shapes import AxisArithmetic


@dataclass(frozen=True)
class AxisField:
    """The field of one axis: ``size`` input cells, ``jump`` cells between neighbouring outputs' fields, and the
    input index where output 0's field begins (negative: it starts in the padding)."""

    size: int = 1
    jump: int = 1
    first: int = 0

    def through(self, window: AxisArithmetic) -> AxisField:
        """This field after one more sliding window (the recurrence in the module's docstring)."""
        return AxisField(
            size=self.size + (window.effective_kernel - 1) * self.jump,
            jump=self.jump * window.stride,
            first=self.first - window.pad_before * self.jump,
        )

    def cells(self, output_index: int, input_size: int) -> tuple[int, int]:
        """The input cells ``(first, last)`` output ``output_index`` sees, within ``[0, input_size)`` (``first >
        last`` when it sees only padding)."""
        start = self.first + output_index * self.jump
        return max(start, 0), min(start + self.size - 1, input_size - 1)

    def center(self) -> float:
        """Where output 0's field is centred (Araujo et al.'s "start"): ``first + (size - 1) / 2``."""
        return self.first + (self.size - 1) / 2


@dataclass(frozen=True)
class FieldStep:
    """What a layer does to the receptive field: ``keep`` it (per-position layers), slide a ``window`` over it
    (``rows``/``cols``), ``flatten`` the positions into one axis, mix the last axis (``mix_last``: Dense mixes the
    channels of each position, or every value once the positions are flattened), mix them all (``whole``), or
    ``unknown``."""

    kind: Literal["keep", "window", "flatten", "mix_last", "whole", "unknown"]
    rows: AxisArithmetic | None = None
    cols: AxisArithmetic | None = None


KEEP = FieldStep("keep")
MIX_LAST = FieldStep("mix_last")
FLATTEN = FieldStep("flatten")
WHOLE = FieldStep("whole")
UNKNOWN = FieldStep("unknown")


@dataclass(frozen=True)
class ReceptiveField:
    """A layer's receptive field on a ``(height, width)`` input: ``extent``: ``spatial`` for a map whose cells each see
    ``rows x cols`` of the input; ``flat`` after Flatten (each value still sees one cell's field); ``whole`` once the
    positions are mixed (Dense after Flatten, global pooling); ``unknown`` where it is not computed here."""

    extent: Literal["spatial", "flat", "whole", "unknown"]
    rows: AxisField = AxisField()
    cols: AxisField = AxisField()
    windows: tuple[tuple[AxisArithmetic, AxisArithmetic], ...] | None = ()
    """The sliding windows on the way from the input, in order (``None`` after a merge of branches)."""

    def mask(self, row: int, col: int, height: int, width: int) -> np.ndarray | None:
        """A ``(height, width)`` boolean map of the input cells output cell ``(row, col)`` depends on."""
        cells = self.input_cells(row, col)
        if cells is None:
            return None
        mask = np.zeros((height, width), dtype=bool)
        mask[np.ix_(cells[0], cells[1])] = True
        return mask

    def input_cells(self, row: int, col: int) -> tuple[list[int], list[int]] | None:
        """The input rows and columns output cell ``(row, col)`` depends on, exactly (padding left out at every
        layer); ``None`` where the windows are not known (after a merge)."""
        if self.extent not in ("spatial", "flat") or self.windows is None:
            return None
        return (
            _cells_through([w[0] for w in self.windows], row),
            _cells_through([w[1] for w in self.windows], col),
        )

    @property
    def size(self) -> tuple[int, int] | None:
        return (self.rows.size, self.cols.size) if self.extent in ("spatial", "flat") else None

    def then(self, step: FieldStep) -> ReceptiveField:
        """The field after a layer that does ``step``."""
        if self.extent == "unknown" or step.kind == "unknown":
            return ReceptiveField("unknown")
        if step.kind == "whole" or self.extent == "whole":
            return ReceptiveField("whole")
        if step.kind == "mix_last":
            return ReceptiveField("whole") if self.extent == "flat" else self
        if step.kind == "keep":
            return self
        if step.kind == "flatten":
            return ReceptiveField("flat", self.rows, self.cols, self.windows) if self.extent == "spatial" else self
        if self.extent == "flat":  # a sliding window over flattened values: not a spatial field any more
            return ReceptiveField("unknown")
        assert step.rows is not None and step.cols is not None
        windows = None if self.windows is None else (*self.windows, (step.rows, step.cols))
        return ReceptiveField("spatial", self.rows.through(step.rows), self.cols.through(step.cols), windows)

    def merged(self, other: ReceptiveField) -> ReceptiveField:
        """Two branches added or concatenated cell by cell (a residual connection): the union of their fields."""
        if self.extent != other.extent or self.extent != "spatial":
            return self if self == other else ReceptiveField("unknown")
        axes = []
        for a, b in ((self.rows, other.rows), (self.cols, other.cols)):
            if a.jump != b.jump:
                return ReceptiveField("unknown")
            first = min(a.first, b.first)
            last = max(a.first + a.size, b.first + b.size)
            axes.append(AxisField(last - first, a.jump, first))
        return ReceptiveField("spatial", axes[0], axes[1], None)


INPUT_FIELD = ReceptiveField("spatial")
"""An input layer: each cell sees itself."""


def _cells_through(windows: Sequence[AxisArithmetic], output_index: int) -> list[int]:
    """The input indices output ``output_index`` of the last window depends on, one window back at a time: output
    ``o`` of a window reads input ``o*s - pad_before + j*d`` for ``j < k``, where that is inside the input."""
    cells = {output_index}
    for window in reversed(windows):
        start = -window.pad_before
        cells = {
            i
            for o in cells
            for j in range(window.kernel_size)
            if 0 <= (i := o * window.stride + start + j * window.dilation) < window.input_size
        }
    return sorted(cells)
