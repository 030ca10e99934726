"""The run folder: its layout (defined here and nowhere else), the trainer's writer, and the pages' reader.

Layout of ``RUNS_DIR/<run_id>/`` (:class:`RunFolder` names every file)::

    config.json            the RunConfig                                       (store, at creation)
    meta.json              display name, owner, creation time, the estimate    (store)
    status.json            state, backend, pid, host, times, error, params     (store and trainer, atomic)
    heartbeat.json         the trainer's last sign of life: time, host, pid    (trainer, every 2 s)
    progress.json          the current phase and batch, for a progress bar     (trainer, throttled)
    epochs.jsonl           one line per finished epoch: loss, accuracy, val_*, seconds, images/s
    dataset.json           the dataset's classes and counts                    (trainer)
    best.keras             the best model so far (lowest val_loss)             (trainer, atomic)
    test.json              the final test evaluation                           (trainer)
    test_predictions.json  every test item's true and predicted class          (trainer)
    train.log              the training process's output                       (backend)
    model_code.txt         a learner's own model: the listing as pasted (never executed)   (store)
    model_graph.json       ... and the graph the editor read from it                      (store)
    STOP                   present when a stop was requested                   (store)

Three kinds of access, three objects: :class:`RunStore` creates, lists, loads, renames and deletes runs;
:class:`RunWriter` is what the trainer writes through; :class:`RunRecord` is what pages read through.
Loading never writes: runs whose trainer died are marked by an explicit ``jobs.reconcile``.

Every action a person takes on a run (stop, rename, delete) says who asks (``by``) and is checked here, by
:func:`cnn_core.classroom.room.authorize`, before anything is written: a hidden button is not the guard.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cnn_core.classroom.room import SOLO, Action, Identity, authorize, owner_of
from cnn_core.core.atomic import append_jsonl, read_jsonl, write_json_atomic, write_text_atomic
from cnn_core.training.run_config import RunConfig

logger = logging.getLogger(__name__)

RUN_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
LOG_TAIL_CHARS = 4000
HEARTBEAT_EVERY_S = 2.0
HEARTBEAT_LIMIT_S = 10.0
"""A trainer silent this long (and whose task is gone) is interrupted; five missed heartbeats."""


class RunState(StrEnum):
    """Every state a run folder can be in; the groups below are the only place states are grouped."""

    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"
    DAMAGED = "damaged"
    UNKNOWN = "unknown"


ACTIVE_STATES = frozenset({RunState.QUEUED, RunState.STARTING, RunState.RUNNING})
"""Not finished yet: waiting for a slot, or a trainer exists."""
LIVE_STATES = frozenset({RunState.STARTING, RunState.RUNNING})
"""A trainer process or task has been started for the run and has not ended."""
RESULT_STATES = frozenset({RunState.COMPLETED, RunState.STOPPED})
"""Ended with a best checkpoint and a test evaluation (a stopped run keeps its best epoch)."""
ENDED_STATES = frozenset({RunState.COMPLETED, RunState.FAILED, RunState.STOPPED, RunState.INTERRUPTED})


class Phase(StrEnum):
    """What the trainer is doing, in ``progress.json``."""

    FEATURES = "features"
    """The frozen base's pass over every image before training (``done``/``total`` images)."""
    TRAIN = "train"
    TESTING = "testing"


class RunNotFoundError(LookupError):
    pass


