"""Run folders: create, list, load, stop, rename, delete; find runs whose process died.

Layout of ``RUNS_DIR/<run_id>/``::

    config.json    the RunConfig
    meta.json      display name, creation time
    status.json    state, pid, times, error  (written atomically)
    epochs.jsonl   one line per finished epoch: loss, accuracy, val_loss, val_accuracy, seconds
    progress.json  the current batch (for a progress bar)
    best.keras     the best model so far (lowest val_loss)
    test.json      the final test evaluation
    train.log      the training process's output
    STOP           present when a stop was requested
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from cnn_core.atomic import read_jsonl, write_json_atomic, write_text_atomic
from cnn_core.run_config import RunConfig

logger = logging.getLogger(__name__)

RUN_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
STATES = ("queued", "starting", "running", "completed", "failed", "stopped", "interrupted")
ACTIVE_STATES = ("queued", "starting", "running")
LOG_TAIL_CHARS = 4000


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


def process_alive(pid: int | None, run_id: str | None = None) -> bool:
    """Whether ``pid`` is a live (not zombie) process; on Linux also that it is this run's trainer."""
    if not pid:
        return False
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our finished child
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            if proc.joinpath("stat").read_text().split(") ", 1)[1].startswith("Z"):
                return False
            if run_id and run_id not in proc.joinpath("cmdline").read_bytes().decode(errors="replace"):
                return False  # the pid was reused by another process
        except (OSError, IndexError):
            return False
    return True


@dataclass
class RunRecord:
    """Everything the pages show about one run, read from its folder."""

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
    def state(self) -> str:
        return "damaged" if self.damaged else self.status.get("state", "unknown")

    @property
    def name(self) -> str:
        return self.meta.get("name") or (self.config.name if self.config else "") or self.run_id

    @property
    def best_epoch(self) -> dict | None:
        scored = [e for e in self.epochs if e.get("val_loss") is not None]
        return min(scored, key=lambda e: e["val_loss"]) if scored else None

    @property
    def checkpoint(self) -> Path:
        return self.path / "best.keras"

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        try:
            with (self.path / "train.log").open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(fh.tell() - chars, 0))
                return fh.read().decode("utf-8", errors="replace")
        except OSError:
            return ""


def _read_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    return data


class RunStore:
    """All runs under one folder. Safe to use from several processes: every write is atomic."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, run_id: str) -> Path:
        return self.root / validate_run_id(run_id)

    def create(self, config: RunConfig, name: str = "") -> str:
        """A new run folder in state ``queued``; returns its id."""
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        folder = self.root / run_id
        folder.mkdir(parents=True)
        write_text_atomic(folder / "config.json", config.to_json())
        write_json_atomic(folder / "meta.json", {"name": validate_name(name or config.name), "created_at": now()})
        self.set_status(run_id, state="queued", created_at=now())
        return run_id

    def set_status(self, run_id: str, **changes: object) -> dict:
        path = self.path(run_id) / "status.json"
        try:
            status = _read_json(path)
        except (OSError, ValueError):
            status = {}
        status.update(changes)
        status["updated_at"] = now()
        write_json_atomic(path, status)
        return status

    def run_ids(self) -> list[str]:
        """Ids of all run folders, newest first (other entries in the folder are ignored)."""
        try:
            names = [p.name for p in self.root.iterdir() if p.is_dir() and RUN_ID_PATTERN.match(p.name)]
        except OSError:
            return []
        return sorted(names, reverse=True)

    def load(self, run_id: str, check_process: bool = True) -> RunRecord:
        """Read a run; a run whose process died without finishing is marked ``interrupted`` here."""
        folder = self.path(run_id)
        if not folder.is_dir():
            raise RunNotFoundError(run_id)
        try:
            config = RunConfig.from_dict(_read_json(folder / "config.json"))
            status = _read_json(folder / "status.json")
            meta = _read_json(folder / "meta.json") if (folder / "meta.json").exists() else {}
        except (OSError, ValueError, TypeError) as err:
            return RunRecord(run_id, folder, None, {}, {}, damaged=f"{type(err).__name__}: {err}")
        record = RunRecord(run_id, folder, config, status, meta, epochs=read_jsonl(folder / "epochs.jsonl"))
        for name, attr in (("progress.json", "progress"), ("test.json", "test")):
            try:
                setattr(record, attr, _read_json(folder / name))
            except (OSError, ValueError):
                pass
        if check_process and status.get("state") in ("starting", "running"):
            if not process_alive(status.get("pid"), run_id):
                record.status = self.set_status(
                    run_id,
                    state="interrupted",
                    ended_at=now(),
                    error="The training process ended without finishing (killed, crashed or the machine restarted).",
                    log_tail=record.log_tail(),
                )
        return record

    def list(self) -> list[RunRecord]:
        records = []
        for run_id in self.run_ids():
            try:
                records.append(self.load(run_id))
            except RunNotFoundError:
                continue
        return records

    def request_stop(self, run_id: str) -> None:
        """Ask a run to stop at the next batch; a queued run is cancelled at once."""
        record = self.load(run_id)
        if record.state == "queued":
            self.set_status(run_id, state="stopped", ended_at=now(), error="Cancelled before it started.")
            return
        write_text_atomic(self.path(run_id) / "STOP", str(now()))

    def stop_requested(self, run_id: str) -> bool:
        return (self.path(run_id) / "STOP").exists()

    def rename(self, run_id: str, name: str) -> None:
        path = self.path(run_id) / "meta.json"
        try:
            meta = _read_json(path)
        except (OSError, ValueError):
            meta = {}
        meta["name"] = validate_name(name)
        write_json_atomic(path, meta)

    def delete(self, run_id: str) -> None:
        """Remove a finished run's folder; an active run must be stopped first."""
        record = self.load(run_id)
        if record.state in ("starting", "running"):
            raise ValueError("Stop the run before deleting it.")
        shutil.rmtree(self.path(run_id))
