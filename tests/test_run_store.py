import json
import subprocess
import sys

import pytest

from cnn_core.core.atomic import append_jsonl, read_jsonl
from cnn_core.runs.jobs import process_alive, reconcile
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunStore, validate_run_id

CONFIG = RunConfig("scratch", "synthetic", image_size=80, epochs=2)


def test_create_list_load(tmp_path):
    store = RunStore(tmp_path)
    first = store.create(CONFIG, "first")
    second = store.create(CONFIG)
    assert set(store.run_ids()) == {first, second}
    record = store.load(first)
    assert (record.state, record.name, record.config) == ("queued", "first", CONFIG)
    again = RunStore(tmp_path)  # a new store (e.g. after a server restart) sees the old runs
    assert {r.run_id for r in again.list()} == {first, second}


def test_damaged_folders_are_listed_not_fatal(tmp_path):
    store = RunStore(tmp_path)
    good = store.create(CONFIG)
    bad_json = store.create(CONFIG)
    (store.path(bad_json) / "status.json").write_text("{not json")
    missing = store.create(CONFIG)
    (store.path(missing) / "config.json").unlink()
    (tmp_path / "not-a-run").mkdir()
    states = {r.run_id: r.state for r in store.list()}
    assert states == {good: "queued", bad_json: "damaged", missing: "damaged"}


@pytest.mark.parametrize("bad", ["../etc", "20261125-171500-a1b2c3/..", "x", "", "20261125-171500-A1B2C3"])
def test_run_ids_are_validated(tmp_path, bad):
    with pytest.raises(ValueError):
        RunStore(tmp_path).path(bad)
    with pytest.raises(ValueError):
        validate_run_id(bad)


def test_rename_stop_delete(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(CONFIG)
    store.rename(run_id, "  Lecture demo  ")
    assert store.load(run_id).name == "Lecture demo"
    with pytest.raises(ValueError):
        store.rename(run_id, "../../evil")
    store.request_stop(run_id)  # queued: cancelled at once
    assert store.load(run_id).state == "stopped"
    store.delete(run_id)
    assert store.run_ids() == []


def test_dead_process_marks_run_interrupted_with_log_tail(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(CONFIG)
    proc = subprocess.Popen([sys.executable, "-c", "print('epoch 1 done')"], stdout=subprocess.PIPE)
    proc.wait()
    (store.path(run_id) / "train.log").write_text("line one\nepoch 1 done\n")
    store.set_status(run_id, state="running", pid=proc.pid)
    assert store.load(run_id).state == "running"  # reading never changes a run
    reconcile(store)  # the scheduler's and the pages' refresh
    record = store.load(run_id)
    assert record.state == "interrupted"
    assert "epoch 1 done" in record.status["log_tail"]
    assert json.loads((store.path(run_id) / "status.json").read_text())["state"] == "interrupted"


def test_a_reused_pid_is_not_our_trainer(tmp_path):
    import os

    store = RunStore(tmp_path)
    run_id = store.create(CONFIG)
    store.set_status(run_id, state="running", pid=os.getpid())  # alive, but not this run's trainer
    assert not process_alive(os.getpid(), run_id)
    reconcile(store)
    assert store.load(run_id).state == "interrupted"


def test_jsonl_reader_skips_a_torn_last_line(tmp_path):
    path = tmp_path / "epochs.jsonl"
    append_jsonl(path, {"epoch": 1})
    with path.open("a") as fh:
        fh.write('{"epoch": 2, "lo')
    assert read_jsonl(path) == [{"epoch": 1}]
