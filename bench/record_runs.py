"""Turn finished run folders into the recorded runs shipped with the app (metrics only, no weights).

Run: .venv/bin/python bench/record_runs.py RUNS_DIR [RUNS_DIR ...]
Writes assets/recorded_runs/<strategy>-<base>-<size>.json for every completed run found.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnn_core.training.run_store import RunState, RunStore  # noqa: E402

OUT = ROOT / "assets" / "recorded_runs"


def main(argv: list[str]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for folder in argv[1:]:
        store = RunStore(Path(folder))
        for record in store.list():
            if record.state != RunState.COMPLETED or record.config is None:
                continue
            c = record.config
            base = c.base if c.uses_pretrained_base else "convnet"
            name = f"{c.strategy}-{base}-{c.image_size}"
            data = {
                "name": f"Recorded: {c.strategy}, {base}, {c.image_size} px, {len(record.epochs)} epochs (cats_vs_dogs_small, 2-core CPU)",
                "config": json.loads(c.to_json()) | {"dataset": Path(c.dataset).name, "start_from": None},
                "status": {k: record.status.get(k) for k in ("state", "params", "trainable_params", "wall_seconds")},
                "epochs": record.epochs,
                "test": record.test,
                "machine": f"{platform.machine()}, 2 CPU cores",
            }
            (OUT / f"{name}.json").write_text(json.dumps(data, indent=1, sort_keys=True))
            print("recorded", name, f"test={record.test['accuracy']:.3f}" if record.test else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
