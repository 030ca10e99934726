"""The local backend's trainer process: ``python -m cnn_core.runs.train RUN_DIR``.

Trains the run in ``RUN_DIR`` (:func:`cnn_core.runs.worker.run`), then starts the next queued run
(:func:`cnn_core.runs.jobs.dispatch`), so the queue moves on with no dashboard process running.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from cnn_core.runs.jobs import dispatch
from cnn_core.runs.worker import limit_trainer_memory, run, use_xla_cache
from cnn_core.training.run_store import RunStore

logger = logging.getLogger("cnn_core.runs.train")


def main(argv: list[str]) -> int:
    use_xla_cache()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    if len(argv) != 2:
        print("usage: python -m cnn_core.runs.train RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(argv[1]).resolve()
    limit_trainer_memory()
    code = run(run_dir)
    try:
        dispatch(RunStore(run_dir.parent))
    except Exception:  # noqa: BLE001
        logger.exception("could not start the next queued run")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