def validate_run_id(run_id: str) -> str:
    """``run_id`` if it has the store's shape (``20261125-171500-a1b2c3``); ``ValueError`` otherwise."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
        raise ValueError(f"Not a run id. Received: {run_id!r}")
    return run_id


def validate_name(name: str) -> str:
    """A display name: printable, at most 120 characters, no path separators."""
    name = name.strip()
    if len(name) > 120 or any(c in name for c in "/\\\0") or not name.isprintable():
        raise ValueError("A run name has at most 120 printable characters and no '/' or '\\'.")
    return name


def now() -> float:
    return time.time()


def host_name() -> str:
    return socket.gethostname()


@dataclass(frozen=True)
class RunFolder:
    """The paths of one run folder (see the module docstring for who writes what)."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    config = property(lambda self: self.path / "config.json")
    meta = property(lambda self: self.path / "meta.json")
    status = property(lambda self: self.path / "status.json")
    heartbeat = property(lambda self: self.path / "heartbeat.json")
    progress = property(lambda self: self.path / "progress.json")
    epochs = property(lambda self: self.path / "epochs.jsonl")
    dataset = property(lambda self: self.path / "dataset.json")
    checkpoint = property(lambda self: self.path / "best.keras")
    test = property(lambda self: self.path / "test.json")
    predictions = property(lambda self: self.path / "test_predictions.json")
    log = property(lambda self: self.path / "train.log")
    stop = property(lambda self: self.path / "STOP")
    model_code = property(lambda self: self.path / "model_code.txt")
    model_graph = property(lambda self: self.path / "model_graph.json")


def _read_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    return data


def _read_optional(path: Path) -> dict | None:
    try:
        return _read_json(path)
    except (OSError, ValueError):
        return None


def _update_json(path: Path, changes: dict) -> dict:
    data = _read_optional(path) or {}
    data.update(changes)
    data["updated_at"] = now()
    write_json_atomic(path, data)
    return data


@dataclass
class RunRecord:
    """Everything the pages show about one run, read from its folder; reading it never changes the folder."""

    run_id: str
    path: Path
    config: RunConfig | None
    status: dict
    meta: dict
    epochs: list[dict] = field(default_factory=list)
    progress: dict | None = None
    test: dict | None = None
    damaged: str | None = None

    @property
    def folder(self) -> RunFolder:
        return RunFolder(Path(self.path))

    @property
    def state(self) -> RunState:
        if self.damaged:
            return RunState.DAMAGED
        try:
            return RunState(self.status.get("state", "unknown"))
        except ValueError:
            return RunState.UNKNOWN

    @property
    def name(self) -> str:
        return self.given_name or self.run_id

    @property
    def given_name(self) -> str:
        """The name the run was launched or renamed with; empty when nobody named it (a page then describes it)."""
        return self.meta.get("name") or (self.config.name if self.config else "")

    @property
    def owner(self) -> dict:
        """``{"id", "nickname", "role"}`` of who launched the run (the solo user for runs without one)."""
        return owner_of(self.meta)

    @property
    def estimated_seconds(self) -> float | None:
        """The estimate the launch form showed for this run."""
        return self.meta.get("estimated_seconds")

    @property
    def backend(self) -> str:
        """Which backend started the run ("local" or "ray"; runs from before backends existed are local)."""
        return self.status.get("backend", "local")

    @property
    def best_epoch(self) -> dict | None:
        scored = [e for e in self.epochs if e.get("val_loss") is not None]
        return min(scored, key=lambda e: e["val_loss"]) if scored else None

    @property
    def checkpoint(self) -> Path:
        return self.folder.checkpoint

    @property
    def phase(self) -> str | None:
        return (self.progress or {}).get("phase")

    def seconds(self, at: float) -> float | None:
        """How long the run has taken: start to end, or to ``at`` while it is active (``None`` before it starts)."""
        started = self.status.get("started_at")
        ended = self.status.get("ended_at") or (at if self.state in ACTIVE_STATES else None)
        return round(ended - started, 1) if started and ended else None

    @property
    def story(self) -> dict:
        """``{"id", "kind"}`` of the story this run was queued in (``{}`` for a run of its own)."""
        return self.meta.get("story") or {}

    @property
    def is_recorded(self) -> bool:
        """A recorded run shipped with the app (metrics only, read-only)."""
        return bool(self.meta.get("recorded"))

    def stop_requested(self) -> bool:
        return not self.is_recorded and self.folder.stop.exists()

    def stop_requested_at(self) -> float | None:
        try:
            return self.folder.stop.stat().st_mtime
        except OSError:
            return None

    def heartbeat(self) -> dict | None:
        return None if self.is_recorded else _read_optional(self.folder.heartbeat)

    def heartbeat_age(self, at: float | None = None) -> float:
        """Seconds since the trainer's last heartbeat; infinite when it never wrote one."""
        beat = self.heartbeat()
        if not beat or not isinstance(beat.get("time"), (int, float)):
            return float("inf")
        return max(0.0, (at or now()) - beat["time"])

    def predictions(self) -> dict | None:
        """``{"classes": [...], "items": [{"item", "label", "predicted", "probability"}, ...]}`` or ``None``."""
        return None if self.is_recorded else _read_optional(self.folder.predictions)

    def dataset(self) -> dict | None:
        return None if self.is_recorded else _read_optional(self.folder.dataset)

    def has_results(self) -> bool:
        """Ended with a checkpoint and test predictions to evaluate."""
        return self.state in RESULT_STATES and self.predictions() is not None

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        try:
            with self.folder.log.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(fh.tell() - chars, 0))
                return fh.read().decode("utf-8", errors="replace")
        except OSError:
            return ""


