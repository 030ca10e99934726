"""The book's story in one class period: the four strategies' lecture presets queued in the book's order, and
the qualitative results each must show (the criteria ``bench/lecture.py`` checks and the training lab displays).

The story: a small convnet learns (~70%) and overfits (scratch); augmentation closes the gap (scratch_augmented);
a pretrained base does far better (feature extraction, 3a and 3b); fine-tuning its top adds a little more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cnn_core.classroom.room import SOLO, Identity, check_quota
from cnn_core.training.estimate import Estimate, estimate, workload
from cnn_core.training.registry import STRATEGIES
from cnn_core.training.run_config import RunConfig, apply_preset
from cnn_core.training.run_store import ACTIVE_STATES, RunRecord, RunStore

STORY: tuple[str, ...] = (
    "scratch",
    "scratch_augmented",
    "feature_extraction",
    "feature_extraction_augmented",
    "fine_tuning",
)
"""The book's order; fine-tuning continues the feature_extraction_augmented run queued before it."""

SCRATCH_MIN_TEST = 0.65
OVERFIT_MIN_GAP = 0.15
AUGMENTED_MAX_GAP = 0.05
"""On the final gap (:func:`final_gap`): validation accuracy on a few hundred images jumps by several points from
one epoch to the next, so one epoch's gap says little about whether the curves stay together."""
FEATURES_MIN_TEST = 0.95
PRESET_MAX_SECONDS = 180.0
STORY_MAX_SECONDS = 600.0
VAL_LOSS_RISE = 0.05
"""Validation loss "turns up" when its last value is at least 5% above its minimum, reached before the end."""


@dataclass(frozen=True)
class CurveFacts:
    """What a finished run's curves show, in the terms of the book's lesson."""

    strategy: str
    epochs: int
    test_accuracy: float | None
    best_val_accuracy: float | None
    max_gap: float | None
    """The largest ``accuracy - val_accuracy`` over the epochs (training above validation: overfitting)."""
    final_gap: float | None
    """The mean ``accuracy - val_accuracy`` over the last third of the epochs (at least three): where the curves
    end up, not one noisy validation epoch."""
    val_loss_turns_up: bool
    wall_seconds: float | None


def max_gap(epochs: Sequence[Mapping]) -> float | None:
    """``max(accuracy - val_accuracy)`` over the epochs that have both; ``None`` when none has."""
    gaps = [e["accuracy"] - e["val_accuracy"] for e in epochs if "accuracy" in e and "val_accuracy" in e]
    return max(gaps) if gaps else None


