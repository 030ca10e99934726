"""Eight quick runs through the local backend (one at a time) and through a local 2-worker Ray cluster.

Run: .venv/bin/python bench/scale_out.py [--runs 8] [--epochs 3] [--image-size 80] [--dataset synthetic]

For each backend it prints the wall time of all runs, the trainers' own time (``wall_seconds``: imports,
data, fit, test), and each run's **start overhead**: the seconds from the moment the run could start (its
launch, or the end of the run whose slot it took) to its trainer starting. That is process start-up plus
scheduling, the backend's own cost; the issue's target for Ray is <= 3 s a run. Needs Ray
(``pip install -r requirements-ray.txt``); the local half runs without it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn_core.runs.jobs import LocalBackend, launch  # noqa: E402
from cnn_core.training.run_config import RunConfig  # noqa: E402
from cnn_core.training.run_store import ACTIVE_STATES, RunState, RunStore  # noqa: E402
from tests.ws_client import free_port  # noqa: E402


def wait_all(store: RunStore, run_ids: list[str]) -> None:
    while any(store.load(r).state in ACTIVE_STATES for r in run_ids):
        time.sleep(0.2)


def start_overheads(store: RunStore, run_ids: list[str]) -> list[float]:
    """Per run: trainer start - max(launch, latest end of another run before that start)."""
    records = [store.load(r) for r in run_ids]
    out = []
    for r in records:
        started = r.status["started_at"]
        freed = [o.status["ended_at"] for o in records if o is not r and o.status.get("ended_at", 1e18) <= started]
        out.append(started - max([r.status["created_at"], *freed]))
    return out


def measure(name: str, store: RunStore, configs: list[RunConfig], backend=None) -> dict:
    start = time.perf_counter()
    run_ids = [launch(store, c, f"{name} {i}", backend=backend) for i, c in enumerate(configs)]
    wait_all(store, run_ids)
    wall = time.perf_counter() - start
    records = [store.load(r) for r in run_ids]
    states = {r.state for r in records}
    if states != {RunState.COMPLETED}:
        raise SystemExit(f"{name}: runs ended {states}: {records[0].log_tail()[-1500:]}")
    overheads = start_overheads(store, run_ids)
    return {
        "backend": name,
        "runs": len(run_ids),
        "wall_s": wall,
        "trainer_s": sum(r.status["wall_seconds"] for r in records),
        "overhead_mean": statistics.mean(overheads),
        "overhead_max": max(overheads),
        "accuracy": statistics.mean(r.test["accuracy"] for r in records),
    }


def start_ray(workers: int, temp: Path) -> str:
    port = free_port()
    ray = Path(sys.executable).with_name("ray")
    subprocess.run(
        [str(ray), "start", "--head", f"--port={port}", f"--num-cpus={workers}", "--include-dashboard=false",
         "--object-store-memory=100000000", f"--temp-dir={temp}", "--disable-usage-stats"],
        check=True, capture_output=True, env=os.environ | {"RAY_USAGE_STATS_ENABLED": "0"},
    )  # fmt: skip
    return f"127.0.0.1:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--image-size", type=int, default=80)
    parser.add_argument("--dataset", default="synthetic")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scale-out-"))
    os.environ["CNN_CLASSROOM_HOME"] = str(work / "home")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    configs = [
        RunConfig("scratch", args.dataset, image_size=args.image_size, epochs=args.epochs, batch_size=16, seed=i)
        for i in range(args.runs)
    ]
    print(
        f"{args.runs} runs: scratch, {args.dataset}, {args.image_size} px, {args.epochs} epochs; {os.cpu_count()} CPUs"
    )
    rows = [measure("local", RunStore(work / "local"), configs, LocalBackend(1))]
    try:
        import ray  # noqa: PLC0415
    except ImportError:
        print("Ray is not installed: pip install -r requirements-ray.txt (local figures only)")
    else:
        temp = Path(f"/tmp/ray-bench-{os.getpid()}")
        address = start_ray(args.workers, temp)
        try:
            from cnn_core.runs.ray_backend import RayBackend  # noqa: PLC0415

            backend = RayBackend(address, cpus=1)
            os.environ["CNN_CLASSROOM_RAY_ADDRESS"] = address
            rows.append(measure(f"ray x{args.workers}", RunStore(work / "ray"), configs, backend))
        finally:
            if ray.is_initialized():
                ray.shutdown()  # leave the cluster before stopping it
            subprocess.run([str(Path(sys.executable).with_name("ray")), "stop", "--force"], capture_output=True)
            shutil.rmtree(temp, ignore_errors=True)
    print(
        f"{'backend':10} {'runs':>4} {'wall s':>7} {'trainers s':>10} {'start overhead s (mean/max)':>28} {'test acc':>8}"
    )
    for r in rows:
        print(f"{r['backend']:10} {r['runs']:4d} {r['wall_s']:7.1f} {r['trainer_s']:10.1f} "
              f"{r['overhead_mean']:14.2f} / {r['overhead_max']:<11.2f} {r['accuracy']:8.3f}")  # fmt: skip
    if len(rows) == 2:
        print(f"speed-up of the whole batch: {rows[0]['wall_s'] / rows[1]['wall_s']:.2f}x")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
