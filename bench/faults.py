"""Fault figures: what happens, and how fast, when things go wrong in a classroom.

Run: .venv/bin/python bench/faults.py

Uses the synthetic data set (no download, no shared data) and prints one line per fault:
* kill -9 of a training process: how long until the run reads "interrupted", whether its checkpoint survived,
  and whether another run kept training;
* the dashboard server killed and restarted while a job trains: whether the job survived, how long the
  server took to come back and to show the run again, and whether its curves completed;
* two launches in the same second with one slot: whether the second waited and how long after the first
  ended it started;
* a full disk during training (a 2 MB file-size limit): whether the run ended "failed" with the reason.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOME = Path(tempfile.mkdtemp(prefix="cnn-faults-"))
os.environ.update(
    {
        "CNN_CLASSROOM_HOME": str(HOME),
        "CNN_CLASSROOM_RUNS_DIR": str(HOME / "runs"),
        "CNN_CLASSROOM_DATA_DIRS": str(HOME / "data"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
)

from cnn_core.runs.jobs import launch, process_alive, reconcile  # noqa: E402
from cnn_core.training.run_config import RunConfig  # noqa: E402
from cnn_core.training.run_store import ACTIVE_STATES, RunState, RunStore  # noqa: E402
from tests.helpers import wait_for  # noqa: E402
from tests.ws_client import Session, free_port, start_server  # noqa: E402

TINY = dict(strategy="scratch", dataset="synthetic", image_size=80, batch_size=16)


def kill_9(store: RunStore) -> None:
    victim = launch(store, RunConfig(epochs=300, **TINY), max_running=2)
    other = launch(store, RunConfig(epochs=300, **TINY), max_running=2)
    wait_for(lambda: len(store.load(victim).epochs) >= 1 and len(store.load(other).epochs) >= 1)
    os.kill(store.load(victim).status["pid"], signal.SIGKILL)
    start = time.perf_counter()
    wait_for(lambda: reconcile(store) and store.load(victim).state == RunState.INTERRUPTED)  # the pages' refresh
    detect = time.perf_counter() - start
    other_epochs = len(store.load(other).epochs)
    time.sleep(3)
    still_training = len(store.load(other).epochs) > other_epochs and store.load(other).state == RunState.RUNNING
    store.request_stop(other)
    wait_for(lambda: store.load(other).state not in ACTIVE_STATES)
    print(
        f"kill -9 of a trainer: marked interrupted after {detect * 1000:.0f} ms; checkpoint kept: "
        f"{store.load(victim).checkpoint.exists()}; the other run kept training: {still_training}"
    )


def server_restart(store: RunStore) -> None:
    port = free_port()
    env = os.environ.copy()
    server = start_server(port, env)
    session = Session(port, "train")
    session.run()
    session.run("train_epochs", "int_value", 15)
    session.run("train_launch", "trigger_value", True)
    run_id = wait_for(lambda: [r for r in store.run_ids() if store.load(r).state in ACTIVE_STATES][:1])[0]
    wait_for(lambda: len(store.load(run_id).epochs) >= 2)
    trainer = store.load(run_id).status["pid"]
    server.kill()
    server.wait()
    alive = process_alive(trainer, run_id)
    start = time.perf_counter()
    server = start_server(port, env)
    back = time.perf_counter() - start
    session = Session(port, "runs")
    latency = session.run()
    shown = any(text.startswith(("Status=running", "Status=completed")) for text in session.texts)
    record = wait_for(lambda: store.load(run_id).state not in ACTIVE_STATES and store.load(run_id))
    server.terminate()
    server.wait(timeout=20)
    print(
        f"server killed while training: job survived: {alive}; server healthy again after {back:.1f} s; runs page "
        f"showed the run after {latency * 1000:.0f} ms: {shown}; final state {record.state} with {len(record.epochs)}/15 epochs"
    )


def same_second(store: RunStore) -> None:
    first = launch(store, RunConfig(epochs=2, **TINY), max_running=1)
    second = launch(store, RunConfig(epochs=2, **TINY), max_running=1)
    waited = store.load(second).state == RunState.QUEUED
    wait_for(lambda: store.load(second).state not in ACTIVE_STATES)
    gap = store.load(second).status["started_at"] - store.load(first).status["ended_at"]
    print(f"two launches in one second, one slot: second queued: {waited}; started {gap:.2f} s after the first ended")


def disk_full(store: RunStore) -> None:
    run_id = store.create(RunConfig(epochs=3, **TINY))

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))

    subprocess.run(
        [sys.executable, "-m", "cnn_core.runs.train", str(store.path(run_id))],
        cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, preexec_fn=limit, capture_output=True, timeout=300,
    )  # fmt: skip
    record = store.load(run_id)
    print(f"disk full during training: state {record.state}; reason: {record.status.get('error', '')[:80]}")


def main() -> int:
    store = RunStore(HOME / "runs")
    for fault in (kill_9, server_restart, same_second, disk_full):
        fault(store)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
