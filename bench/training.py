"""Run training strategies through the real job runner on a dataset folder and print a results table.

Run: .venv/bin/python bench/training.py [--strategies feature_extraction,scratch] [--epochs N] [--image-size 180]
     [--dataset PATH] [--limit-per-class N] [--ratio-epochs 3]

Default dataset: ../shared/data/cats_vs_dogs_small beside the checkout (skips cleanly when absent).
``fine_tuning`` continues the ``feature_extraction_augmented`` run of the same invocation (listed before it).
With ``--ratio-epochs N`` it also trains the scratch model with a plain ``model.fit`` script for N epochs
and prints our runner's throughput divided by the plain script's (target >= 0.97).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cnn_core.runs.jobs import launch  # noqa: E402
from cnn_core.training.registry import get_strategy  # noqa: E402
from cnn_core.training.run_config import RunConfig  # noqa: E402
from cnn_core.training.run_store import ACTIVE_STATES, RunStore  # noqa: E402

DEFAULT_DATASET = ROOT.parent / "shared" / "data" / "cats_vs_dogs_small"

PLAIN_FIT = """
import sys, time
sys.path.insert(0, {root!r})
import keras
from cnn_core.data.reports import inspect_dataset
from cnn_core.training.pipelines import load_image_splits
from cnn_core.training.models import scratch_model
keras.utils.set_random_seed(1337)
report = inspect_dataset({dataset!r}, limit_per_class={limit!r})
splits = load_image_splits(report, {size}, 32, 1337)
model = scratch_model({size}, False)
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
times = []
class T(keras.callbacks.Callback):
    def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, e, logs=None): times.append(time.perf_counter() - self.t)
model.fit(splits["train"], validation_data=splits["validation"], epochs={epochs}, callbacks=[T()], verbose=0)
n = sum(report.counts["train"].values())
print("IPS", n / (sum(times[1:]) / len(times[1:])))
"""


def wait(store: RunStore, run_id: str) -> None:
    while store.load(run_id).state in ACTIVE_STATES:
        time.sleep(2)


def row(store: RunStore, run_id: str) -> dict:
    r = store.load(run_id)
    best = r.best_epoch or {}
    steady = [e["images_per_second"] for e in r.epochs[1:] if e.get("images_per_second")]
    started, ended = r.status.get("started_at", 0), r.status.get("ended_at", 0)
    return {
        "strategy": r.config.strategy,
        "base": r.config.base if r.config.uses_pretrained_base else "-",
        "size": r.config.image_size,
        "epochs": len(r.epochs),
        "params": r.status.get("params", 0),
        "trainable": r.status.get("trainable_params", 0),
        "best_val": best.get("val_accuracy", float("nan")),
        "test": (r.test or {}).get("accuracy", float("nan")),
        "wall_s": ended - started,
        "img_s": sum(steady) / len(steady) if steady else float("nan"),
        "state": r.state,
        "run_id": run_id,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default=str(DEFAULT_DATASET))
    parser.add_argument("--strategies", default="feature_extraction")
    parser.add_argument("--base", default="efficientnet_lite0")
    parser.add_argument("--image-size", type=int, default=180)
    parser.add_argument("--epochs", type=int, default=None, help="override every strategy's epochs")
    parser.add_argument("--limit-per-class", type=int, default=None)
    parser.add_argument("--ratio-epochs", type=int, default=0)
    parser.add_argument("--runs-dir", default=None)
    args = parser.parse_args()
    if not Path(args.dataset).is_dir():
        print(f"SKIP: dataset {args.dataset} not found")
        return 0
    os.environ.setdefault("CNN_CLASSROOM_DATA_DIRS", str(Path(args.dataset).resolve().parent))
    store = RunStore(Path(args.runs_dir or tempfile.mkdtemp(prefix="cnn-bench-runs-")))
    rows, finished = [], {}
    for strategy in args.strategies.split(","):
        config = RunConfig(
            strategy=strategy,
            dataset=str(Path(args.dataset).resolve()),
            base=args.base,
            image_size=args.image_size,
            epochs=args.epochs,
            limit_per_class=args.limit_per_class,
            start_from=finished.get(get_strategy(strategy).continues),
        )
        run_id = launch(store, config, name=f"bench {strategy}")
        wait(store, run_id)
        rows.append(row(store, run_id))
        print(f"... {strategy}: {rows[-1]['state']} in {rows[-1]['wall_s']:.0f} s", flush=True)
        finished[strategy] = run_id
    header = f"{'strategy':30} {'base':18} {'size':>4} {'epochs':>6} {'params':>11} {'trainable':>11} {'best val':>8} {'test':>6} {'wall s':>7} {'img/s':>6}"
    print(header)
    for r in rows:
        print(
            f"{r['strategy']:30} {r['base']:18} {r['size']:>4} {r['epochs']:>6} {r['params']:>11,} {r['trainable']:>11,} "
            f"{r['best_val']:>8.3f} {r['test']:>6.3f} {r['wall_s']:>7.0f} {r['img_s']:>6.1f}"
        )
    print(f"runs kept in {store.root}")
    if args.ratio_epochs:
        config = RunConfig(
            strategy="scratch",
            dataset=str(Path(args.dataset).resolve()),
            image_size=args.image_size,
            epochs=args.ratio_epochs,
            limit_per_class=args.limit_per_class,
        )
        run_id = launch(store, dataclasses.replace(config), name="bench ratio")
        wait(store, run_id)
        ours = row(store, run_id)["img_s"]
        code = PLAIN_FIT.format(
            root=str(ROOT), dataset=str(Path(args.dataset).resolve()), limit=args.limit_per_class,
            size=args.image_size, epochs=args.ratio_epochs,
        )  # fmt: skip
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        plain = float(next(line for line in out.splitlines() if line.startswith("IPS")).split()[1])
        print(
            f"throughput: job runner {ours:.1f} img/s, plain model.fit {plain:.1f} img/s, ratio {ours / plain:.3f} (target >= 0.97)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
