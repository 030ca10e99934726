"""Train one run folder to its end, in this process: what the local trainer process
(``python -m cnn_core.runs.train RUN_DIR``) and a Ray task both do.

Reads ``RUN_DIR/config.json`` and trains it with its strategy (``cnn_core.training.strategies``), writing through the
run folder's :class:`~cnn_core.training.run_store.RunWriter`: status, a heartbeat every 2 s, progress, epochs, the best
checkpoint and the test results. A ``STOP`` file ends training at the next batch.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from pathlib import Path

from cnn_core.core.errors import CodedError
from cnn_core.core.settings import home_dir
from cnn_core.training.machine import available_cores
from cnn_core.training.pretrained.errors import MissingWeightsError
from cnn_core.training.run_store import ENDED_STATES, RunState, RunStore, host_name, now
from cnn_core.training.strategies import final_state, train_run

logger = logging.getLogger(__name__)


def use_xla_cache() -> None:
    """Keep XLA's compiled programs under the home folder: a second run of the same head skips compiling."""
    flag = f"--tf_xla_persistent_cache_directory={home_dir() / 'cache' / 'xla'}"
    if "tf_xla_persistent_cache_directory" not in os.environ.get("TF_XLA_FLAGS", ""):
        os.environ["TF_XLA_FLAGS"] = f"{os.environ.get('TF_XLA_FLAGS', '')} {flag}".strip()


def limit_trainer_memory() -> None:
    """Make a model too big for the machine fail its own run, never the server or another run: the kernel's
    out-of-memory killer takes this process first (``oom_score_adj`` 1000), and ``CNN_CLASSROOM_TRAINER_MEMORY_MB``
    (if set) caps its address space, so TensorFlow's allocation fails with "out of memory" and the run ends failed
    with that reason. For the local trainer process only (a Ray worker process outlives its task)."""
    try:
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError:
        logger.debug("oom_score_adj not adjustable here")
    raw = os.environ.get("CNN_CLASSROOM_TRAINER_MEMORY_MB", "")
    if raw.isdigit() and int(raw) > 0:
        limit = int(raw) * 1024**2
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        logger.info("trainer address space capped at %s MB", raw)


def _limit_threads() -> int:
    """``CNN_CLASSROOM_THREADS``: the CPU cores TensorFlow may use (a Ray task gets the CPUs it asked for);
    returns the cores the run trains on (all of this machine's without the setting)."""
    threads = os.environ.get("CNN_CLASSROOM_THREADS")
    if threads and threads.isdigit() and int(threads) > 0:
        import tensorflow as tf  # noqa: PLC0415

        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
        return int(threads)
    return available_cores()  # its CPU affinity (taskset), else every core


def _device() -> str:
    """ "GPU" when TensorFlow sees one (it then trains on it), else "CPU"."""
    import tensorflow as tf  # noqa: PLC0415

    return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"


def failure_reason(err: BaseException) -> dict | None:
    """What a failed run's page says in the user's language: ``{"catalog", "code", "details"}`` for the failures
    a learner can act on (the model's check, a diverged loss, memory, missing weights or data); ``None`` for the
    rest (the page shows the error itself)."""
    if isinstance(err, CodedError):
        details = {k: v for k, v in err.details.items() if isinstance(v, (str, int, float))}
        return {"catalog": err.catalog, "code": err.code, "details": details}
    if isinstance(err, MemoryError) or type(err).__name__ == "ResourceExhaustedError" or "out of memory" in str(err).lower():  # fmt: skip
        return {"catalog": "run_errors", "code": "out_of_memory", "details": {}}
    if isinstance(err, MissingWeightsError):
        return {"catalog": "run_errors", "code": "missing_weights", "details": {"base": err.base, "file": err.file}}
    return None


def run(run_dir: Path, backend: str = "local") -> int:
    """Train the run in ``run_dir`` to its end; every outcome ends up in ``status.json``. Returns an exit code."""
    store, run_id = RunStore(run_dir.parent), run_dir.name
    writer = store.writer(run_id)
    record = store.load(run_id)
    if record.state in ENDED_STATES:  # cancelled (or ended by reconcile) before this trainer started
        logger.info("run %s is already %s: nothing to do", run_id, record.state)
        return 0
    started = time.perf_counter()
    writer.set_status(state=RunState.RUNNING, backend=backend, pid=os.getpid(), host=host_name(), started_at=now())
    writer.start_heartbeat()
    code = 0
    try:
        writer.set_status(cores=_limit_threads(), machine_cpus=os.cpu_count() or 1, device=_device())
        result = train_run(store, run_id, record.config)
        writer.test(result.test)
        writer.set_status(
            state=final_state(writer),
            ended_at=now(),
            wall_seconds=round(time.perf_counter() - started, 2),
            params=result.params,
            trainable_params=result.trainable_params,
        )
    except BaseException as err:  # noqa: BLE001 - every failure must end up in status.json
        logger.exception("run %s failed", run_id)
        writer.set_status(
            state=RunState.FAILED,
            ended_at=now(),
            error=f"{type(err).__name__}: {err}"[:2000],
            reason=failure_reason(err),
        )
        code = 1
    finally:
        writer.stop_heartbeat()
    return code
