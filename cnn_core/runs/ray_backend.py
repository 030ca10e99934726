"""The Ray backend: each run is a task on a Ray cluster, on whichever machine has the CPUs (and GPU) it asks for.

Set ``CNN_CLASSROOM_RAY_ADDRESS`` to the cluster (``auto``, ``HOST:PORT`` of the head, or ``ray://HOST:10001``
through Ray Client) and the dashboard launches through Ray instead of local processes. Optional: Ray comes
from ``requirements-ray.txt``.

* A run is a *detached* named actor (``run-<run id>`` in namespace ``cnn_classroom``) asking for
  ``CNN_CLASSROOM_RAY_CPUS`` CPUs (default 1) and ``CNN_CLASSROOM_RAY_GPUS`` GPUs (default 0). Detached, it
  outlives the dashboard process that launched it; it trains once (:func:`cnn_core.runs.worker.run`) and exits.
  Runs waiting for resources stay *queued*: that queue is Ray's.
* Run folders must be on storage every node and the dashboard see, at the same path (a shared filesystem),
  and every node needs the project at the same path as the dashboard (or on that filesystem).
* Liveness is the heartbeat (``jobs.reconcile``); the task is "gone" when Ray no longer knows its actor.
  Cancelling kills the actor, wherever it runs.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cnn_core.core.settings import PROJECT_ROOT, home_dir
from cnn_core.runs import worker
from cnn_core.training.run_store import RunFolder, RunRecord, RunState, RunStore

logger = logging.getLogger(__name__)

NAMESPACE = "cnn_classroom"
FORWARDED_ENV = ("CNN_CLASSROOM_HOME", "CNN_CLASSROOM_DATA_DIRS", "CNN_CLASSROOM_MAX_UPLOAD_MB", "TF_CPP_MIN_LOG_LEVEL")


class RayUnavailableError(RuntimeError):
    """Ray is not installed or the cluster cannot be reached; the message says which and how to fix it."""


def actor_name(run_id: str) -> str:
    return f"run-{run_id}"


def _ray():
    try:
        import ray  # noqa: PLC0415
    except ImportError as err:
        raise RayUnavailableError(
            "CNN_CLASSROOM_RAY_ADDRESS is set but Ray is not installed: pip install -r requirements-ray.txt"
        ) from err
    return ray


def connect(address: str):
    """Connect this process to the cluster at ``address`` once (later calls reuse the connection)."""
    ray = _ray()
    if not ray.is_initialized():
        try:
            ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, logging_level=logging.WARNING)
        except Exception as err:  # noqa: BLE001 - connection errors come in many types
            raise RayUnavailableError(
                f"Cannot reach the Ray cluster at {address}: {type(err).__name__}: {err}"
            ) from err
    return ray


def _train_in_this_process(run_dir: str, project_root: str, env: dict[str, str]) -> int:
    """The task's body, on the worker: the project importable, the dashboard's settings, output into train.log."""
    if project_root not in sys.path:
        sys.path.insert(0, project_root)
    os.environ.update(env)
    log_fd = os.open(RunFolder(Path(run_dir)).log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log_fd, 1)  # TensorFlow's C++ logs too: the file descriptors, not only Python's streams
    os.dup2(log_fd, 2)
    os.close(log_fd)
    stream = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - the process's stdout, kept open
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=stream, force=True)  # fmt: skip
    worker.use_xla_cache()
    return worker.run(Path(run_dir), backend="ray")


def _trainer_actor(ray):
    @ray.remote(max_restarts=0, max_task_retries=0)
    class RunTrainer:
        """One run, trained once; the actor exits when the run ends, freeing its CPUs/GPU."""

        def train(self, run_dir: str, project_root: str, env: dict[str, str]) -> int:
            try:
                return _train_in_this_process(run_dir, project_root, env)
            finally:
                ray.actor.exit_actor()

    return RunTrainer


@dataclass(frozen=True)
class RayBackend:
    address: str
    cpus: float = 1.0
    gpus: float = 0.0
    name: str = "ray"

    @classmethod
    def from_env(cls) -> RayBackend:
        """``CNN_CLASSROOM_RAY_ADDRESS``, ``CNN_CLASSROOM_RAY_CPUS`` (default 1), ``CNN_CLASSROOM_RAY_GPUS`` (0)."""

        def number(name: str, default: float) -> float:
            try:
                return max(0.0, float(os.environ.get(name, default)))
            except ValueError:
                return default

        address = os.environ.get("CNN_CLASSROOM_RAY_ADDRESS", "auto")
        return cls(address, max(number("CNN_CLASSROOM_RAY_CPUS", 1.0), 0.5), number("CNN_CLASSROOM_RAY_GPUS", 0.0))

    def capacity(self) -> int | None:
        """How many runs the cluster trains at once with this backend's request (its total CPUs / CPUs a run)."""
        try:
            ray = connect(self.address)
            return max(1, int(ray.cluster_resources().get("CPU", 0) // self.cpus))
        except RayUnavailableError:
            return None

    def submit(self, store: RunStore, run_id: str) -> None:
        ray = connect(self.address)
        env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
        env |= {
            "CNN_CLASSROOM_HOME": str(home_dir()),
            "CNN_CLASSROOM_RUNS_DIR": str(store.root),
            "CNN_CLASSROOM_THREADS": str(max(1, int(self.cpus))),
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        }
        # The worker imports this module to unpickle the task: the project must be on its path from the start.
        python_path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        actor = (
            _trainer_actor(ray)
            .options(
                name=actor_name(run_id),
                namespace=NAMESPACE,
                lifetime="detached",
                num_cpus=self.cpus,
                num_gpus=self.gpus,
                runtime_env={
                    "env_vars": {"PYTHONPATH": python_path, "CNN_CLASSROOM_THREADS": env["CNN_CLASSROOM_THREADS"]}
                },
            )
            .remote()
        )
        actor.train.remote(str(store.path(run_id)), str(PROJECT_ROOT), env)
        store.set_status(run_id, backend=self.name, task=actor_name(run_id), cpus=self.cpus, gpus=self.gpus)
        logger.info("submitted run %s to Ray at %s", run_id, self.address)

    def task_alive(self, record: RunRecord) -> bool | None:
        try:
            ray = connect(self.address)
        except RayUnavailableError:
            return None
        try:
            ray.get_actor(actor_name(record.run_id), namespace=NAMESPACE)
        except ValueError:
            return False  # Ray no longer knows it: it ended, was killed, or its node died
        return True

    def cancel(self, store: RunStore, record: RunRecord) -> None:
        try:
            ray = connect(self.address)
            ray.kill(ray.get_actor(actor_name(record.run_id), namespace=NAMESPACE), no_restart=True)
            logger.info("cancelled run %s on Ray", record.run_id)
        except (RayUnavailableError, ValueError):
            pass
        if record.state == RunState.QUEUED:
            store.set_status(record.run_id, state=RunState.STOPPED)
