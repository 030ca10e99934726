"""This machine and what it measured of itself: the calibration the estimates stand on (no TensorFlow here).

A machine is its host, CPU model, the CPU flags that change training speed (AVX2, AVX-512, bfloat16 units) and
its cores (:class:`MachineId`); a change of any of them is another machine and calls for a new calibration.
Its :class:`Calibration` holds one :class:`Probe` per kind of work the estimates need (:data:`PROBES`): training
images per second of the book's convnet and of an MNIST convnet, in the precision this machine chooses for them,
the frozen base's forward pass and training through it, and how long a trainer takes to import TensorFlow.

Layout, owned by this module alone: ``RUNS_DIR/.machines/<machine key>.json`` (the calibration, atomic) and
``RUNS_DIR/.machines/calibrating.json`` (the calibration process's pid while it measures).

The estimate (:mod:`cnn_core.training.estimate`) turns a probe into a speed factor for the kinds of run that
share its work (:func:`speed_factor`): ``measured / reference``, the reference being the same probe measured on the
machine where the registry's figures were measured (:data:`REFERENCE_MACHINE`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cnn_core.core.atomic import write_json_atomic
from cnn_core.core.processes import process_alive
from cnn_core.training.precision import cpu_flags

logger = logging.getLogger(__name__)

SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile")
"""The CPU flags that change how fast TensorFlow trains: a machine that gains or loses one is measured again."""
FOLDER = ".machines"
CALIBRATING = "calibrating.json"
CALIBRATION_BUDGET_S = 45.0
"""What the whole calibration may take on a 2-core CPU (TensorFlow's import included): each probe measures for
its share of it and stops early once its figure is steady."""


@dataclass(frozen=True)
class MachineId:
    """Who measured: what makes this machine's speed its own."""

    host: str
    cpu: str
    flags: tuple[str, ...]
    cores: int

    @property
    def key(self) -> str:
        """A file-name-safe digest of every field: another host, CPU, flag set or core count is another key."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        """``"AMD EPYC, 2 cores, avx2 avx512f avx512_bf16"``: what a figure was measured on."""
        return f"{self.cpu}, {self.cores} cores, {' '.join(self.flags) or 'no AVX2'}"


def _cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def available_cores() -> int:
    """The cores this process may run on (its affinity: ``taskset -c 0`` makes a 1-core machine), else all."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def this_machine() -> MachineId:
    """The machine this process runs on; ``CNN_CLASSROOM_THREADS`` (the trainer's core limit) counts as its cores."""
    cores = available_cores()
    threads = os.environ.get("CNN_CLASSROOM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        cores = min(cores, int(threads))
    flags = cpu_flags()
    return MachineId(socket.gethostname(), _cpu_model(), tuple(f for f in SPEED_FLAGS if f in flags), cores)


@dataclass(frozen=True)
class ProbeKind:
    """One kind of work the estimates need, measured by the calibration (``cnn_core.training.calibration``): the
    ``anchor`` strategy's model at ``size`` px (its lecture size), so that the estimate stands on this machine's own
    figure for that strategy and scales only from it to the others (by the registry's relative costs)."""

    name: str
    unit: str
    """``"images/s"`` (throughput) or ``"s"`` (a duration: a lower figure is a faster machine)."""
    reference: Mapping[str, float]
    """The figure on :data:`REFERENCE_MACHINE` by precision label (``bench/calibration.py``): for comparison only."""
    anchor: str = ""
    """The registry strategy whose model the probe trains (or whose frozen base it runs, for ``base_forward``)."""
    size: int = 180
    runner_ratio: float = 1.0
    """A run's steady training speed over the probe's, on the same machine: what the runner adds to ``model.fit`` on
    in-memory arrays (the image pipeline, the best-epoch checkpoint, the progress records), measured by
    ``bench/lecture.py`` and ``bench/variants.py`` against a calibration made just before."""


REFERENCE_MACHINE = "AMD EPYC, 2 cores, avx2 fma avx512f avx512_bf16 avx512_vnni"
"""Where the registry's speeds (``images_per_second``, ``feature_pass``) and the references below were measured."""
PROBES: dict[str, ProbeKind] = {
    p.name: p
    for p in (
        ProbeKind("book_convnet", "images/s", {"fp32": 440.0, "bf16": 710.0}, "scratch", 80, 0.7),
        ProbeKind("mnist_convnet", "images/s", {"fp32": 4700.0, "bf16": 5400.0}, "mnist_cnn", 28, 0.8),
        ProbeKind("base_forward", "images/s", {"fp32": 400.0}, "feature_extraction", 128, 1.0),
        ProbeKind("startup", "s", {"fp32": 3.3}),
    )
}
"""The probes: the book's convnet trained at the scratch lecture size (80 px, batch 32, with a validation pass of
half as many images, as ``model.fit`` trains a run), the book's MNIST convnet likewise (batch 64), EfficientNet-Lite0's
forward pass at the lecture size of the strategies on a base (128 px, batch 32), and a trainer's TensorFlow import.
The references: medians of calibrations on the reference machine (``bench/calibration.py``; that machine's own
spread was about +-20%)."""


@dataclass(frozen=True)
class Probe:
    value: float
    precision: str = "fp32"
    cpu_share: float | None = None
    """The probe's CPU time over its wall time and cores: what an undisturbed run of this kind reaches here."""
    float32: float | None = None
    """The same probe in float32 where ``precision`` is another (a learner's model, or a run forced to float32, trains
    in float32: the registry's speed-up measured on one model at one size does not carry it there)."""


@dataclass(frozen=True)
class Calibration:
    machine: MachineId
    measured_at: float
    seconds: float
    probes: Mapping[str, Probe] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "machine": asdict(self.machine),
            "measured_at": self.measured_at,
            "seconds": self.seconds,
            "probes": {name: asdict(p) for name, p in self.probes.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        m = data["machine"]
        machine = MachineId(str(m["host"]), str(m["cpu"]), tuple(m["flags"]), int(m["cores"]))
        probes = {
            name: Probe(float(p["value"]), str(p.get("precision", "fp32")), p.get("cpu_share"), p.get("float32"))
            for name, p in data.get("probes", {}).items()
            if name in PROBES and float(p.get("value") or 0) > 0
        }
        return cls(machine, float(data["measured_at"]), float(data["seconds"]), probes)


def speed_factor(calibration: Calibration | None, probe: str, precision: str = "fp32") -> float | None:
    """``measured / reference`` for a throughput probe (``reference / measured`` for a duration): 1.0 on the reference
    machine, 0.25 on one four times slower. The reference in the probe's own precision; the registry's speed-up
    for the run's precision is applied by the estimate. ``None`` before calibration."""
    if calibration is None or probe not in calibration.probes:
        return None
    measured, kind = calibration.probes[probe], PROBES[probe]
    reference = kind.reference.get(measured.precision) or kind.reference["fp32"]
    if kind.unit == "s":
        return reference / measured.value
    return measured.value / reference


def machine_busy_seconds(stat: Path = Path("/proc/stat")) -> float | None:
    """CPU seconds every process of this machine has used since boot, plus the time the hypervisor gave this
    machine's CPUs to others (steal): with a process's own CPU time, what everything else took during an epoch
    (``None`` where ``/proc/stat`` does not exist)."""
    try:
        fields = stat.read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in (fields + ["0"] * 8)[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class MachineFolder:
    """The calibration files beside the runs (``RUNS_DIR/.machines``)."""

    def __init__(self, runs_root: Path) -> None:
        self.path = Path(runs_root) / FOLDER

    def calibration_path(self, machine: MachineId) -> Path:
        return self.path / f"{machine.key}.json"

    def load(self, machine: MachineId | None = None) -> Calibration | None:
        """This machine's calibration, or ``None`` before it was measured (or when the file is unreadable)."""
        machine = machine or this_machine()
        try:
            calibration = Calibration.from_json(json.loads(self.calibration_path(machine).read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return calibration if calibration.machine == machine else None

    def save(self, calibration: Calibration) -> Path:
        path = self.calibration_path(calibration.machine)
        write_json_atomic(path, calibration.to_json())
        return path

    @property
    def marker(self) -> Path:
        return self.path / CALIBRATING

    def calibrating_pid(self) -> int | None:
        """The pid of a calibration still measuring on this host (a dead one's marker counts as none)."""
        try:
            data = json.loads(self.marker.read_text())
        except (OSError, ValueError):
            return None
        pid = data.get("pid")
        if data.get("host") != socket.gethostname() or not isinstance(pid, int):
            return None
        return pid if process_alive(pid, "cnn_core.runs.calibrate") else None

    def mark_calibrating(self, pid: int) -> None:
        write_json_atomic(self.marker, {"pid": pid, "host": socket.gethostname()}, durable=False)

    def clear_marker(self) -> None:
        self.marker.unlink(missing_ok=True)
