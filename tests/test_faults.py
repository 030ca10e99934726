"""Faults a classroom will meet: the server dies mid-training, the disk fills up, impatient double clicks."""

import os
import resource
import signal
import subprocess
import sys
import time

import pytest

from cnn_core.runs.jobs import launch, process_alive, reconcile
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import ACTIVE_STATES, RunStore
from tests.helpers import wait_for
from tests.ws_client import ROOT, Session, free_port, start_server

TINY = dict(strategy="scratch", dataset="synthetic", image_size=80, batch_size=16)


@pytest.fixture
def server_env(env, tmp_path, monkeypatch):
    """The environment of a server or trainer this test starts: the test's own folders, its runs in
    ``tmp_path / "runs"``."""
    monkeypatch.setenv("CNN_CLASSROOM_RUNS_DIR", str(tmp_path / "runs"))
    return env.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"}


def test_server_killed_and_restarted_while_a_job_trains(server_env, tmp_path):
    port = free_port()
    server = start_server(port, server_env)
    try:
        session = Session(port, "train")
        session.run()
        session.run("train_epochs", "int_value", 10)  # ~1.5 s each: it is killed at epoch 2 or 3
        session.run("train_launch", "trigger_value", True)
        store = RunStore(tmp_path / "runs")
        run_id = wait_for(lambda: store.run_ids() and store.run_ids()[0])
        wait_for(lambda: len(store.load(run_id).epochs) >= 2)
        trainer_pid = store.load(run_id).status["pid"]
    finally:
        server.kill()  # kill -9 the dashboard
        server.wait()
    time.sleep(1)
    assert process_alive(trainer_pid, run_id), "the training job must survive the server"
    epochs_before = len(store.load(run_id).epochs)
    server = start_server(port, server_env)
    try:
        session = Session(port, "runs")
        session.run()
        assert any(text.startswith(("Status=running", "Status=completed")) for text in session.texts), session.texts
        record = wait_for(lambda: store.load(run_id).state not in ACTIVE_STATES and store.load(run_id), timeout=300)
        assert record.state == "completed"
        assert len(record.epochs) == 10 > epochs_before  # the curves are complete
        session.run()
        assert "Status=completed" in session.texts
        assert session.errors == 0
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_disk_write_failure_is_a_failed_run_with_its_message(server_env, tmp_path):
    store = RunStore(tmp_path / "runs")
    run_id = store.create(RunConfig(epochs=3, **TINY))
    limit = 2_000_000  # bytes per file: the checkpoint (~13 MB) cannot be written

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "cnn_core.runs.train", str(store.path(run_id))],
        cwd=ROOT, env=server_env | {"PYTHONPATH": str(ROOT)}, preexec_fn=small_disk, capture_output=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1
    record = store.load(run_id)
    assert record.state == "failed"
    assert "File too large" in record.status["error"] or "No space" in record.status["error"], record.status["error"]


def test_two_launches_in_the_same_second_queue_in_order(server_env, tmp_path):
    store = RunStore(tmp_path / "runs")
    first = launch(store, RunConfig(epochs=2, **TINY), max_running=1)
    second = launch(store, RunConfig(epochs=2, **TINY), max_running=1)
    assert first != second and first[:15] == second[:15] or first[:15] < second[:15]
    assert store.load(second).state == "queued"
    done = [
        wait_for(lambda r=r: store.load(r).state not in ACTIVE_STATES and store.load(r), timeout=180)
        for r in (first, second)
    ]
    assert [d.state for d in done] == ["completed", "completed"]
    assert done[1].status["started_at"] >= done[0].status["ended_at"] - 1


def test_stop_signal_to_a_queued_run_cancels_it(server_env, tmp_path):
    store = RunStore(tmp_path / "runs")
    first = launch(store, RunConfig(epochs=200, **TINY), max_running=1)
    second = launch(store, RunConfig(epochs=2, **TINY), max_running=1)
    store.request_stop(second)
    assert store.load(second).state == "stopped"
    wait_for(lambda: store.load(first).state == "running")
    os.kill(store.load(first).status["pid"], signal.SIGKILL)
    assert wait_for(lambda: reconcile(store) and store.load(first).state == "interrupted")  # the pages' refresh
    assert store.load(second).state == "stopped"  # a cancelled run is not started afterwards
