"""Recorded runs shipped with the app (``assets/recorded_runs/*.json``: metrics only), for replay and comparison."""

from __future__ import annotations

import json
from pathlib import Path

from cnn_core.core.settings import PROJECT_ROOT
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunRecord

RECORDED_DIR = PROJECT_ROOT / "assets" / "recorded_runs"


def recorded_runs(folder: Path = RECORDED_DIR) -> list[RunRecord]:
    """Every recorded run as a read-only :class:`RunRecord` (id ``recorded-<file stem>``)."""
    out = []
    for path in sorted(Path(folder).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append(
            RunRecord(
                f"recorded-{path.stem}",
                path,
                RunConfig.from_dict(data["config"]),
                data["status"],
                {
                    "name": data["name"],
                    "recorded": True,
                    "machine": data.get("machine"),
                    "created_at": data.get("made_at"),
                },
                epochs=data["epochs"],
                test=data.get("test"),
            )
        )
    return out
