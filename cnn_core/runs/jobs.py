"""Launching, stopping and watching runs, through one of two execution backends.

* **local** (default): each run is a detached OS process (``python -m cnn_core.runs.train RUN_DIR``), at most
  ``CNN_CLASSROOM_MAX_JOBS`` at once, the rest in a fair queue (:func:`queue_order`: the lecturer's runs first,
  then one run per learner in turn, oldest first; a learner never has more than their quota training).
  ``dispatch`` (under a file lock, so the
  dashboard and finishing trainers never race) starts the oldest queued runs while there is room; each
  trainer dispatches again when it ends, so the queue drains without any server.
* **ray** (``CNN_CLASSROOM_RAY_ADDRESS`` set, see :mod:`cnn_core.runs.ray_backend`): each run is a Ray task on
  whichever machine of the cluster has the CPUs (and GPU) it asks for; the queue is Ray's.

Liveness is the trainer's heartbeat on both: :func:`reconcile` marks a run *interrupted* when its heartbeat is
older than ``HEARTBEAT_LIMIT_S`` and its backend no longer has its task, on any machine. It also cancels a run
that did not honour a stop request within ``STOP_GRACE_S``. The scheduler and the pages' refresh call it.
"""

from __future__ import annotations

import fcntl
import heapq
import logging
import os
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from cnn_core.classroom.room import SOLO, ClassroomSettings, Identity, Role, check_quota, require_lecturer
from cnn_core.core.processes import process_alive
from cnn_core.core.settings import PROJECT_ROOT
from cnn_core.runs.ray_backend import RayBackend
from cnn_core.training.curves import eta_seconds
from cnn_core.training.custom_model import check_run, graph_record
from cnn_core.training.machine import Calibration, MachineFolder
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import (
    ACTIVE_STATES,
    HEARTBEAT_LIMIT_S,
    LIVE_STATES,
    RunRecord,
    RunState,
    RunStore,
    host_name,
    now,
)

logger = logging.getLogger(__name__)

STOP_GRACE_S = 60.0
"""A run still going this long after its stop request is cancelled (its task killed) and marked stopped."""
INTERRUPTED_ERROR = "The training process ended without finishing (killed, crashed or the machine restarted)."
CANCELLED_ERROR = "It did not stop within {grace:.0f} s of the stop request, so its task was cancelled."


class Backend(Protocol):
    """Where runs execute. ``submit`` starts or queues a created run; ``task_alive`` says whether the run's task
    still exists (``None``: cannot tell); ``cancel`` ends it for good."""

    name: str

    def submit(self, store: RunStore, run_id: str) -> None: ...

    def task_alive(self, record: RunRecord) -> bool | None: ...

    def cancel(self, store: RunStore, record: RunRecord) -> None: ...

    def capacity(self) -> int | None: ...


def trainer_nice() -> int:
    """``CNN_CLASSROOM_TRAINER_NICE`` (default 10): local trainers run at a lower CPU priority than the dashboard,
    so a class's clicks are served first and training takes every cycle they leave (alone on a laptop, a niced
    trainer is exactly as fast)."""
    try:
        return min(max(int(os.environ.get("CNN_CLASSROOM_TRAINER_NICE", "10")), 0), 19)
    except ValueError:
        return 10


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
    """The plain command that trains one run: ``python -m cnn_core.runs.train RUN_DIR``."""
    return [sys.executable, "-m", "cnn_core.runs.train", str(run_dir)]


def _reap_when_done(proc: subprocess.Popen) -> None:
    """Wait for a child this process started, so that it never lingers as a zombie (``<defunct>``) after it ends."""
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()


