"""File writes a concurrent reader never sees half-done: write to a temporary file, then rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str, durable: bool = True) -> None:
    """Replace ``path`` with ``text`` in one step (``os.replace`` of a fully written temp file).

    ``durable`` fsyncs the temp file first, so the new content also survives a power cut. Readers never see
    a half-written file either way; ``durable=False`` suits throttled progress records, where an fsync while
    the disk writes back a checkpoint can stall the training loop.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: object, durable: bool = True) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False), durable)


def append_jsonl(path: Path, record: dict) -> None:
    """Append one JSON line with a single ``write`` (readers skip a torn last line, see :func:`read_jsonl`)."""
    line = json.dumps(record, sort_keys=True) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()


def read_jsonl(path: Path) -> list[dict]:
    """All complete JSON lines of ``path`` (a missing file is empty; an unfinished last line is ignored)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    records = []
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            break
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
