"""The book's story: its five strategies in the book's order, the lessons their runs must show, and the two kinds
of story a lecturer shows side by side.

The story: a small convnet learns (~70%) and overfits (scratch); augmentation delays overfitting and beats it
(scratch_augmented); a pretrained base does far better (feature extraction, 3a and 3b); fine-tuning its top adds a
little more.

Like a cooking show, a lecture shows two stories at once. The **live** story is the lecture presets, queued in class:
what a few minutes on this machine give. The **prepared** story is the book's length, queued ahead (the night before,
here or on the cluster): the runs where the book's finer lessons can show at all, replayed in class at any speed.
Without a prepared story the book-length recordings shipped with the app stand in (``recorded``). Each lesson says
on which kind it is checked (:data:`LESSONS`): a live run is checked only for what a lecture-length run shows run
after run (``bench/lecture.py --repeat 5``).
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cnn_core.classroom.room import PREPARED_STORY, SOLO, Identity, check_quota, require_lecturer
from cnn_core.training.estimate import Estimate, estimate, workload
from cnn_core.training.machine import Calibration
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


class StoryKind(StrEnum):
    LIVE = "live"
    """The lecture presets, queued in class."""
    PREPARED = PREPARED_STORY
    """The book's length, queued ahead by the lecturer (everyone's to see, :func:`~cnn_core.classroom.room.may_see`)."""
    RECORDED = "recorded"
    """The book-length recordings shipped with the app, standing in until a prepared story is complete."""


PRESET_OF: dict[StoryKind, str] = {StoryKind.LIVE: "lecture", StoryKind.PREPARED: "book"}
"""The registry preset each kind of story trains with."""

SCRATCH_MIN_TEST = {StoryKind.LIVE: 0.60, StoryKind.PREPARED: 0.65}
""""A convnet learns": far above the 50% of guessing. The book's ~70% at its length; the lecture preset (80 px, 15
epochs) ended between 66.8% and 73.4% over five seeds (``bench/lecture.py --repeat 5``), where its earlier early
stopping had stopped one seed at 59.5%; 60% keeps a margin for the seeds not tried."""
OVERFIT_MIN_GAP = 0.15
FEATURES_MIN_TEST = 0.95
FEATURES_ABOVE_SCRATCH = 0.20
""""Pretrained >> scratch": the frozen base's features at least 20 points above the convnet trained from scratch."""
OVERFITS_LATER = 3.0
"""Augmentation delays overfitting: its best validation-loss epoch at least 3x later than scratch's (the book: epoch
60-70 against 10)."""
NOT_WORSE_TOLERANCE = 0.005
""""At least as well" within noise: half a point, five of the 1,000 test images. Two accuracies near 98% measured on
1,000 images each differ by about 0.6 points (one standard deviation) by chance alone."""
PRESET_MAX_SECONDS = 180.0
STORY_MAX_SECONDS = 600.0
VAL_LOSS_RISE = 0.05
"""Validation loss "turns up" when its last value is at least 5% above its minimum, reached before the end."""
AUGMENTED_MAX_GAP = 0.05
"""On the final gap (:func:`final_gap`): validation accuracy on a few hundred images jumps by several points from
one epoch to the next, so one epoch's gap says little about whether the curves stay together."""

REPLAY_SECONDS: tuple[int, ...] = (15, 30, 60, 120, 300)
"""How long the replay of a prepared story takes from the first epoch to the longest run's last."""
DEFAULT_REPLAY_SECONDS = 60


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
    best_val_loss_epoch: int | None
    """Where validation loss was lowest: where overfitting begins."""
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
        best_val_loss_epoch=best.get("epoch"),
        wall_seconds=record.status.get("wall_seconds"),
    )


@dataclass(frozen=True)
class Lesson:
    """One lesson of the book's story: ``key`` names it (i18n ``story.<key>``), ``strategy`` is the run that shows
    it (``None``: every run, each on its own), ``kinds`` the stories it is checked on."""

    key: str
    strategy: str | None
    kinds: frozenset[StoryKind]