def _spawn(command: list[str], log_path: Path, env: dict[str, str]) -> int:
    """Start ``command`` detached (its own session: it survives the dashboard's reruns and restarts) at the trainers'
    lower priority, its output in ``log_path``; reaped when it ends. Returns its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)} | env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _lower_priority(proc.pid)
    _reap_when_done(proc)
    return proc.pid


def _lower_priority(pid: int) -> None:
    """Renice a trainer just started, long before it imports TensorFlow, whose threads then inherit the priority
    (``setpriority`` from the parent: ``preexec_fn`` is unsafe in the dashboard's threaded server)."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, max(os.getpriority(os.PRIO_PROCESS, pid), trainer_nice()))
    except (OSError, AttributeError):
        logger.warning("could not lower the priority of trainer %s", pid)


class LocalBackend:
    """Detached trainer processes on this machine, ``max_running`` at a time, the rest queued oldest first."""

    name = "local"

    def __init__(self, max_running: int | None = None) -> None:
        self.max_running = max_running or max_running_jobs()

    def capacity(self) -> int | None:
        return self.max_running

    def submit(self, store: RunStore, run_id: str) -> None:
        dispatch(store, self.max_running)

    def start(self, store: RunStore, run_id: str) -> int:
        folder = store.folder(run_id)
        env = {
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            "CNN_CLASSROOM_MAX_JOBS": str(self.max_running),  # the trainer dispatches the queue with the same limit
            "CNN_CLASSROOM_RUNS_DIR": str(store.root),
        }
        pid = _spawn(trainer_command(folder.path), folder.log, env)
        store.set_status(
            run_id, state=RunState.STARTING, backend=self.name, pid=pid, host=host_name(), started_at=now()
        )
        logger.info("started run %s as pid %s", run_id, pid)
        return pid

    def task_alive(self, record: RunRecord) -> bool | None:
        if record.state == RunState.QUEUED:
            return True  # waiting in our own queue: dispatch starts it
        if record.status.get("host", host_name()) != host_name():
            return None  # started on another machine: only its heartbeat tells
        return process_alive(record.status.get("pid"), record.run_id)

    def cancel(self, store: RunStore, record: RunRecord) -> None:
        pid = record.status.get("pid")
        if pid and self.task_alive(record):
            try:
                os.killpg(pid, signal.SIGKILL)  # the trainer leads its own session (start_new_session)
            except (ProcessLookupError, PermissionError):
                pass


def configured_backend(max_running: int | None = None) -> Backend:
    """The backend the environment asks for: Ray when ``CNN_CLASSROOM_RAY_ADDRESS`` is set, else local."""
    if os.environ.get("CNN_CLASSROOM_RAY_ADDRESS"):
        return RayBackend.from_env()
    return LocalBackend(max_running)


def backend_for(record: RunRecord, default: Backend | None = None) -> Backend:
    """The backend that started ``record`` (a Ray run stays Ray's even if the dashboard now runs locally)."""
    if default is not None and default.name == record.backend:
        return default
    if record.backend == "ray":
        return RayBackend.from_env()
    return LocalBackend()


def dispatch(store: RunStore, max_running: int | None = None) -> list[str]:
    """Start queued local runs, oldest first, while fewer than ``max_running`` are live. Returns the started ids."""
    backend = LocalBackend(max_running)
    started = []
    settings = ClassroomSettings.from_env()
    with _scheduler_lock(store):
        if MachineFolder(store.root).calibrating_pid():
            return []  # the calibration measures an idle machine: its process dispatches when it ends
        records = [r for r in reconcile(store, start_queued=False) if r.backend == backend.name]  # started below
        live = [r for r in records if r.state in LIVE_STATES]
        training = {}
        for r in live:
            training[r.owner["id"]] = training.get(r.owner["id"], 0) + 1
        by_id = {r.run_id: r for r in records}
        for run_id in queue_order(records):
            if len(live) + len(started) >= backend.max_running:
                break
            owner = by_id[run_id].owner
            if (
                settings.enabled
                and owner.get("role") == Role.LEARNER
                and training.get(owner["id"], 0) >= settings.max_running
            ):
                continue  # this learner's quota is training already: the next learner goes first
            backend.start(store, run_id)
            started.append(run_id)
            training[owner["id"]] = training.get(owner["id"], 0) + 1
    return started


def reconcile(
    store: RunStore, run_ids: list[str] | None = None, at: float | None = None, start_queued: bool = True
) -> list[RunRecord]:
    """Mark dead runs *interrupted* and cancel runs that ignored a stop; return every record as it now is.

    A run is dead when its heartbeat is older than ``HEARTBEAT_LIMIT_S`` (or it never wrote one) and its backend
    says its task is gone (a queued run: only when the backend is sure). The only writer besides the trainer.
    When that frees a local slot, the local queue is dispatched (``start_queued``): a killed trainer never
    dispatches the runs waiting behind it.
    """
    at = at or now()
    records, freed = [], False
    for run_id in run_ids if run_ids is not None else store.run_ids():
        try:
            record = store.load(run_id)
        except (LookupError, ValueError):
            continue
        if record.state in ACTIVE_STATES:
            before = record.state
            record = _reconcile_one(store, record, at)
            freed |= before in LIVE_STATES and record.state not in ACTIVE_STATES and record.backend == "local"
        records.append(record)
    if freed and start_queued:
        started = dispatch(store)
        if started:
            records = [store.load(r.run_id) if r.run_id in started else r for r in records]
    return records


def _reconcile_one(store: RunStore, record: RunRecord, at: float) -> RunRecord:
    backend = backend_for(record)
    stop_at = record.stop_requested_at()
    if stop_at is not None and at - stop_at > STOP_GRACE_S and record.state in LIVE_STATES:
        backend.cancel(store, record)
        store.mark_ended(record.run_id, RunState.STOPPED, CANCELLED_ERROR.format(grace=STOP_GRACE_S))
        return store.load(record.run_id)
    if record.heartbeat_age(at) <= HEARTBEAT_LIMIT_S:
        return record
    alive = backend.task_alive(record)
    if alive:
        return record
    if alive is None and (
        record.state == RunState.QUEUED or at - record.status.get("started_at", 0) <= HEARTBEAT_LIMIT_S
    ):
        return record  # the backend cannot tell, and the run is waiting or has just started
    logger.warning("run %s: no heartbeat for %.0f s and no task: interrupted", record.run_id, record.heartbeat_age(at))
    store.mark_ended(record.run_id, RunState.INTERRUPTED, INTERRUPTED_ERROR)
    return store.load(record.run_id)


def queue_order(records) -> list[str]:
    """Queued run ids in the order they start, fairly: the lecturer's runs first; then by *turn*, a learner's
    live runs plus their queued runs ahead of this one (so one learner's second run waits behind everybody's
    first); then oldest first. In solo mode every run is the same owner's: plain first in, first out.
    """
    records = list(records)
    live: dict[str, int] = {}
    for r in records:
        if r.state in LIVE_STATES:
            live[r.owner["id"]] = live.get(r.owner["id"], 0) + 1
    queued = sorted(
        (r for r in records if r.state == RunState.QUEUED), key=lambda r: (r.status.get("created_at", 0), r.run_id)
    )
    ahead: dict[str, int] = {}
    keys = []
    for r in queued:
        owner = r.owner
        turn = live.get(owner["id"], 0) + ahead.get(owner["id"], 0)
        ahead[owner["id"]] = ahead.get(owner["id"], 0) + 1
        keys.append(((owner.get("role") != Role.LECTURER, turn, r.status.get("created_at", 0), r.run_id), r.run_id))
    return [run_id for _, run_id in sorted(keys)]


def queue_position(records, run_id: str) -> int | None:
    """1 for the next run to start, 2 for the one after it, ...; ``None`` when ``run_id`` is not queued."""
    order = queue_order(records)
    return order.index(run_id) + 1 if run_id in order else None


def remaining_seconds(record: RunRecord, at: float | None = None) -> float | None:
    """How much longer a run will take: a live run's ETA from its progress (else its launch estimate minus the
    time it has run), a queued run's launch estimate; ``None`` when nothing tells."""
    if record.state in LIVE_STATES:
        eta = eta_seconds(record.progress, record.epochs)
        if eta is not None:
            return eta
        started = record.status.get("started_at")
        if record.estimated_seconds is not None and started:
            return max(record.estimated_seconds - ((at or now()) - started), 0.0)
        return record.estimated_seconds
    return record.estimated_seconds if record.state == RunState.QUEUED else None


def wait_seconds(records, run_id: str, capacity: int | None, at: float | None = None) -> float | None:
    """Seconds until queued ``run_id`` starts: the live runs' remaining time and the estimates of the runs ahead
    of it in :func:`queue_order`, laid out on ``capacity`` slots (each run takes the first slot to free up).

    ``None`` when the backend's capacity is unknown (Ray) or a run ahead has no estimate: an honest "unknown"
    rather than a guess.
    """
    records = list(records)
    order = queue_order(records)
    if capacity is None or run_id not in order:
        return None
    slots = [0.0] * capacity
    live = [remaining_seconds(r, at) for r in records if r.state in LIVE_STATES]
    if any(v is None for v in live):
        return None
    for i, remaining in enumerate(sorted(live, reverse=True)):
        slots[i % capacity] = max(slots[i % capacity], 0.0) + remaining
    heapq.heapify(slots)
    by_id = {r.run_id: r for r in records}
    for ahead in order[: order.index(run_id)]:
        duration = remaining_seconds(by_id[ahead], at)
        if duration is None:
            return None
        heapq.heappush(slots, heapq.heappop(slots) + duration)
    return slots[0]


def launch(
    store: RunStore,
    config: RunConfig,
    name: str = "",
    max_running: int | None = None,
    backend: Backend | None = None,
    estimated_seconds: float | None = None,
    owner: Identity = SOLO,
    challenge: str | None = None,
    story: dict | None = None,
) -> str:
    """Create a run for ``config`` owned by ``owner`` (a submission to the class challenge ``challenge``, a run of
    the story ``story``) and hand it to the backend (started now or queued).

    Returns the run id; raises :class:`~cnn_core.classroom.room.ClassroomError` (``quota``) when ``owner`` already has
    their quota of active runs, or (``signed_out``) when nobody signed in asks in classroom mode, and
    :class:`~cnn_core.training.custom_model.ModelCheckError` for a learner's model the launch check refuses
    (before any folder or process exists).
    """
    graph = None
    if config.is_custom:
        check = check_run(config)
        check.raise_first()
        graph = graph_record(check.report)
    backend = backend or configured_backend(max_running)
    settings = ClassroomSettings.from_env()
    with _scheduler_lock(store):  # two quick clicks must not both pass the quota
        check_quota(owner, (r.owner for r in store.list() if r.state in ACTIVE_STATES), settings)
        run_id = store.create(
            config, name, estimated_seconds, owner=owner, model_graph=graph, challenge=challenge, story=story
        )
        store.set_status(run_id, backend=backend.name)
        if graph is not None:  # known before training: the runs table shows a learner's model's size at once
            store.set_status(run_id, params=graph["total_params"], trainable_params=graph["trainable_params"])
    backend.submit(store, run_id)
    return run_id


def stop(store: RunStore, run_id: str, by: Identity = SOLO) -> None:
    """Ask a run to stop (only its owner or the lecturer may): a queued one is cancelled at once (and taken off
    its backend's queue), a live one stops at its next batch and keeps its best epoch."""
    record = store.request_stop(run_id, by=by)
    if record.state == RunState.QUEUED:
        backend_for(record).cancel(store, record)


class CalibrationStart(StrEnum):
    """What :func:`start_calibration` did."""

    STARTED = "started"
    RUNNING = "running"
    """A calibration is measuring already."""
    BUSY = "busy"
    """A run is training: measuring now would measure a shared CPU."""
    DONE = "done"
    """This machine is calibrated (and no new measurement was asked for)."""
    OFF = "off"
    """``CNN_CLASSROOM_CALIBRATE=off``: the reference figures stay in use."""


def calibration_command(root: Path) -> list[str]:
    return [sys.executable, "-m", "cnn_core.runs.calibrate", str(root)]


def start_calibration(store: RunStore, again: bool = False, by: Identity = SOLO) -> CalibrationStart:
    """Measure this machine in a niced calibration process (``python -m cnn_core.runs.calibrate``), unless it is
    measured already (``again`` measures anew: only the lecturer may in classroom mode), a calibration is running,
    or a run is training (runs launched meanwhile wait for it: :func:`dispatch`). ``CNN_CLASSROOM_CALIBRATE=off``
    leaves the reference figures in use (the test suite's default, except where it tests this)."""
    if os.environ.get("CNN_CLASSROOM_CALIBRATE", "auto").strip().lower() == "off" and not again:
        return CalibrationStart.OFF
    if again:
        require_lecturer(by)  # measuring anew pauses the class's queue for a minute
    folder = MachineFolder(store.root)
    with _scheduler_lock(store):
        if folder.calibrating_pid():
            return CalibrationStart.RUNNING
        if not again and folder.load() is not None:
            return CalibrationStart.DONE
        if any(r.state in LIVE_STATES for r in reconcile(store, start_queued=False)):
            return CalibrationStart.BUSY
        pid = _spawn(
            calibration_command(store.root),
            folder.path / "calibration.log",
            {"CNN_CLASSROOM_RUNS_DIR": str(store.root)},
        )
        folder.mark_calibrating(pid)
    logger.info("calibrating this machine as pid %s", pid)
    return CalibrationStart.STARTED


def measure_machine_now(store: RunStore) -> Calibration | None:
    """This machine's calibration beside ``store``'s runs, measured now in a calibration process (waited for) when it
    is missing: what the benches do before a cold estimate. ``None`` when the measurement failed."""
    folder = MachineFolder(store.root)
    if folder.load() is None:
        store.root.mkdir(parents=True, exist_ok=True)
        env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT), "CNN_CLASSROOM_RUNS_DIR": str(store.root)}
        log = folder.path / "calibration.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            subprocess.run(calibration_command(store.root), cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)  # fmt: skip
    return folder.load()