class RunWriter:
    """What a trainer writes into its run folder. Every write is atomic or a single appended line."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.folder = RunFolder(store.path(run_id))
        self._beating = threading.Event()

    def set_status(self, **changes: object) -> dict:
        return self.store.set_status(self.run_id, **changes)

    def stop_requested(self) -> bool:
        return self.folder.stop.exists()

    def progress(self, **values: object) -> None:
        """Replace ``progress.json`` (not fsynced: it is rewritten twice a second and only drives a progress bar)."""
        write_json_atomic(self.folder.progress, {**values, "updated_at": now()}, durable=False)

    def phase(self, phase: Phase) -> None:
        """Keep the last batch's numbers and change only the phase (e.g. to "testing" after the last epoch)."""
        last = _read_optional(self.folder.progress) or {}
        self.progress(**{**last, "phase": str(phase)})

    def epoch(self, record: dict) -> None:
        append_jsonl(self.folder.epochs, record)

    def dataset(self, info: dict) -> None:
        write_json_atomic(self.folder.dataset, info)

    def test(self, result: dict) -> None:
        write_json_atomic(self.folder.test, result)

    def predictions(self, classes: list[str], items: list[dict]) -> None:
        write_json_atomic(self.folder.predictions, {"classes": list(classes), "items": items})

    def save_model(self, model) -> None:
        """Save ``model`` as the run's ``best.keras`` through a temporary file, so a reader never sees half a model."""
        tmp = self.folder.checkpoint.with_name(".best.tmp.keras")
        model.save(tmp)
        os.replace(tmp, self.folder.checkpoint)

    def beat(self) -> None:
        write_json_atomic(
            self.folder.heartbeat, {"time": now(), "host": host_name(), "pid": os.getpid()}, durable=False
        )

    def start_heartbeat(self, every: float = HEARTBEAT_EVERY_S) -> threading.Thread:
        """Write ``heartbeat.json`` every ``every`` seconds from a daemon thread until :meth:`stop_heartbeat`.

        A thread, not the training loop: a long feature pass, a test evaluation or a model save is not silence.
        """
        self.beat()
        self._beating.set()

        def loop() -> None:
            while self._beating.is_set():
                time.sleep(every)
                try:
                    self.beat()
                except OSError:
                    logger.warning("could not write the heartbeat", exc_info=True)

        thread = threading.Thread(target=loop, name="heartbeat", daemon=True)
        thread.start()
        return thread

    def stop_heartbeat(self) -> None:
        self._beating.clear()


