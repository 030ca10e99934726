"""The whole story with the lecture presets, through the real runner: does each strategy show its lesson in time?
With ``--book``: prepare the class, the whole story at the book's length, ahead of the lecture.

Run: .venv/bin/python bench/lecture.py [--dataset ../shared/data/cats_vs_dogs_small] [--runs-dir DIR]
         [--set scratch:epochs=25,image_size=96 ...] [--repeat N] [--seed S] [--fresh] [--rung N] [--no-calibrate]
     .venv/bin/python bench/lecture.py --book [--runs-dir DIR] [--backend configured] [--finish]

Queues the five lecture-preset runs (scratch, scratch_augmented, feature extraction 3a and 3b, fine-tuning after 3b)
exactly as the training lab's "Queue the whole story" button does, one at a time on the local backend, and prints
per strategy: wall time, the estimate made before launch, test accuracy, best validation accuracy, the largest
train-validation gap, whether validation loss turned up, then every criterion of ``cnn_core.runs.story`` with ✓/✗.
``--runs-dir`` keeps the runs (default ``~/.cnn_classroom/bench-lecture``): a second invocation's estimates are
calibrated on the first one's runs. ``--set`` tries a variant of a preset without editing the registry.
``--fresh --repeat 2`` is the estimate check: the story on an empty runs folder, right after this machine's
calibration (cold: no history, no cached features), then again beside those runs (warm); every estimate should be
within +-30% of the wall time it took. The live story is sized to this machine as the training lab sizes it (the
largest lecture workloads that keep each run within 3 min and the story within 10); ``--rung N`` forces a workload
(0: the presets), to check the lessons at it. On a slow machine: ``taskset -c 0 .venv/bin/python bench/lecture.py
--fresh --repeat 2`` (one core: another machine, calibrated anew).
``--repeat 5`` is the stability check: round ``i`` trains with seed ``S + i - 1``; the summary counts, per lesson,
the rounds it held in (a live lesson must hold in all of them). Lessons checked only on prepared runs are printed
too, marked, for information.

``--book`` queues the story as the training lab's "Prepare the class" button does: the book's preset (180 px, every
image, the book's epochs) as a *prepared* story, into the app's runs folder by default, so the story view replays it
in class. ``--backend configured`` sends it where the app would (the Ray cluster when ``CNN_CLASSROOM_RAY_ADDRESS``
is set); the default trains here, one run at a time. ``--finish`` finishes the newest story that stopped short
(the laptop was closed, a run failed) as the training lab's "Finish preparing" button does: its missing runs, with
the settings they were queued with, join it; the tables then cover the whole story.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn_core.core.settings import PROJECT_ROOT, home_dir, load_settings  # noqa: E402
from cnn_core.data.datasets import image_counts  # noqa: E402
from cnn_core.runs.jobs import LocalBackend, configured_backend, launch, measure_machine_now, reconcile  # noqa: E402
from cnn_core.runs.story import (  # noqa: E402
    LESSONS,
    StoryKind,
    criteria,
    curve_facts,
    finish_plan,
    made_where,
    queue_story,
    sized_live_plan,
    stories,
    story_facts,
    story_plan,
    story_rungs,
)
from cnn_core.training.machine import Calibration, this_machine  # noqa: E402
from cnn_core.training.run_store import ACTIVE_STATES, RunStore  # noqa: E402


def parse_sets(values: list[str]) -> dict[str, dict[str, object]]:
    """``["scratch:epochs=25,image_size=96"]`` -> ``{"scratch": {"epochs": 25, "image_size": 96}}``."""
    out: dict[str, dict[str, object]] = {}
    for value in values:
        strategy, _, pairs = value.partition(":")
        for pair in pairs.split(","):
            key, _, raw = pair.partition("=")
            out.setdefault(strategy, {})[key] = _value(raw)
    return out


def _value(raw: str) -> object:
    """``"25"`` -> 25, ``"1e-4"`` -> 0.0001, ``"None"`` -> None, ``"float32"`` -> "float32"."""
    if raw == "None":
        return None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=str(PROJECT_ROOT.parent / "shared" / "data" / "cats_vs_dogs_small"))
    parser.add_argument("--runs-dir", default=None, help="default: ~/.cnn_classroom/bench-lecture; --book: the app's")
    parser.add_argument("--base", default="efficientnet_lite0")
    parser.add_argument("--set", action="append", default=[], help="strategy:key=value,... (a preset variant)")
    parser.add_argument("--repeat", type=int, default=1, help="the story this many times, each beside the last")
    parser.add_argument("--fresh", action="store_true", help="start from an empty runs folder (a cold machine)")
    parser.add_argument("--seed", type=int, default=1337, help="round i trains with seed + i - 1")
    parser.add_argument("--book", action="store_true", help="prepare the class: the book-length story")
    parser.add_argument("--backend", choices=("local", "configured"), default="local")
    parser.add_argument("--only", default="", help="comma-separated strategies: part of the story (tuning a preset)")
    parser.add_argument("--finish", action="store_true", help="finish the newest story that stopped short")
    parser.add_argument("--rung", type=int, default=None, help="the live story at this lecture workload (0: presets)")
    parser.add_argument("--no-calibrate", action="store_true", help="estimate from the reference machine's figures")
    args = parser.parse_args()
    dataset = Path(args.dataset).resolve()
    if not (dataset / "train").is_dir():
        print(f"No dataset at {dataset}: see ../shared/data/SOURCES.md, or pass --dataset")
        return 2
    os.environ.setdefault("CNN_CLASSROOM_DATA_DIRS", str(dataset.parent))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    default_dir = load_settings().runs_dir if args.book else home_dir() / "bench-lecture"
    runs_dir = Path(args.runs_dir) if args.runs_dir else default_dir
    if args.fresh:  # a new user's machine: no runs, and no cached features, converted weights or compiled programs
        runs_dir = runs_dir / time.strftime("fresh-%Y%m%d-%H%M%S")
        os.environ["CNN_CLASSROOM_HOME"] = str(runs_dir / "home")
    store = RunStore(runs_dir)
    kind = StoryKind.PREPARED if args.book else StoryKind.LIVE
    backend = configured_backend() if args.backend == "configured" else LocalBackend(1)
    print(f"this machine: {this_machine().describe()}", flush=True)
    calibration = None if args.no_calibrate else calibrate(store)
    if args.finish:
        return finish(store, dataset, kind, backend)
    within, counted, held, rounds_seen = 0, 0, {}, []
    for round_ in range(1, args.repeat + 1):
        print(f"=== round {round_} of {args.repeat}: {len(store.list())} runs in {runs_dir} before it", flush=True)
        seed = args.seed + round_ - 1
        only = tuple(filter(None, args.only.split(",")))
        good, n, seen = story_round(
            store, dataset, args.base, parse_sets(args.set), kind, seed, backend, only, calibration, args.rung
        )
        within, counted = within + good, counted + n
        rounds_seen.append(seen)
        for c in seen:
            held.setdefault((c.strategy, c.key), []).append(c.holds)
    print(f"estimates within +-30% of the wall time: {within} of {counted}")
    if args.repeat > 1:
        print(f"\nlessons over {args.repeat} rounds (seeds {args.seed}..{args.seed + args.repeat - 1}):")
        for (strategy, key), marks in held.items():
            live = any(lesson.key == key and StoryKind.LIVE in lesson.kinds for lesson in LESSONS)
            tag = "" if live or kind != StoryKind.LIVE else "  (checked on prepared runs only)"
            print(f"  {sum(m is True for m in marks)}/{len(marks)} {strategy:30} {key}{tag}")
    return 0


def calibrate(store: RunStore) -> Calibration | None:
    """This machine's calibration in ``store`` (measured now, as the training lab does at first start, when absent)."""
    started = time.perf_counter()
    calibration = measure_machine_now(store)
    if calibration is None:
        print("calibration failed: the reference machine's figures stand in", flush=True)
        return None
    probes = ", ".join(f"{n} {p.value:,.1f} ({p.precision}, CPU {p.cpu_share})" for n, p in calibration.probes.items())
    print(f"calibration: {calibration.seconds:.1f} s in its process ({time.perf_counter() - started:.1f} s here); {probes}", flush=True)  # fmt: skip
    return calibration


