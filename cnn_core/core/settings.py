"""Where the app reads data and writes runs, from environment variables with safe defaults.

* ``CNN_CLASSROOM_HOME``: the app's own folder (default ``~/.cnn_classroom``).
* ``CNN_CLASSROOM_DATA_DIRS``: data roots separated by ``os.pathsep`` (default
  ``~/.cnn_classroom/data`` plus ``../shared/data`` beside the checkout when present).
* ``CNN_CLASSROOM_RUNS_DIR``: the runs folder (default ``~/.cnn_classroom/runs``).
* ``CNN_CLASSROOM_MAX_UPLOAD_MB``: largest accepted upload (default 20).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def home_dir() -> Path:
    """``CNN_CLASSROOM_HOME`` (default ``~/.cnn_classroom``): downloaded data, runs, converted weights and caches.
    Read at each call, like every setting here, so that a test (or a Ray worker) can point it elsewhere."""
    return Path(os.environ.get("CNN_CLASSROOM_HOME", Path.home() / ".cnn_classroom")).expanduser()


@dataclass(frozen=True)
class Settings:
    data_roots: tuple[Path, ...]
    runs_dir: Path
    max_upload_bytes: int


def load_settings() -> Settings:
    """Read the environment each call (cheap), so tests can point it elsewhere."""
    raw = os.environ.get("CNN_CLASSROOM_DATA_DIRS")
    if raw:
        roots = tuple(Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip())
    else:
        shared = (PROJECT_ROOT.parent / "shared" / "data").resolve()
        roots = (home_dir() / "data",) + ((shared,) if shared.is_dir() else ())
    runs = Path(os.environ.get("CNN_CLASSROOM_RUNS_DIR", home_dir() / "runs")).expanduser().resolve()
    try:
        max_mb = float(os.environ.get("CNN_CLASSROOM_MAX_UPLOAD_MB", "20"))
    except ValueError:
        max_mb = 20.0
    return Settings(roots, runs, int(max_mb * 1024 * 1024))