_BOTH = frozenset({StoryKind.LIVE, StoryKind.PREPARED})
_LIVE = frozenset({StoryKind.LIVE})
_PREPARED = frozenset({StoryKind.PREPARED})
LESSONS: tuple[Lesson, ...] = (
    Lesson("scratch_learns", "scratch", _BOTH),
    Lesson("scratch_overfits", "scratch", _BOTH),
    Lesson("val_loss_turns_up", "scratch", _BOTH),
    Lesson("augmented_gap_small", "scratch_augmented", _LIVE),
    Lesson("augmented_overfits_later", "scratch_augmented", _PREPARED),
    Lesson("augmented_beats_scratch", "scratch_augmented", _PREPARED),
    Lesson("features_high", "feature_extraction", _BOTH),
    Lesson("features_far_above_scratch", "feature_extraction", _BOTH),
    Lesson("augmented_features_not_worse", "feature_extraction_augmented", _PREPARED),
    Lesson("fine_tuning_not_worse", "fine_tuning", _PREPARED),
    Lesson("preset_fits", None, _LIVE),
    Lesson("story_fits", "fine_tuning", _LIVE),
)
"""Every lesson, in the story's order. A lecture-length run is checked only for what it shows run after run; the
book's finer lessons (augmentation beats scratch, 3b at least 3a, fine-tuning at least 3b) need the book's length and
are checked on the prepared (or recorded) story only."""


@dataclass(frozen=True)
class Criterion:
    """One lesson checked on one story: ``value`` is what was seen, ``kind`` the story it was checked on."""

    strategy: str
    key: str
    holds: bool | None
    """``None`` while the run it needs has not finished."""
    value: str
    kind: StoryKind = StoryKind.LIVE


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _not_worse(later: float | None, earlier: float | None) -> tuple[bool | None, str]:
    """``later >= earlier - NOT_WORSE_TOLERANCE`` (test accuracies)."""
    if later is None or earlier is None:
        return None, f"{_pct(later)} ≥ {_pct(earlier)}"
    return later >= earlier - NOT_WORSE_TOLERANCE, f"{_pct(later)} ≥ {_pct(earlier)} − {NOT_WORSE_TOLERANCE:.1%}"


def _check(key: str, facts: Mapping[str, CurveFacts], rules: StoryKind) -> tuple[bool | None, str]:
    """Whether lesson ``key`` holds on ``facts`` (``None``: a run it needs has not finished) and what was seen."""

    def get(strategy: str, name: str):
        return getattr(facts[strategy], name) if strategy in facts else None

    s, a, f, fa, ft = STORY
    if key == "scratch_learns":
        value = get(s, "test_accuracy")
        return (None if value is None else value >= SCRATCH_MIN_TEST[rules]), _pct(value)
    if key == "scratch_overfits":
        value = get(s, "max_gap")
        return (None if s not in facts else (value or 0) >= OVERFIT_MIN_GAP), _pct(value)
    if key == "val_loss_turns_up":
        value = get(s, "val_loss_turns_up")
        return value, {None: "–", True: "✓", False: "✗"}[value]
    if key == "augmented_gap_small":
        value = get(a, "final_gap")
        return (None if a not in facts else value is not None and value <= AUGMENTED_MAX_GAP), _pct(value)
    if key == "augmented_overfits_later":
        later, first = get(a, "best_val_loss_epoch"), get(s, "best_val_loss_epoch")
        if later is None or first is None:
            return None, f"{later or '–'} ≥ {OVERFITS_LATER:g} × {first or '–'}"
        return later >= OVERFITS_LATER * first, f"{later} ≥ {OVERFITS_LATER:g} × {first}"
    if key == "augmented_beats_scratch":
        above, below = get(a, "best_val_accuracy"), get(s, "best_val_accuracy")
        holds = None if a not in facts or s not in facts else (above or 0) > (below or 0)
        return holds, f"{_pct(above)} > {_pct(below)}"
    if key == "features_high":
        value = get(f, "test_accuracy")
        return (None if value is None else value >= FEATURES_MIN_TEST), _pct(value)
    if key == "features_far_above_scratch":
        high, low = get(f, "test_accuracy"), get(s, "test_accuracy")
        holds = None if high is None or low is None else high >= low + FEATURES_ABOVE_SCRATCH
        return holds, f"{_pct(high)} ≥ {_pct(low)} + {FEATURES_ABOVE_SCRATCH:.0%}"
    if key == "augmented_features_not_worse":
        return _not_worse(get(fa, "test_accuracy"), get(f, "test_accuracy"))
    if key == "fine_tuning_not_worse":
        return _not_worse(get(ft, "test_accuracy"), get(fa, "test_accuracy"))
    if key == "story_fits":
        if not set(STORY) <= set(facts):
            return None, "–"
        total = sum(facts[name].wall_seconds or 0 for name in STORY)
        return total <= STORY_MAX_SECONDS, f"{total:.0f} s"
    raise ValueError(f"Unknown lesson. Received: key={key!r}")


