"""The Ray backend on a real local Ray cluster (2 CPUs): concurrent runs, stop, a killed worker, same results."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed here (pip install -r requirements-ray.txt)")

from cnn_core.runs.jobs import LocalBackend, launch, reconcile, stop  # noqa: E402
from cnn_core.runs.ray_backend import RayBackend  # noqa: E402
from cnn_core.training.run_config import RunConfig  # noqa: E402
from cnn_core.training.run_store import ACTIVE_STATES, HEARTBEAT_LIMIT_S, RunStore  # noqa: E402
from tests.helpers import wait_for  # noqa: E402
from tests.ws_client import free_port  # noqa: E402

TINY = dict(strategy="scratch", dataset="synthetic", image_size=80, batch_size=16, seed=3)
RAY = Path(sys.executable).with_name("ray")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``ray start --head`` with 2 CPUs in its own temp folder; stopped (with every worker) afterwards."""
    port = free_port()
    temp = Path(f"/tmp/ray-test-{os.getpid()}")  # short: Ray's socket paths must stay under 107 characters
    env = os.environ | {"RAY_USAGE_STATS_ENABLED": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = [str(RAY), "start", "--head", f"--port={port}", "--num-cpus=2", "--num-gpus=0", "--include-dashboard=false",
             "--object-store-memory=100000000", f"--temp-dir={temp}", "--disable-usage-stats"]  # fmt: skip
    done = subprocess.run(start, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"ray start failed: {done.stderr[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([str(RAY), "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def store(env, cluster, monkeypatch):
    """The test's runs folder, with the app pointed at the local cluster."""
    monkeypatch.setenv("CNN_CLASSROOM_RAY_ADDRESS", cluster)
    monkeypatch.setenv("CNN_CLASSROOM_RAY_CPUS", "1")
    monkeypatch.setenv("CNN_CLASSROOM_THREADS", "1")  # the local run below trains on one core like a Ray task
    return RunStore(env.runs)


def finished(store, run_id, timeout=240):
    return wait_for(lambda: store.load(run_id).state not in ACTIVE_STATES and store.load(run_id), timeout=timeout)


def test_two_runs_train_concurrently_one_stops_one_is_killed(store):
    backend = RayBackend.from_env()
    assert backend.capacity() == 2
    first = launch(store, RunConfig(epochs=500, **TINY), "ray one")
    second = launch(store, RunConfig(epochs=500, **TINY), "ray two")

    def both_training():
        records = [store.load(first), store.load(second)]
        return all(r.state == "running" and len(r.epochs) >= 1 for r in records) and records

    one, two = wait_for(both_training, timeout=180)
    assert one.backend == two.backend == "ray"
    assert one.status["pid"] != two.status["pid"]  # two worker processes, one CPU each, at the same time
    assert one.status["cpus"] == 1.0 and one.status["device"] == "CPU"

    stop(store, first)
    stopped = finished(store, first)
    assert stopped.state == "stopped" and 1 <= len(stopped.epochs) < 500
    assert stopped.checkpoint.exists() and stopped.test is not None
    assert "Epoch" in stopped.log_tail()  # the worker's output went into the run's train.log

    os.kill(store.load(second).status["pid"], signal.SIGKILL)  # the worker process dies with the run
    killed_at = time.time()
    record = wait_for(lambda: reconcile(store) and store.load(second).state == "interrupted" and store.load(second))
    elapsed = time.time() - killed_at
    assert elapsed <= 15, f"marked interrupted {elapsed:.1f} s after the kill"
    assert elapsed >= HEARTBEAT_LIMIT_S - 3  # by its silent heartbeat, not by a pid check on this machine
    assert "ended without finishing" in record.status["error"]
    assert not backend.task_alive(record)


def test_a_run_on_ray_records_what_the_local_backend_records(store):
    config = RunConfig(epochs=3, **TINY)
    on_ray = finished(store, launch(store, config, "on ray"))
    on_local = finished(store, launch(store, config, "on local", backend=LocalBackend(1)))
    assert (on_ray.state, on_local.state) == ("completed", "completed"), on_ray.log_tail() + on_local.log_tail()
    assert (on_ray.backend, on_local.backend) == ("ray", "local")
    keys = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
    assert len(on_ray.epochs) == len(on_local.epochs) == 3
    assert [e[k] for e in on_ray.epochs for k in keys] == pytest.approx(
        [e[k] for e in on_local.epochs for k in keys], rel=1e-5
    )
    assert on_ray.test["accuracy"] == pytest.approx(on_local.test["accuracy"], rel=1e-6)
    assert on_ray.test["loss"] == pytest.approx(on_local.test["loss"], rel=1e-5)
    assert on_ray.status["params"] == on_local.status["params"]
    assert not RayBackend.from_env().task_alive(on_ray)  # the task exited and gave its CPU back


def test_a_queued_ray_run_waits_for_a_cpu_and_can_be_cancelled(store):
    long_runs = [launch(store, RunConfig(epochs=500, **TINY), f"busy {i}") for i in range(2)]
    waiting = launch(store, RunConfig(epochs=2, **TINY), "waiting")
    wait_for(lambda: all(store.load(r).state == "running" for r in long_runs), timeout=180)
    time.sleep(3)
    assert store.load(waiting).state == "queued"  # Ray's queue: no CPU left for it
    reconcile(store)
    assert store.load(waiting).state == "queued"  # waiting for resources is not death
    stop(store, waiting)
    assert store.load(waiting).state == "stopped"
    assert not RayBackend.from_env().task_alive(store.load(waiting))
    for run_id in long_runs:
        stop(store, run_id)
    assert [finished(store, r).state for r in long_runs] == ["stopped", "stopped"]
    assert store.load(waiting).state == "stopped" and not store.load(waiting).epochs


def test_a_learners_own_model_trains_as_a_ray_task(store):
    """A listing rebuilt from the editor's graph on a Ray worker: the same folder as a local run, listing included."""
    code = (Path(__file__).parent / "model_corpus" / "dlwp2_ch09_residual_block_function.py").read_text()
    config = RunConfig(strategy="own_model", dataset="synthetic", image_size=32, epochs=2, batch_size=8,
                       limit_per_class=8, model_code=code)  # fmt: skip
    record = finished(store, launch(store, config, "own model on ray"))
    assert (record.state, record.backend) == ("completed", "ray"), record.log_tail()
    assert len(record.epochs) == 2 and record.test is not None
    assert (record.path / "model_code.txt").read_text() == code
    assert record.status["params"] == json.loads((record.path / "model_graph.json").read_text())["total_params"]