def story_round(
    store: RunStore,
    dataset: Path,
    base: str,
    variants: dict,
    kind: StoryKind,
    seed: int,
    backend,
    only=(),
    calibration: Calibration | None = None,
    rung: int | None = None,
) -> tuple[int, int, list]:
    """One story of ``kind`` beside the runs already in ``store``; returns (estimates within 30%, runs, lessons).
    A live story is sized to this machine as the training lab sizes it (``rung`` forces a lecture workload)."""
    name = "prepared: " if kind == StoryKind.PREPARED else "lecture bench: "
    counts, history = image_counts(dataset), store.list()
    if kind == StoryKind.LIVE and rung is None:
        sized = sized_live_plan(str(dataset), base, counts, history, calibration, name=name, seed=seed)
        plan = sized.plan
        print(f"sized to this machine: rung {sized.rung} of {story_rungs() - 1} ({'fits' if sized.fits else 'does NOT fit'} the period)", flush=True)  # fmt: skip
    else:
        plan = story_plan(str(dataset), base, counts, history, name, kind, seed, calibration, rung or 0)
    plan = [
        dataclasses.replace(p, config=dataclasses.replace(p.config, **variants.get(p.config.strategy, {})))
        for p in plan
        if not only or p.config.strategy in only
    ]
    for p in plan:
        print(f"... {p.config.strategy}: {p.config.image_size} px, {p.config.limit_per_class or 'all'} per class, "
              f"{p.config.effective_epochs} epochs, patience {p.config.early_stopping_patience}; "
              f"estimate {p.estimate.seconds:.0f} s ({p.estimate.basis})", flush=True)  # fmt: skip
    started = time.perf_counter()
    ids = queue_story(store, plan, lambda *a, **k: launch(*a, **k, backend=backend), kind=kind)
    while any(store.load(i).state in ACTIVE_STATES for i in ids):
        time.sleep(1)
    return report([store.load(i) for i in ids], time.perf_counter() - started, kind)