def criteria(facts: Mapping[str, CurveFacts], kind: StoryKind = StoryKind.LIVE) -> list[Criterion]:
    """Every lesson :data:`LESSONS` checks on a story of ``kind``, for the finished runs in ``facts`` (strategy ->
    its run's facts); a recorded story is checked as a prepared one."""
    rules = StoryKind.PREPARED if kind == StoryKind.RECORDED else kind
    out: list[Criterion] = []
    for lesson in LESSONS:
        if rules not in lesson.kinds:
            continue
        if lesson.strategy is None:  # each run on its own: the lecture preset's time
            for strategy, fact in facts.items():
                seconds = fact.wall_seconds
                holds = seconds is not None and seconds <= PRESET_MAX_SECONDS
                out.append(Criterion(strategy, lesson.key, holds, "–" if seconds is None else f"{seconds:.0f} s", kind))
            continue
        holds, value = _check(lesson.key, facts, rules)
        out.append(Criterion(lesson.strategy, lesson.key, holds, value, kind))
    return out


@dataclass(frozen=True)
class PlannedRun:
    config: RunConfig
    estimate: Estimate


def story_plan(
    dataset: str,
    base: str,
    counts: Mapping[str, Mapping[str, int]],
    history: Sequence[RunRecord] = (),
    name: str = "",
    kind: StoryKind = StoryKind.LIVE,
    seed: int | None = None,
    calibration: Calibration | None = None,
    rung: int = 0,
) -> list[PlannedRun]:
    """The five runs of a story of ``kind`` (its preset, :data:`PRESET_OF`; a live story's at ``rung``, see
    :func:`sized_live_plan`) with this machine's estimates; fine-tuning's ``start_from`` is filled in at launch.
    ``seed`` replaces the default seed of every run."""
    plan = []
    for strategy in STORY:
        config = RunConfig(strategy=strategy, dataset=dataset, base=base, name=f"{name}{strategy}"[:120])
        if seed is not None:
            config = dataclasses.replace(config, seed=seed)
        config = apply_preset(config, PRESET_OF[kind], rung if kind == StoryKind.LIVE else 0)
        n_train, n_validation, n_test = workload(config, counts)
        plan.append(
            PlannedRun(config, estimate(config, n_train, n_validation, history, n_test=n_test, calibration=calibration))
        )
    return plan


def plan_fits(plan: Sequence[PlannedRun]) -> bool:
    """Whether a live story's estimates keep the period's budget: each run within :data:`PRESET_MAX_SECONDS`, all of
    them within :data:`STORY_MAX_SECONDS` (the lessons ``preset_fits`` and ``story_fits`` check the same on the runs)."""
    seconds = [p.estimate.seconds for p in plan]
    return max(seconds, default=0.0) <= PRESET_MAX_SECONDS and sum(seconds) <= STORY_MAX_SECONDS


@dataclass(frozen=True)
class SizedPlan:
    """A live story sized to this machine: the first ``rung`` (0: the lecture presets) whose estimates fit the
    period (:func:`plan_fits`); ``fits`` is ``False`` when even the smallest does not (the page then offers the
    prepared or shipped recordings)."""

    plan: list[PlannedRun]
    rung: int
    fits: bool


def story_rungs() -> int:
    """How many lecture workloads the story can choose from: the preset and each strategy's smaller ones."""
    return 1 + max(len(STRATEGIES[name].smaller) for name in STORY)


def sized_live_plan(
    dataset: str,
    base: str,
    counts: Mapping[str, Mapping[str, int]],
    history: Sequence[RunRecord] = (),
    calibration: Calibration | None = None,
    name: str = "",
    seed: int | None = None,
) -> SizedPlan:
    """The live story at the largest lecture workload that fits the period on this machine (its calibration and
    finished runs), rung by rung: the presets first, then each strategy's smaller workloads (fewer images, fewer
    epochs), which keep the lessons (``bench/lecture.py --rung``)."""
    plan: list[PlannedRun] = []
    for rung in range(story_rungs()):
        plan = story_plan(dataset, base, counts, history, name, StoryKind.LIVE, seed, calibration, rung)
        if plan_fits(plan):
            return SizedPlan(plan, rung, True)
    return SizedPlan(plan, story_rungs() - 1, False)


