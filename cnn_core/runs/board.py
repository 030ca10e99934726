"""The class board: every learner's runs in one table, against the book's results; and the Runs page's table.

One row per run a member may see (:func:`cnn_core.classroom.room.may_see`): who trained it, the strategy, the
parameters, the best validation accuracy, the test accuracy, how long it took, and the book's accuracy for
that strategy. With ``hide_names`` (for the projector) nicknames become "#1", "#2", ... numbered by each
member's first run, the same number for all of a member's runs.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from cnn_core.classroom.room import Identity, may_see
from cnn_core.training.registry import STRATEGIES
from cnn_core.training.run_store import RunRecord, RunState, now


@dataclass(frozen=True)
class BoardRow:
    run_id: str
    member: str
    strategy: str
    state: RunState
    params: int | None
    best_val_accuracy: float | None
    test_accuracy: float | None
    seconds: float | None
    book_accuracy: float | None

    @property
    def accuracy(self) -> float | None:
        """What the chart plots: the test accuracy, else the best validation accuracy so far."""
        return self.test_accuracy if self.test_accuracy is not None else self.best_val_accuracy


def board_rows(
    records: Iterable[RunRecord],
    viewer: Identity,
    runs_hidden: bool,
    hide_names: bool = False,
    strategies: Sequence[str] = (),
    at: float | None = None,
) -> list[BoardRow]:
    """The board's rows, oldest run first, limited to ``strategies`` when given (recorded runs are not class work)."""
    at = at or now()
    shown = sorted(
        (r for r in records if r.config and not r.is_recorded and may_see(viewer, r.meta, runs_hidden)),
        key=lambda r: (r.status.get("created_at", 0), r.run_id),
    )
    numbers: dict[str, int] = {}
    rows = []
    for r in shown:
        owner = r.owner
        number = numbers.setdefault(owner["id"], len(numbers) + 1)
        if strategies and r.config.strategy not in strategies:
            continue
        best = r.best_epoch or {}
        entry = STRATEGIES.get(r.config.strategy)
        rows.append(
            BoardRow(
                run_id=r.run_id,
                member=f"#{number}" if hide_names else (owner.get("nickname") or "–"),
                strategy=r.config.strategy,
                state=r.state,
                params=r.status.get("params"),
                best_val_accuracy=best.get("val_accuracy"),
                test_accuracy=(r.test or {}).get("accuracy"),
                seconds=r.seconds(at),
                book_accuracy=entry.book_accuracy if entry and not math.isnan(entry.book_accuracy) else None,
            )
        )
    return rows


@dataclass(frozen=True)
class RunRow:
    """One line of the Runs page's table: a run as its owner sees it among their own (or a class's) runs."""

    run_id: str
    name: str
    owner: str
    state: RunState
    strategy: str | None
    dataset: str | None
    base: str | None
    """The pretrained base, for strategies that stand on one."""
    params: int | None
    best_val_accuracy: float | None
    test_accuracy: float | None
    seconds: float | None
    estimated_seconds: float | None
    precision: str | None = None
    """What it trained in: "bf16", "fp16" or "fp32" (``None`` before it started, or from before precisions)."""
    train_val_gap: float | None = None
    """Training minus validation accuracy at the last epoch: how far it overfits."""


def run_rows(records: Iterable[RunRecord], at: float | None = None) -> list[RunRow]:
    """The Runs page's rows, in the order given (the caller has already kept only the runs its viewer may see)."""
    at = at or now()
    rows = []
    for r in records:
        config = r.config
        rows.append(
            RunRow(
                run_id=r.run_id,
                name=r.name,
                owner=r.owner.get("nickname") or "–",
                state=r.state,
                strategy=config.strategy if config else None,
                dataset=Path(config.dataset).name if config else None,
                base=config.base if config and config.uses_pretrained_base else None,
                params=r.status.get("params"),
                best_val_accuracy=(r.best_epoch or {}).get("val_accuracy"),
                test_accuracy=(r.test or {}).get("accuracy"),
                seconds=r.seconds(at),
                estimated_seconds=r.estimated_seconds,
                precision=r.status.get("precision"),
                train_val_gap=train_val_gap(r.epochs),
            )
        )
    return rows


def train_val_gap(epochs: Sequence[dict]) -> float | None:
    """``accuracy - val_accuracy`` of the last epoch (``None`` before one ends)."""
    if not epochs or epochs[-1].get("accuracy") is None or epochs[-1].get("val_accuracy") is None:
        return None
    return float(epochs[-1]["accuracy"]) - float(epochs[-1]["val_accuracy"])


def board_csv(rows: Sequence[BoardRow]) -> str:
    """The board as CSV, one row per run, the columns named as in :class:`BoardRow`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(BoardRow)])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in asdict(row).items()})
    return out.getvalue()


@dataclass(frozen=True)
class AccuracyAxis:
    low: float
    high: float
    tick_format: str


def accuracy_axis(values: Iterable[float], bands: Iterable[float], band_half_width: float = 0.01) -> AccuracyAxis:
    """The board's y-axis: from ``min - margin`` to ``max + margin`` over the runs' accuracies and the book's bands
    (each band ``+-band_half_width``), ``margin = max(0.02, span / 10)``, clipped to [0, 1]; ticks with one decimal
    (``.1%``) when the range is under 10 points, so that 97.5% and 98% never both read "98%"."""
    points = [v for v in values if v is not None and not math.isnan(v)]
    for band in bands:
        if not math.isnan(band):
            points += [band - band_half_width, band + band_half_width]
    if not points:
        return AccuracyAxis(0.0, 1.0, ".0%")
    span = max(points) - min(points)
    margin = max(0.02, span / 10)
    low, high = max(0.0, min(points) - margin), min(1.0, max(points) + margin)
    return AccuracyAxis(low, high, ".1%" if high - low < 0.10 else ".0%")
