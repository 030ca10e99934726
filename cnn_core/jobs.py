"""Launching runs as detached OS processes, at most ``max_running`` at once, the rest in a FIFO queue.

``launch`` queues a run and calls ``dispatch``; ``dispatch`` (under a file lock, so the dashboard and
finishing trainers never race) starts the oldest queued runs while there is room. Each trainer calls
``dispatch`` again when it ends, so the queue drains without any server. The processes run in their
own session: reloading the page, closing the tab or restarting Streamlit does not touch them.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from cnn_core.run_config import RunConfig
from cnn_core.run_store import RunStore, now
from cnn_core.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)


def max_running_jobs() -> int:
    """``CNN_CLASSROOM_MAX_JOBS`` (default 1: on a CPU machine two trainings only slow each other down)."""
    try:
        return max(1, int(os.environ.get("CNN_CLASSROOM_MAX_JOBS", "1")))
    except ValueError:
        return 1


@contextmanager
def _scheduler_lock(store: RunStore):
    with (store.root / ".scheduler.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def trainer_command(run_dir: Path) -> list[str]:
    """The plain command that trains one run: ``python -m cnn_core.train RUN_DIR``."""
    return [sys.executable, "-m", "cnn_core.train", str(run_dir)]


def _start(store: RunStore, run_id: str, limit: int) -> int:
    run_dir = store.path(run_id)
    log = (run_dir / "train.log").open("ab")
    env = os.environ | {
        "PYTHONPATH": str(PROJECT_ROOT),
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        "CNN_CLASSROOM_MAX_JOBS": str(limit),  # the trainer dispatches the queue with the same limit
        "CNN_CLASSROOM_RUNS_DIR": str(store.root),
    }
    proc = subprocess.Popen(
        trainer_command(run_dir),
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # detached: survives the dashboard's reruns and restarts
    )
    log.close()
    store.set_status(run_id, state="starting", pid=proc.pid, started_at=now())
    logger.info("started run %s as pid %s", run_id, proc.pid)
    return proc.pid


def dispatch(store: RunStore, max_running: int | None = None) -> list[str]:
    """Start queued runs, oldest first, while fewer than ``max_running`` are active. Returns the started ids."""
    limit = max_running or max_running_jobs()
    started = []
    with _scheduler_lock(store):
        records = store.list()  # also marks dead runs interrupted
        active = sum(1 for r in records if r.state in ("starting", "running"))
        for run_id in queue_order(records):
            if active >= limit:
                break
            _start(store, run_id, limit)
            started.append(run_id)
            active += 1
    return started


def queue_order(records) -> list[str]:
    """Queued run ids in the order ``dispatch`` starts them: oldest first."""
    queued = sorted(
        (r for r in records if r.state == "queued"), key=lambda r: (r.status.get("created_at", 0), r.run_id)
    )
    return [r.run_id for r in queued]


def queue_position(records, run_id: str) -> int | None:
    """1 for the next run to start, 2 for the one after it, ...; ``None`` when ``run_id`` is not queued."""
    order = queue_order(records)
    return order.index(run_id) + 1 if run_id in order else None


def launch(store: RunStore, config: RunConfig, name: str = "", max_running: int | None = None) -> str:
    """Create a run for ``config`` and start it now or queue it. Returns the run id."""
    run_id = store.create(config, name)
    dispatch(store, max_running)
    return run_id