@dataclass(frozen=True)
class SizedRun:
    """One lecture-preset run sized to this machine: the first ``rung`` whose estimate is within
    :data:`PRESET_MAX_SECONDS`; ``fits`` is ``False`` when even the smallest is not."""

    config: RunConfig
    estimate: Estimate
    rung: int
    fits: bool


def sized_lecture_run(
    config: RunConfig,
    counts: Mapping[str, Mapping[str, int]],
    history: Sequence[RunRecord] = (),
    calibration: Calibration | None = None,
) -> SizedRun:
    """``config`` (its workload fields left empty, as the launch form leaves them) with the largest lecture workload
    of its strategy that fits one lesson's budget on this machine. Fine-tuning stays at its source run's size."""
    entry = config.strategy_entry
    sized = None
    for rung in range(1 + len(entry.smaller)):
        candidate = apply_preset(config, "lecture", rung)
        n_train, n_validation, n_test = workload(candidate, counts)
        expected = estimate(candidate, n_train, n_validation, history, n_test=n_test, calibration=calibration)
        sized = SizedRun(candidate, expected, rung, expected.seconds <= PRESET_MAX_SECONDS)
        if sized.fits:
            return sized
    assert sized is not None  # range() above is never empty
    return sized


def finish_plan(
    story: Story,
    counts: Mapping[str, Mapping[str, int]],
    history: Sequence[RunRecord] = (),
    calibration: Calibration | None = None,
) -> list[PlannedRun]:
    """The runs that finish ``story``, a story stopped short (a run failed, was stopped, interrupted or deleted):
    its strategies without a finished run, in the book's order, each with the configuration it was queued with
    (seed, size and epochs as before; fine-tuning's ``start_from`` is filled in at launch) and a fresh estimate.

    Empty for a complete story; raises ``ValueError`` while any of its runs is still queued or training."""
    if story.active:
        raise ValueError(f"A story still training is not finished by hand. Received: story={story.story_id}")
    kind, done = story.kind, set(story_facts(story.records))
    known = {r.config.strategy: r.config for r in story.records}
    if not known:
        return []
    first = next(iter(known.values()))
    prefix = first.name.removesuffix(first.strategy)  # "Prepared: " as the story was queued
    default = {p.config.strategy: p.config for p in story_plan(first.dataset, first.base, counts, name=prefix, kind=kind, seed=first.seed)}  # fmt: skip
    plan = []
    for strategy in STORY:
        if strategy in done:
            continue
        config = dataclasses.replace(known.get(strategy, default[strategy]), start_from=None)
        n_train, n_validation, n_test = workload(config, counts)
        plan.append(
            PlannedRun(config, estimate(config, n_train, n_validation, history, n_test=n_test, calibration=calibration))
        )
    return plan


def queue_story(
    store: RunStore,
    plan: Sequence[PlannedRun],
    launch,
    owner: Identity = SOLO,
    kind: StoryKind = StoryKind.LIVE,
    finishing: Story | None = None,
) -> list[str]:
    """Launch ``plan`` in order through ``launch(store, config, name, estimated_seconds=..., owner=..., story=...)``
    as one story of ``kind``; returns the run ids. With ``finishing`` (and :func:`finish_plan`'s plan) the runs join
    that story instead, continuing its finished runs.

    Fine-tuning continues the feature_extraction_augmented run queued before it (its trainer waits for it). In a
    class the whole plan must fit ``owner``'s quota, checked before anything is queued (never half a story); only
    the lecturer prepares the class's story.
    """
    if finishing is not None:
        kind = finishing.kind
    if kind == StoryKind.PREPARED:
        require_lecturer(owner)
    elif kind != StoryKind.LIVE:
        raise ValueError(f"Only live and prepared stories are queued. Received: kind={kind!r}")
    check_quota(owner, (r.owner for r in store.list() if r.state in ACTIVE_STATES), adding=len(plan))
    story_id = finishing.story_id if finishing else f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    story = {"id": story_id, "kind": str(kind)}
    run_ids: dict[str, str] = {}
    if finishing is not None:
        run_ids = {r.config.strategy: r.run_id for r in finishing.records if r.test is not None}
    for planned in plan:
        config = planned.config
        continues = STRATEGIES[config.strategy].continues
        if continues:
            config = dataclasses.replace(config, start_from=run_ids[continues])
        run_ids[config.strategy] = launch(
            store, config, config.name, estimated_seconds=planned.estimate.seconds, owner=owner, story=story
        )
    return [run_ids[p.config.strategy] for p in plan]


