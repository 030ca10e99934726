"""Run training strategies through the real job runner on a dataset folder and print a results table.

Run: .venv/bin/python bench/training.py [--strategies feature_extraction,scratch] [--epochs N] [--image-size 180]
     [--dataset PATH] [--limit-per-class N] [--ratio-epochs 3]

Default dataset: ../shared/data/cats_vs_dogs_small beside the checkout (skips cleanly when absent).
``fine_tuning`` continues the ``feature_extraction_augmented`` run of the same invocation (listed before it).
With ``--ratio-epochs N`` it also trains the scratch model with a plain float32 ``model.fit`` script for N epochs
and prints our runner's throughput (in the precision it chose for this machine) divided by the plain script's,
the precision, and both best validation accuracies (targets: >= 1.8 on a CPU with bfloat16 units, >= 0.97 on
others). ``--feature-pass-ratio`` does the same for one pass of the frozen pretrained base over the training
images (target >= 1.5 with bfloat16). ``--precision-accuracy`` trains the scratch convnet for 10 epochs and
feature extraction for the book's 20 epochs twice each through the runner, in float32 and in bfloat16 (forced:
feature extraction trains in float32 automatically, see the registry's ``float32_only``), and prints the best
validation and test accuracies (target: within 2 points).
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
from cnn_core.training.precision import BF16_CPU_FLAGS, cpu_flags, expected_precision  # noqa: E402
from cnn_core.training.registry import get_strategy  # noqa: E402
from cnn_core.training.run_config import RunConfig  # noqa: E402
from cnn_core.training.run_store import ACTIVE_STATES, RunStore  # noqa: E402

DEFAULT_DATASET = ROOT.parent / "shared" / "data" / "cats_vs_dogs_small"
PLAIN_ENV = os.environ | {"CNN_CLASSROOM_PRECISION": "auto"}

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
history = model.fit(splits["train"], validation_data=splits["validation"], epochs={epochs}, callbacks=[T()], verbose=0)
n = sum(report.counts["train"].values())
print("IPS", n / (sum(times[1:]) / len(times[1:])))
print("VAL", max(history.history["val_accuracy"]))
"""

FEATURE_PASS = """
import os, sys, time
sys.path.insert(0, {root!r})
import keras, numpy as np
from cnn_core.data.reports import inspect_dataset
from cnn_core.training.pipelines import load_image_splits
from cnn_core.training.precision import POLICIES, choose_precision
from cnn_core.training.pretrained.bases import load_base
precision = choose_precision({requested!r})
keras.mixed_precision.set_global_policy(POLICIES[precision])
report = inspect_dataset({dataset!r}, limit_per_class={limit!r})
splits = load_image_splits(report, {size}, 32, 1337)
base, _ = load_base({base!r}, {size})
for images, _ in splits["train"].take(2):
    base.predict_on_batch(images)  # warm up
start, n = time.perf_counter(), 0
for images, _ in splits["train"]:
    base.predict_on_batch(images)
    n += int(images.shape[0])
print("PRECISION", precision)
print("IPS", n / (time.perf_counter() - start))
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
    parser.add_argument("--feature-pass-ratio", action="store_true")
    parser.add_argument("--precision-accuracy", action="store_true")
    parser.add_argument("--precision-strategies", default="scratch,feature_extraction", help="for --precision-accuracy")
    parser.add_argument("--runs-dir", default=None)
    args = parser.parse_args()
    if not Path(args.dataset).exists():
        print(f"SKIP: dataset {args.dataset} not found")
        return 0
    os.environ.setdefault("CNN_CLASSROOM_DATA_DIRS", str(Path(args.dataset).resolve().parent))
    store = RunStore(Path(args.runs_dir or tempfile.mkdtemp(prefix="cnn-bench-runs-")))
    rows, finished = [], {}
    print(
        f"CPU bfloat16 flags: {sorted(BF16_CPU_FLAGS & cpu_flags()) or 'none'}; automatic precision here: {expected_precision()}"
    )
    for strategy in args.strategies.split(",") if args.strategies else []:
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
        ours = row(store, run_id)
        code = PLAIN_FIT.format(
            root=str(ROOT), dataset=str(Path(args.dataset).resolve()), limit=args.limit_per_class,
            size=args.image_size, epochs=args.ratio_epochs,
        )  # fmt: skip
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=PLAIN_ENV
        ).stdout
        plain, plain_val = (float(next(line for line in out.splitlines() if line.startswith(k)).split()[1]) for k in ("IPS", "VAL"))  # fmt: skip
        precision = store.load(run_id).status.get("precision", "?")
        target = 1.8 if precision == "bf16" else 0.97
        print(
            f"throughput: job runner ({precision}) {ours['img_s']:.1f} img/s, plain float32 model.fit {plain:.1f} img/s, "
            f"ratio {ours['img_s'] / plain:.3f} (target >= {target}); best val accuracy {ours['best_val']:.3f} vs {plain_val:.3f}"
        )
    if args.feature_pass_ratio:
        measured = {}
        for requested in ("float32", "auto"):
            code = FEATURE_PASS.format(
                root=str(ROOT), dataset=str(Path(args.dataset).resolve()), limit=args.limit_per_class,
                size=args.image_size, base=args.base, requested=requested,
            )  # fmt: skip
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=PLAIN_ENV).stdout  # fmt: skip
            lines = dict(line.split(maxsplit=1) for line in out.splitlines() if line.startswith(("IPS", "PRECISION")))
            measured[requested] = (lines["PRECISION"].strip(), float(lines["IPS"]))
        (_, fp32), (precision, auto) = measured["float32"], measured["auto"]
        print(
            f"feature pass of {args.base}: {precision} {auto:.1f} img/s, float32 {fp32:.1f} img/s, ratio {auto / fp32:.3f} "
            f"(target >= {1.5 if precision == 'bf16' else 0.97})"
        )
    if args.precision_accuracy:
        lengths = {"scratch": 10, "feature_extraction": None}  # None: the book's
        for strategy, epochs in ((s, lengths[s]) for s in args.precision_strategies.split(",")):
            best = {}
            for requested in ("float32", "bfloat16"):
                config = RunConfig(
                    strategy=strategy, dataset=str(Path(args.dataset).resolve()), base=args.base,
                    image_size=args.image_size, epochs=epochs, limit_per_class=args.limit_per_class, precision=requested,
                )  # fmt: skip
                run_id = launch(store, config, name=f"bench {strategy} {requested}")
                wait(store, run_id)
                result = row(store, run_id)
                best[store.load(run_id).status.get("precision", requested)] = (result["best_val"], result["test"], result["img_s"])  # fmt: skip
            print(
                f"{strategy} (automatic here: {expected_precision('auto', get_strategy(strategy).automatic_speedups)}): "
                + ", ".join(f"{p} best val {v:.3f}, test {t:.3f} at {ips:.1f} img/s" for p, (v, t, ips) in best.items())
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