def final_gap(epochs: Sequence[Mapping]) -> float | None:
    """Mean ``accuracy - val_accuracy`` over the last ``max(3, n // 3)`` epochs that have both."""
    gaps = [e["accuracy"] - e["val_accuracy"] for e in epochs if "accuracy" in e and "val_accuracy" in e]
    tail = gaps[-max(3, len(gaps) // 3) :]
    return sum(tail) / len(tail) if tail else None


def val_loss_turns_up(epochs: Sequence[Mapping], rise: float = VAL_LOSS_RISE) -> bool:
    """Whether validation loss reached its minimum before the last epoch and ended at least ``rise`` above it
    (the book's sign of overfitting: "validation loss reaches its minimum after ~10 epochs, then rises")."""
    losses = [e["val_loss"] for e in epochs if e.get("val_loss") is not None]
    if len(losses) < 3:
        return False
    best = min(range(len(losses)), key=losses.__getitem__)
    return best < len(losses) - 1 and losses[-1] >= losses[best] * (1 + rise)


def curve_facts(record: RunRecord) -> CurveFacts:
    epochs = record.epochs
    best = record.best_epoch or {}
    return CurveFacts(
        strategy=record.config.strategy if record.config else "?",
        epochs=len(epochs),
        test_accuracy=(record.test or {}).get("accuracy"),
        best_val_accuracy=best.get("val_accuracy"),
        max_gap=max_gap(epochs),
        final_gap=final_gap(epochs),
        val_loss_turns_up=val_loss_turns_up(epochs),
        wall_seconds=record.status.get("wall_seconds"),
    )


@dataclass(frozen=True)
class Criterion:
    """One qualitative result of the story: ``key`` names it (i18n ``story.<key>``), ``value`` is what was seen."""

    strategy: str
    key: str
    holds: bool | None
    """``None`` while the run it needs has not finished."""
    value: str


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def criteria(facts: Mapping[str, CurveFacts]) -> list[Criterion]:
    """Every criterion of the story for the finished runs in ``facts`` (strategy -> its run's facts)."""
    out: list[Criterion] = []

    def check(strategy: str, key: str, holds, value: str) -> None:
        out.append(Criterion(strategy, key, holds if strategy in facts else None, value))

    def get(strategy: str, name: str):
        return getattr(facts[strategy], name) if strategy in facts else None

    s, a = "scratch", "scratch_augmented"
    check(s, "scratch_learns", (get(s, "test_accuracy") or 0) >= SCRATCH_MIN_TEST, _pct(get(s, "test_accuracy")))
    check(s, "scratch_overfits", (get(s, "max_gap") or 0) >= OVERFIT_MIN_GAP, _pct(get(s, "max_gap")))
    check(s, "val_loss_turns_up", bool(get(s, "val_loss_turns_up")), "✓" if get(s, "val_loss_turns_up") else "✗")
    gap = get(a, "final_gap")
    check(a, "augmented_gap_small", gap is not None and gap <= AUGMENTED_MAX_GAP, _pct(gap))
    both = s in facts and a in facts
    above = both and (get(a, "best_val_accuracy") or 0) > (get(s, "best_val_accuracy") or 0)
    check(a, "augmented_beats_scratch", above if both else None, f"{_pct(get(a, 'best_val_accuracy'))} > {_pct(get(s, 'best_val_accuracy'))}")  # fmt: skip
    f, fa, ft = "feature_extraction", "feature_extraction_augmented", "fine_tuning"
    check(f, "features_high", (get(f, "test_accuracy") or 0) >= FEATURES_MIN_TEST, _pct(get(f, "test_accuracy")))
    both = f in facts and fa in facts
    check(fa, "augmented_features_not_worse", (get(fa, "test_accuracy") or 0) >= (get(f, "test_accuracy") or 1) if both else None, f"{_pct(get(fa, 'test_accuracy'))} ≥ {_pct(get(f, 'test_accuracy'))}")  # fmt: skip
    both = fa in facts and ft in facts
    check(ft, "fine_tuning_not_worse", (get(ft, "test_accuracy") or 0) >= (get(fa, "test_accuracy") or 1) if both else None, f"{_pct(get(ft, 'test_accuracy'))} ≥ {_pct(get(fa, 'test_accuracy'))}")  # fmt: skip
    for strategy, fact in facts.items():
        seconds = fact.wall_seconds
        check(strategy, "preset_fits", seconds is not None and seconds <= PRESET_MAX_SECONDS, "–" if seconds is None else f"{seconds:.0f} s")  # fmt: skip
    if set(STORY) <= set(facts):
        total = sum(facts[s].wall_seconds or 0 for s in STORY)
        check("fine_tuning", "story_fits", total <= STORY_MAX_SECONDS, f"{total:.0f} s")
    return out


@dataclass(frozen=True)
class PlannedRun:
    config: RunConfig
    estimate: Estimate


def story_plan(
    dataset: str, base: str, counts: Mapping[str, Mapping[str, int]], history: Sequence[RunRecord] = (), name: str = ""
) -> list[PlannedRun]:
    """The five runs of the story with their lecture presets and this machine's estimates; fine-tuning's
    ``start_from`` is filled in at launch."""
    plan = []
    for strategy in STORY:
        config = apply_preset(RunConfig(strategy=strategy, dataset=dataset, base=base, name=f"{name}{strategy}"[:120]), "lecture")  # fmt: skip
        n_train, n_validation, n_test = workload(config, counts)
        plan.append(PlannedRun(config, estimate(config, n_train, n_validation, history, n_test=n_test)))
    return plan


def queue_story(store: RunStore, plan: Sequence[PlannedRun], launch, owner: Identity = SOLO) -> list[str]:
    """Launch ``plan`` in order through ``launch(store, config, name, estimated_seconds=..., owner=...)``; returns
    the run ids.

    Fine-tuning continues the feature_extraction_augmented run queued before it (its trainer waits for it). In a
    class the whole plan must fit ``owner``'s quota, checked before anything is queued (never half a story).
    """
    check_quota(owner, (r.owner for r in store.list() if r.state in ACTIVE_STATES), adding=len(plan))
    run_ids: dict[str, str] = {}
    for planned in plan:
        config = planned.config
        continues = STRATEGIES[config.strategy].continues
        if continues:
            config = dataclasses.replace(config, start_from=run_ids[continues])
        run_ids[config.strategy] = launch(
            store, config, config.name, estimated_seconds=planned.estimate.seconds, owner=owner
        )
    return [run_ids[p.config.strategy] for p in plan]


def story_facts(records: Sequence[RunRecord]) -> dict[str, CurveFacts]:
    """Facts of the finished runs among ``records`` (a story's runs), by strategy."""
    return {r.config.strategy: curve_facts(r) for r in records if r.config and r.test is not None}