def story_facts(records: Sequence[RunRecord]) -> dict[str, CurveFacts]:
    """Facts of the finished runs among ``records`` (a story's runs), by strategy."""
    return {r.config.strategy: curve_facts(r) for r in records if r.config and r.test is not None}


@dataclass(frozen=True)
class Story:
    """One story's runs, in the book's order (a deleted or missing run leaves its strategy out)."""

    story_id: str
    kind: StoryKind
    records: tuple[RunRecord, ...]

    @property
    def complete(self) -> bool:
        """Every strategy of the story has finished with a test result."""
        return set(STORY) <= set(story_facts(self.records))

    @property
    def active(self) -> bool:
        return any(r.state in ACTIVE_STATES for r in self.records)

    @property
    def made_at(self) -> float | None:
        """When the story was queued (``None`` for recordings that do not say)."""
        times = [r.meta.get("created_at") for r in self.records if r.meta.get("created_at")]
        return min(times) if times else None

    @property
    def wall_seconds(self) -> float:
        return sum(r.status.get("wall_seconds") or 0 for r in self.records)

    @property
    def longest(self) -> int:
        """The most epochs any of its runs trained: the replay's length."""
        return max((len(r.epochs) for r in self.records), default=0)


def made_where(record: RunRecord) -> dict[str, object]:
    """Where a run trained, as its status recorded it: host, backend, device, cores, precision (recordings: the
    machine they name)."""
    if record.is_recorded:
        return {"machine": record.meta.get("machine"), "precision": record.status.get("precision")}
    keys = ("host", "backend", "device", "cores", "cpus", "gpus", "precision")
    return {k: record.status[k] for k in keys if record.status.get(k) not in (None, "")}


def stories(records: Sequence[RunRecord], kind: StoryKind) -> list[Story]:
    """The stories of ``kind`` among ``records``, newest first: runs grouped by their ``story`` tag, one per
    strategy (its finished run, else its newest)."""
    grouped: dict[str, dict[str, RunRecord]] = {}
    for record in sorted(records, key=_story_rank):
        tag = record.story
        if tag.get("kind") == kind and tag.get("id") and record.config:
            grouped.setdefault(tag["id"], {})[record.config.strategy] = record  # the best-ranked run stays
    found = [
        Story(story_id, kind, tuple(runs[s] for s in (*STORY, *sorted(set(runs) - set(STORY))) if s in runs))
        for story_id, runs in grouped.items()
    ]
    return sorted(found, key=lambda story: story.made_at or 0, reverse=True)


def _story_rank(record: RunRecord) -> tuple[bool, float]:
    """Sort key: within a story a strategy shows its finished run, else its newest (a story finished by hand has
    an interrupted run and its rerun)."""
    return (record.test is not None, record.meta.get("created_at") or 0)


def recorded_story(recorded: Sequence[RunRecord]) -> Story:
    """The shipped recordings as a story (one run per strategy, the book's order)."""
    by_strategy = {r.config.strategy: r for r in recorded if r.config and r.config.strategy in STORY}
    return Story("recorded", StoryKind.RECORDED, tuple(by_strategy[s] for s in STORY if s in by_strategy))


def replayed_story(records: Sequence[RunRecord], recorded: Sequence[RunRecord]) -> tuple[Story, Story | None]:
    """The story the class replays, and the prepared one still training (if any).

    The replay is the newest complete prepared story; without one, the shipped recordings stand in.
    """
    prepared = stories(records, StoryKind.PREPARED)
    complete = next((story for story in prepared if story.complete), None)
    newer = prepared[0] if prepared and prepared[0] is not complete and not prepared[0].complete else None
    return complete or recorded_story(recorded), newer


def replay_position(anchor: float, elapsed: float, replay_seconds: float, longest: int, playing: bool) -> float:
    """The replay's position in epochs: ``min(longest, anchor + elapsed * longest / replay_seconds)`` while playing,
    ``anchor`` (the scrubbed or paused epoch) otherwise; never outside ``[0, longest]``."""
    position = anchor + (elapsed * longest / replay_seconds if playing and replay_seconds > 0 else 0.0)
    return min(max(position, 0.0), float(longest))


def replayed(record: RunRecord, position: float) -> RunRecord:
    """``record`` as the replay shows it at ``position``: the epochs up to it, its test result once the replay has
    passed its last epoch (its lessons are checked then)."""
    shown = [e for e in record.epochs if e.get("epoch", 0) <= position + 1e-9]
    finished = len(shown) == len(record.epochs)
    return dataclasses.replace(record, epochs=shown, test=record.test if finished else None)
