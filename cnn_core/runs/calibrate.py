"""The calibration process: ``python -m cnn_core.runs.calibrate RUNS_DIR``.

Measures this machine (:func:`cnn_core.training.calibration.calibrate`), stores the result beside the runs
(:class:`~cnn_core.training.machine.MachineFolder`), then starts the runs that queued while it measured
(:func:`cnn_core.runs.jobs.dispatch`). Started niced and only while no run trains, by
:func:`cnn_core.runs.jobs.start_calibration`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from cnn_core.runs.jobs import dispatch
from cnn_core.runs.worker import use_xla_cache
from cnn_core.training.calibration import calibrate
from cnn_core.training.machine import MachineFolder
from cnn_core.training.run_store import RunStore

logger = logging.getLogger("cnn_core.runs.calibrate")


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    use_xla_cache()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    if len(argv) != 2:
        print("usage: python -m cnn_core.runs.calibrate RUNS_DIR", file=sys.stderr)
        return 2
    root = Path(argv[1]).resolve()
    folder = MachineFolder(root)
    folder.mark_calibrating(os.getpid())
    code = 0
    try:
        calibration = calibrate(started=started)
        path = folder.save(calibration)
        logger.info("calibrated %s in %.1f s: %s", calibration.machine.describe(), calibration.seconds, path)
    except Exception:  # noqa: BLE001 - a failed calibration leaves the reference figures in use, and says so
        logger.exception("calibration failed")
        code = 1
    finally:
        folder.clear_marker()
    try:
        dispatch(RunStore(root))
    except Exception:  # noqa: BLE001
        logger.exception("could not start the queued runs")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
