"""This machine's calibration, several times over, against the reference figures the registry keeps.

Run: .venv/bin/python bench/calibration.py [--repeat 3] [--precision auto,float32]
     taskset -c 0 .venv/bin/python bench/calibration.py   (one core: another machine)

Each round runs the calibration process exactly as the training lab starts it (``python -m cnn_core.runs.calibrate``,
a fresh runs folder, so nothing is reused) and prints its probes; then the median of each probe over the rounds, its
ratio to the reference (``cnn_core.training.machine.PROBES``: measured this way on the reference machine) and the
calibration's own wall time (the issue's bound: 60 s on a 2-core CPU). The CPU flags are printed first: state them
beside any figure quoted from here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn_core.runs.jobs import measure_machine_now  # noqa: E402
from cnn_core.training.machine import PROBES, this_machine  # noqa: E402
from cnn_core.training.run_store import RunStore  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--precision", default="auto,float32", help="CNN_CLASSROOM_PRECISION values, comma-separated")
    args = parser.parse_args()
    print(f"this machine: {this_machine().describe()}")
    for precision in args.precision.split(","):
        os.environ["CNN_CLASSROOM_PRECISION"] = precision
        seen: dict[str, list[float]] = {}
        walls, labels = [], {}
        for round_ in range(1, args.repeat + 1):
            started = time.perf_counter()
            calibration = measure_machine_now(RunStore(Path(tempfile.mkdtemp(prefix="bench-calibration-"))))
            walls.append(time.perf_counter() - started)
            if calibration is None:
                print(f"{precision} round {round_}: the calibration failed")
                continue
            for name, probe in calibration.probes.items():
                seen.setdefault(name, []).append(probe.value)
                labels[name] = probe.precision
            print(f"{precision} round {round_}: {walls[-1]:.1f} s; " + ", ".join(f"{n} {p.value:,.1f}" for n, p in calibration.probes.items()))  # fmt: skip
        for name, values in seen.items():
            reference = PROBES[name].reference.get(labels[name])
            ratio = f"{statistics.median(values) / reference:.2f}x the reference" if reference else "no reference"
            spread = f"{min(values):,.1f}-{max(values):,.1f}"
            print(f"  {name:14} {labels[name]}: median {statistics.median(values):,.1f} ({spread}); {ratio}")
        print(f"  calibration wall time: median {statistics.median(walls):.1f} s, at most {max(walls):.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
