"""Train one run folder to its end, in this process: what the local trainer process
(``python -m cnn_core.runs.train RUN_DIR``) and a Ray task both do.

Reads ``RUN_DIR/config.json`` and trains it with its strategy (``cnn_core.training.strategies``), writing through the
run folder's :class:`~cnn_core.training.run_store.RunWriter`: status, a heartbeat every 2 s, progress, epochs, the best
checkpoint and the test results. A ``STOP`` file ends training at the next batch.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from cnn_core.core.settings import home_dir
from cnn_core.training.run_store import ENDED_STATES, RunState, RunStore, host_name, now
from cnn_core.training.strategies import final_state, train_run

logger = logging.getLogger(__name__)


def use_xla_cache() -> None:
    """Keep XLA's compiled programs under the home folder: a second run of the same head skips compiling."""
    flag = f"--tf_xla_persistent_cache_directory={home_dir() / 'cache' / 'xla'}"
    if "tf_xla_persistent_cache_directory" not in os.environ.get("TF_XLA_FLAGS", ""):
        os.environ["TF_XLA_FLAGS"] = f"{os.environ.get('TF_XLA_FLAGS', '')} {flag}".strip()


def _limit_threads() -> None:
    """``CNN_CLASSROOM_THREADS``: the CPU cores TensorFlow may use (a Ray task gets the CPUs it asked for)."""
    threads = os.environ.get("CNN_CLASSROOM_THREADS")
    if threads and threads.isdigit() and int(threads) > 0:
        import tensorflow as tf  # noqa: PLC0415

        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))


def _device() -> str:
    """ "GPU" when TensorFlow sees one (it then trains on it), else "CPU"."""
    import tensorflow as tf  # noqa: PLC0415

    return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"


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
        _limit_threads()
        writer.set_status(device=_device())
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
        writer.set_status(state=RunState.FAILED, ended_at=now(), error=f"{type(err).__name__}: {err}"[:2000])
        code = 1
    finally:
        writer.stop_heartbeat()
    return code
