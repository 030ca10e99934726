"""Whether a process this machine started (a trainer, the calibration) is still alive: one check for every caller."""

from __future__ import annotations

import os
from pathlib import Path


def process_alive(pid: int | None, command_contains: str | None = None) -> bool:
    """Whether ``pid`` is a live (not zombie) process on this machine; on Linux also, with ``command_contains``, that
    its command line names it (a run id, a runs folder), so that a pid reused by another process does not count."""
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
            if command_contains and command_contains not in proc.joinpath("cmdline").read_bytes().decode(
                errors="replace"
            ):
                return False  # the pid was reused by another process
        except (OSError, IndexError):
            return False
    return True
