"""The run folder's one owner: the writer the trainer uses, the record pages read, and reconcile (no training)."""

import hashlib
import subprocess
import sys
import time

import pytest

from cnn_core.runs.jobs import CANCELLED_ERROR, INTERRUPTED_ERROR, STOP_GRACE_S, LocalBackend, reconcile, stop
from cnn_core.training import run_store
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import (
    ACTIVE_STATES,
    ENDED_STATES,
    HEARTBEAT_LIMIT_S,
    LIVE_STATES,
    RESULT_STATES,
    Phase,
    RunFolder,
    RunState,
    RunStore,
    host_name,
)
from tests.helpers import wait_until_ended
from tests.run_fixtures import tiny_model

CONFIG = RunConfig("scratch", "synthetic", image_size=80, epochs=2)


def _snapshot(folder):
    return {p.name: (p.stat().st_mtime_ns, hashlib.sha1(p.read_bytes()).hexdigest()) for p in folder.iterdir()}


def _sleeper(run_id: str) -> subprocess.Popen:
    """A live process that looks like the run's trainer (its command line names the run)."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", run_id], start_new_session=True)


def test_the_layout_is_named_once_and_documented():
    names = {name for name, value in vars(RunFolder).items() if isinstance(value, property) and name != "run_id"}
    folder = RunFolder(run_store.Path("/runs/x"))
    files = {getattr(folder, name).name for name in names}
    assert files == {
        "config.json", "meta.json", "status.json", "heartbeat.json", "progress.json", "epochs.jsonl", "dataset.json",
        "best.keras", "test.json", "test_predictions.json", "train.log", "STOP", "model_code.txt", "model_graph.json",
    }  # fmt: skip
    for file in files:
        assert file in run_store.__doc__, f"{file} missing from the layout docstring"


def test_state_groups():
    assert ACTIVE_STATES == {RunState.QUEUED, RunState.STARTING, RunState.RUNNING}
    assert LIVE_STATES < ACTIVE_STATES and RESULT_STATES < ENDED_STATES
    assert not ACTIVE_STATES & ENDED_STATES
    assert RunState.RUNNING == "running" and f"{RunState.STOPPED}" == "stopped"  # i18n keys are the values


def test_what_the_writer_writes_the_record_reads(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(CONFIG, "demo")
    writer = store.writer(run_id)
    writer.progress(phase=str(Phase.TRAIN), epoch=1, epochs=2, batch=3, batches=4)
    writer.epoch({"epoch": 1, "loss": 0.7, "val_loss": 0.6, "val_accuracy": 0.55})
    writer.epoch({"epoch": 2, "loss": 0.5, "val_loss": 0.65, "val_accuracy": 0.6})
    writer.phase(Phase.TESTING)
    writer.dataset({"classes": ["cat", "dog"], "counts": {"train": {"cat": 2, "dog": 2}}})
    writer.test({"accuracy": 0.75, "loss": 0.5})
    writer.predictions(["cat", "dog"], [{"item": "a.jpg", "label": 0, "predicted": 1, "probability": 0.8}])
    tiny_model(tmp_path / "model.keras")
    writer.save_model(__import__("keras").models.load_model(tmp_path / "model.keras"))
    writer.set_status(state=RunState.COMPLETED)
    record = store.load(run_id)
    assert record.state is RunState.COMPLETED and record.name == "demo"
    assert [e["epoch"] for e in record.epochs] == [1, 2] and record.best_epoch["epoch"] == 1
    assert record.progress["batch"] == 3 and record.phase == "testing"  # the phase changes, the numbers stay
    assert record.test == {"accuracy": 0.75, "loss": 0.5}
    assert record.predictions()["classes"] == ["cat", "dog"] and record.dataset()["classes"] == ["cat", "dog"]
    assert record.checkpoint.exists() and record.has_results()
    assert not [p for p in store.path(run_id).iterdir() if p.name.startswith(".")], "no temporary file left behind"


def test_the_heartbeat_beats_from_its_own_thread(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(CONFIG)
    writer = store.writer(run_id)
    assert store.load(run_id).heartbeat_age() == float("inf")
    thread = writer.start_heartbeat(every=0.2)
    first = store.load(run_id).heartbeat()["time"]
    time.sleep(0.7)
    beat = store.load(run_id).heartbeat()
    assert beat["time"] > first and beat["host"] == host_name() and store.load(run_id).heartbeat_age() < 0.5
    writer.stop_heartbeat()
    thread.join(timeout=2)
    assert not thread.is_alive()


def test_reading_never_writes(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(CONFIG)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.set_status(run_id, state=RunState.RUNNING, backend="local", pid=dead.pid, host=host_name())
    before = _snapshot(store.path(run_id))
    time.sleep(0.02)
    record = store.load(run_id)
    store.list()
    record.heartbeat_age(), record.predictions(), record.log_tail(), record.stop_requested()
    assert record.state == RunState.RUNNING  # as on disk, even though its process is gone
    assert _snapshot(store.path(run_id)) == before


def test_reconcile_needs_a_silent_heartbeat_and_a_gone_task(tmp_path):
    store = RunStore(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    fresh, silent, alive, queued = (store.create(CONFIG) for _ in range(4))
    for run_id in (fresh, silent):
        store.set_status(run_id, state=RunState.RUNNING, backend="local", pid=dead.pid, host=host_name())
    store.writer(fresh).beat()
    sleeper = _sleeper(alive)
    try:
        store.set_status(alive, state=RunState.RUNNING, backend="local", pid=sleeper.pid, host=host_name())
        states = {r.run_id: r.state for r in reconcile(store)}
        assert states == {fresh: "running", silent: "interrupted", alive: "running", queued: "queued"}
        assert store.load(silent).status["error"] == INTERRUPTED_ERROR
        later = time.time() + HEARTBEAT_LIMIT_S + 1  # the same check once the fresh heartbeat has gone silent
        assert {r.run_id: r.state for r in reconcile(store, at=later)}[fresh] == "interrupted"
        assert store.load(alive).state == "running"  # its task is alive: silence alone is not death
    finally:
        sleeper.kill()


def test_a_run_on_another_machine_is_judged_by_its_heartbeat(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(CONFIG)
    store.set_status(
        run_id, state=RunState.RUNNING, backend="local", pid=1, host="other-machine", started_at=time.time()
    )
    assert LocalBackend().task_alive(store.load(run_id)) is None  # a pid on another machine means nothing here
    assert reconcile(store)[0].state == "running"  # it has only just started
    assert reconcile(store, at=time.time() + HEARTBEAT_LIMIT_S + 1)[0].state == "interrupted"


def test_a_run_ignoring_its_stop_is_cancelled_after_the_grace(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(CONFIG)
    sleeper = _sleeper(run_id)
    store.set_status(run_id, state=RunState.RUNNING, backend="local", pid=sleeper.pid, host=host_name())
    stop(store, run_id)
    assert store.load(run_id).stop_requested()
    assert reconcile(store)[0].state == "running"  # within the grace it may still finish its batch
    record = reconcile(store, at=time.time() + STOP_GRACE_S + 1)[0]
    assert record.state == "stopped" and record.status["error"] == CANCELLED_ERROR.format(grace=STOP_GRACE_S)
    assert sleeper.wait(timeout=10) == -9  # the task itself was killed


def test_stopping_a_queued_run_cancels_it_and_a_trainer_started_later_does_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_HOME", str(tmp_path / "home"))
    store = RunStore(tmp_path / "runs")
    run_id = store.create(CONFIG)
    stop(store, run_id)
    assert store.load(run_id).state == "stopped"
    from cnn_core.runs.worker import run

    assert run(store.path(run_id)) == 0
    assert store.load(run_id).state == "stopped" and not store.load(run_id).epochs


@pytest.mark.parametrize("state", sorted(LIVE_STATES))
def test_a_live_run_cannot_be_deleted(tmp_path, state):
    store = RunStore(tmp_path)
    run_id = store.create(CONFIG)
    store.set_status(run_id, state=state)
    with pytest.raises(ValueError, match="Stop the run"):
        store.delete(run_id)


def test_a_slot_freed_by_reconcile_starts_the_next_queued_run(tmp_path, monkeypatch):
    """A killed trainer never dispatches the queue behind it: the reconcile that notices its death does."""
    monkeypatch.setenv("CNN_CLASSROOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CNN_CLASSROOM_MAX_JOBS", "1")
    store = RunStore(tmp_path / "runs")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = store.create(CONFIG)
    store.set_status(killed, state=RunState.RUNNING, backend="local", pid=dead.pid, host=host_name())
    waiting = store.create(CONFIG)
    store.set_status(waiting, backend="local")
    try:
        states = {r.run_id: r.state for r in reconcile(store)}
        assert states == {killed: "interrupted", waiting: "starting"}
        assert store.load(waiting).status["pid"] > 0
    finally:
        stop(store, waiting)
        wait_until_ended(store, waiting, timeout=120)