class RunStore:
    """All runs under one folder. Safe to use from several processes and machines: every write is atomic."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, run_id: str) -> Path:
        return self.root / validate_run_id(run_id)

    def folder(self, run_id: str) -> RunFolder:
        return RunFolder(self.path(run_id))

    def writer(self, run_id: str) -> RunWriter:
        return RunWriter(self, run_id)

    def create(
        self,
        config: RunConfig,
        name: str = "",
        estimated_seconds: float | None = None,
        owner: Identity = SOLO,
        model_graph: dict | None = None,
        challenge: str | None = None,
        story: dict | None = None,
    ) -> str:
        """A new run folder in state ``queued``, owned by ``owner`` (with the estimate shown at launch, if any);
        returns its id. A learner's own model also keeps its listing and ``model_graph``, the graph read from it; a
        submission to a class challenge records the challenge's id in ``meta.json``, a run of the whole story
        the story's ``{"id", "kind"}`` (:mod:`cnn_core.runs.story`)."""
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        folder = RunFolder(self.root / run_id)
        folder.path.mkdir(parents=True)
        write_text_atomic(folder.config, config.to_json())
        if config.model_code:
            write_text_atomic(folder.model_code, config.model_code)
            write_json_atomic(folder.model_graph, model_graph or {})
        meta = {"name": validate_name(name or config.name), "created_at": now(), "owner": owner.as_owner()}
        if estimated_seconds is not None:
            meta["estimated_seconds"] = round(float(estimated_seconds), 1)
        if challenge:
            meta["challenge"] = challenge
        if story:
            meta["story"] = dict(story)
        write_json_atomic(folder.meta, meta)
        self.set_status(run_id, state=RunState.QUEUED, created_at=now())
        return run_id

    def set_status(self, run_id: str, **changes: object) -> dict:
        return _update_json(self.folder(run_id).status, changes)

    def run_ids(self) -> list[str]:
        """Ids of all run folders, newest first (other entries in the folder are ignored)."""
        try:
            names = [p.name for p in self.root.iterdir() if p.is_dir() and RUN_ID_PATTERN.match(p.name)]
        except OSError:
            return []
        return sorted(names, reverse=True)

    def load(self, run_id: str) -> RunRecord:
        """Read a run as it is on disk (a damaged folder is a record with ``damaged`` set, never an exception)."""
        folder = self.folder(run_id)
        if not folder.path.is_dir():
            raise RunNotFoundError(run_id)
        try:
            config = RunConfig.from_dict(_read_json(folder.config))
            status = _read_json(folder.status)
            meta = _read_json(folder.meta) if folder.meta.exists() else {}
        except (OSError, ValueError, TypeError) as err:
            return RunRecord(run_id, folder.path, None, {}, {}, damaged=f"{type(err).__name__}: {err}")
        return RunRecord(
            run_id,
            folder.path,
            config,
            status,
            meta,
            epochs=read_jsonl(folder.epochs),
            progress=_read_optional(folder.progress),
            test=_read_optional(folder.test),
        )

    def list(self) -> list[RunRecord]:
        records = []
        for run_id in self.run_ids():
            try:
                records.append(self.load(run_id))
            except RunNotFoundError:
                continue
        return records

    def request_stop(self, run_id: str, by: Identity = SOLO) -> RunRecord:
        """Ask a run to stop at the next batch (the STOP file); a queued run is cancelled at once."""
        record = self.load(run_id)
        authorize(by, record.meta, Action.STOP)
        if record.state == RunState.QUEUED:
            self.set_status(run_id, state=RunState.STOPPED, ended_at=now(), error="Cancelled before it started.")
        elif record.state in LIVE_STATES:
            write_text_atomic(record.folder.stop, str(now()))
        return record

    def mark_ended(self, run_id: str, state: RunState, error: str) -> dict:
        """End an active run from outside its trainer (reconcile): its state, the reason and the log's tail."""
        record = self.load(run_id)
        return self.set_status(run_id, state=state, ended_at=now(), error=error, log_tail=record.log_tail())

    def rename(self, run_id: str, name: str, by: Identity = SOLO) -> None:
        authorize(by, self.load(run_id).meta, Action.RENAME)
        _update_json(self.folder(run_id).meta, {"name": validate_name(name)})

    def delete(self, run_id: str, by: Identity = SOLO) -> None:
        """Remove a run's folder; a run whose trainer may still be writing must be stopped first."""
        record = self.load(run_id)
        authorize(by, record.meta, Action.DELETE)
        if record.state in LIVE_STATES:
            raise ValueError("Stop the run before deleting it.")
        shutil.rmtree(self.path(run_id))