def finish(store: RunStore, dataset: Path, kind: StoryKind, backend) -> int:
    """Finish the newest story of ``kind`` in ``store`` that stopped short, then report the whole story."""
    reconcile(store)  # a trainer that died with the last session is marked interrupted (its queue then fails)
    while (shortened := next((s for s in stories(store.list(), kind) if not s.complete), None)) and shortened.active:
        time.sleep(5)
        reconcile(store)
    if shortened is None:
        print(f"No {kind} story stopped short in {store.root}")
        return 2
    plan = finish_plan(shortened, image_counts(dataset), store.list())
    print(f"finishing {shortened.story_id} (made {time.ctime(shortened.made_at or 0)}): "
          f"{', '.join(p.config.strategy for p in plan)}", flush=True)  # fmt: skip
    started = time.perf_counter()
    ids = queue_story(store, plan, lambda *a, **k: launch(*a, **k, backend=backend), finishing=shortened)
    while any(store.load(i).state in ACTIVE_STATES for i in ids):
        time.sleep(1)
    whole = next(s for s in stories(store.list(), kind) if s.story_id == shortened.story_id)
    report(list(whole.records), time.perf_counter() - started, kind)
    return 0


def report(records: list, total: float, kind: StoryKind) -> tuple[int, int, list]:
    """Print a story's table and lessons; returns (estimates within 30%, runs, lessons)."""
    within = 0
    print(f"\n{'strategy':30} {'state':9} {'wall s':>6} {'est. s':>6} {'est/wall':>8} {'test':>6} {'best val':>8} "
          f"{'max gap':>7} {'end gap':>7} {'val loss up':>11} {'epochs':>6}")  # fmt: skip
    for r in records:
        f = curve_facts(r)
        wall, est = r.status.get("wall_seconds") or 0, r.estimated_seconds or 0
        within += bool(wall) and abs(est / wall - 1) <= 0.30
        print(f"{f.strategy:30} {r.state:9} {wall:6.0f} {est:6.0f} {est / wall if wall else 0:8.2f} "
              f"{(f.test_accuracy or 0):6.1%} {(f.best_val_accuracy or 0):8.1%} {(f.max_gap or 0):7.1%} {(f.final_gap or 0):7.1%} "
              f"{'yes' if f.val_loss_turns_up else 'no':>11} {f.epochs:6d}")  # fmt: skip
    print(f"queued to done: {total:.0f} s wall ({os.cpu_count()} CPUs here); trained where: {made_where(records[0])}\n")
    facts = story_facts(records)
    seen = criteria(facts, kind)
    if kind == StoryKind.LIVE:  # the book's finer lessons too, for information: are they out of a live run's reach?
        seen += [c for c in criteria(facts, StoryKind.PREPARED) if c.key not in {s.key for s in seen}]
    for c in seen:
        mark = {True: "✓", False: "✗", None: "…"}[c.holds]
        print(f"{mark} {c.strategy:30} {c.key:30} {c.value}")
    return within, len(records), seen


if __name__ == "__main__":
    raise SystemExit(main())
