"""The one-click comparisons from the seeds, through the real runner: what does each pair of the book's listings
actually show at lecture length?

Run: .venv/bin/python bench/variants.py [--mnist ../shared/data/keras_datasets/mnist.npz]
         [--images ../shared/data/cats_vs_dogs_small] [--only pooling,mlp_vs_cnn,dropout] [--runs-dir DIR]

Launches each pair exactly as the training lab's "Train both" button does (``Comparison.configs`` -> ``launch`` on
the local backend, its default number of slots) and prints, per run: parameters, test accuracy, best validation
accuracy, the train-validation accuracy gap at the last epoch and at its largest, the run's own time; per pair: the
wall time from the click to both runs ended (the issue's bound: 4 minutes on a 2-core CPU), and the book's claim
beside what the runs showed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn_core.core.i18n import translate  # noqa: E402
from cnn_core.core.settings import PROJECT_ROOT  # noqa: E402
from cnn_core.data.datasets import image_counts  # noqa: E402
from cnn_core.data.reports import mnist_counts  # noqa: E402
from cnn_core.runs.jobs import launch, measure_machine_now  # noqa: E402
from cnn_core.training.comparisons import COMPARISONS, PAIR_MAX_SECONDS, sized_pair  # noqa: E402
from cnn_core.training.machine import this_machine  # noqa: E402
from cnn_core.training.run_store import ACTIVE_STATES, RunState, RunStore  # noqa: E402

SHARED = PROJECT_ROOT.parent / "shared" / "data"


def gaps(epochs: list[dict]) -> tuple[float, float]:
    """(last epoch's, largest) training minus validation accuracy."""
    values = [e["accuracy"] - e["val_accuracy"] for e in epochs if "val_accuracy" in e]
    return (values[-1], max(values)) if values else (float("nan"), float("nan"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default=str(SHARED / "keras_datasets" / "mnist.npz"))
    parser.add_argument("--images", default=str(SHARED / "cats_vs_dogs_small"))
    parser.add_argument("--only", default=",".join(COMPARISONS))
    parser.add_argument("--runs-dir", default=None, help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--no-calibrate", action="store_true", help="size from the reference machine's figures")
    args = parser.parse_args()
    sources = {"mnist": Path(args.mnist).resolve(), "images": Path(args.images).resolve()}
    os.environ.setdefault("CNN_CLASSROOM_DATA_DIRS", os.pathsep.join(str(p.parent) for p in sources.values()))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    store = RunStore(Path(args.runs_dir or tempfile.mkdtemp(prefix="bench-variants-")))
    print(f"this machine: {this_machine().describe()}; runs in {store.root}")
    calibration = None if args.no_calibrate else measure_machine_now(store)
    if calibration is not None:
        print(f"calibrated in {calibration.seconds:.1f} s: " + ", ".join(f"{n} {p.value:,.1f} ({p.precision})" for n, p in calibration.probes.items()))  # fmt: skip
    for name in args.only.split(","):
        comparison = COMPARISONS[name]
        source = sources[comparison.data]
        if not source.exists():
            print(f"{name}: skipped, no {comparison.data} data at {source}")
            continue
        counts = mnist_counts() if comparison.data == "mnist" else image_counts(source)
        sized = sized_pair(comparison, str(source), counts, store.list(), calibration)
        started = time.perf_counter()
        run_ids = [
            launch(store, config, name=contender.key, estimated_seconds=expected.seconds)
            for config, contender, expected in zip(sized.configs, comparison.contenders, sized.estimates, strict=True)
        ]
        while any(store.load(r).state in ACTIVE_STATES for r in run_ids):
            time.sleep(1)
        wall = time.perf_counter() - started
        print(f"\n== {translate(f'comparisons.{name}', 'en')}")
        images, epochs = comparison.rung_workload(sized.rung)
        print(f"   {epochs} epochs, batch {comparison.batch_size}, {images} images per class (rung {sized.rung}, {'fits' if sized.fits else 'does NOT fit'}); estimate {sized.seconds:.0f} s ({sized.estimates[0].basis})")  # fmt: skip
        print(
            f"   {'run':<34}{'params':>10}{'test acc':>10}{'best val':>10}{'gap last':>10}{'gap max':>10}{'run s':>8}{'est s':>8}"
        )
        for run_id in run_ids:
            r = store.load(run_id)
            if r.state != RunState.COMPLETED:
                print(f"   {r.name}: {r.state} {r.status.get('error', '')[:200]}")
                continue
            last, largest = gaps(r.epochs)
            best = max(e["val_accuracy"] for e in r.epochs)
            label = translate(f"comparisons.{r.name}", "en")
            print(f"   {label:<34}{r.status['params']:>10,}{r.test['accuracy']:>10.4f}{best:>10.4f}{last:>+10.3f}{largest:>+10.3f}{r.status['wall_seconds']:>8.0f}{r.estimated_seconds or 0:>8.0f}")  # fmt: skip
        print(f"   pair wall time {wall:.0f} s ({'<=' if wall <= PAIR_MAX_SECONDS else '>'} 4 min); estimated {sized.seconds:.0f} s, estimate/wall {sized.seconds / wall:.2f}")  # fmt: skip
        print(f"   claim: {translate(f'comparisons.{name}_claim', 'en')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
