"""Measure this machine: each probe of :data:`cnn_core.training.machine.PROBES`, in a trainer process, in seconds.

Each probe builds its model (the book's convnet at the scratch lecture size, the book's MNIST convnet, EfficientNet-Lite0
at 128 px without its weights: speed does not depend on them) and trains it with ``model.fit`` as a run does (a
validation pass each epoch), or runs the base forward, on random images, for its share of
:data:`~cnn_core.training.machine.CALIBRATION_BUDGET_S` after the compiling epoch or step. The
convnets train in the precision this machine chooses for the strategies they stand for; the base in float32 (the
strategies on a base train in float32 only). Called by ``python -m cnn_core.runs.calibrate``; nothing here starts
a process.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from cnn_core.training.machine import CALIBRATION_BUDGET_S, PROBES, Calibration, Probe, available_cores, this_machine
from cnn_core.training.models import mnist_cnn, scratch_model
from cnn_core.training.precision import choose_precision, precision_policy
from cnn_core.training.pretrained.efficientnet_lite import build_efficientnet_lite0
from cnn_core.training.registry import STRATEGIES

logger = logging.getLogger(__name__)

PROBE_STRATEGY = {"book_convnet": "scratch", "mnist_convnet": "mnist_cnn"}
"""Which strategy's precision choice a training probe follows (the base's probes train in float32)."""


def _timed_steps(step: Callable[[], None], batch: int, budget_s: float, max_steps: int = 400) -> tuple[float, float]:
    """``(images per second, CPU share)`` of ``step`` after one compiling step: ``batch`` over the median step time
    of the steps that fit in ``budget_s`` (at least three; the median, so that a step the machine paused for does
    not count). The CPU share is the process's CPU time over wall time and cores."""
    step()  # compiles
    times: list[float] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    while len(times) < 3 or (time.perf_counter() - started < budget_s and len(times) < max_steps):
        before = time.perf_counter()
        step()
        times.append(time.perf_counter() - before)
    wall = time.perf_counter() - started
    share = (time.process_time() - cpu_started) / (wall * available_cores())
    return batch / statistics.median(times), round(min(share, 1.0), 3)


def fit_throughput(build: Callable[[], object], shape: tuple[int, ...], classes: int, batch: int, budget_s: float):
    """``(training images per second, CPU share)`` of ``model.fit`` as a run trains: epochs of 6 batches with a
    validation pass of half as many images, until ``budget_s`` (at least two after the compiling one); the figure
    is the estimate's own measure, ``(train + validation / 3) images / median epoch seconds``."""
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    model = build()
    loss = "binary_crossentropy" if classes == 1 else "sparse_categorical_crossentropy"
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=loss, metrics=["accuracy"])
    rng = np.random.default_rng(0)
    n_train, n_validation = 6 * batch, 3 * batch
    x = rng.uniform(0, 255, (n_train + n_validation, *shape)).astype("float32")
    y = rng.integers(0, max(classes, 2), (n_train + n_validation,)).astype("float32" if classes == 1 else "int64")
    train = tf.data.Dataset.from_tensor_slices((x[:n_train], y[:n_train])).batch(batch).prefetch(2)
    validation = tf.data.Dataset.from_tensor_slices((x[n_train:], y[n_train:])).batch(batch).prefetch(2)
    times: list[float] = []
    cpu: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started, self.cpu_started = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.started)
            cpu.append(time.process_time() - self.cpu_started)
            if len(times) >= 3 and sum(times[1:]) >= budget_s:
                self.model.stop_training = True

    model.fit(train, validation_data=validation, epochs=200, verbose=0, callbacks=[Timer()])
    steady = statistics.median(times[1:])
    share = statistics.median(c / (t * available_cores()) for c, t in zip(cpu[1:], times[1:], strict=True))
    return (n_train + n_validation / 3) / steady, round(min(share, 1.0), 3)


def probe_book_convnet(budget_s: float) -> tuple[float, float]:
    size = PROBES["book_convnet"].size
    return fit_throughput(lambda: scratch_model(size, augmented=False), (size, size, 3), 1, 32, budget_s)


def probe_mnist_convnet(budget_s: float) -> tuple[float, float]:
    return fit_throughput(mnist_cnn, (28, 28, 1), 10, 64, budget_s)


def probe_base_forward(budget_s: float) -> tuple[float, float]:
    size = PROBES["base_forward"].size
    model = build_efficientnet_lite0((size, size, 3), include_top=False)
    x = np.random.default_rng(0).uniform(0, 255, (32, size, size, 3)).astype("float32")
    return _timed_steps(lambda: model.predict_on_batch(x), 32, budget_s)


TRAINING_PROBES: dict[str, Callable[[float], tuple[float, float]]] = {
    "book_convnet": probe_book_convnet,
    "mnist_convnet": probe_mnist_convnet,
    "base_forward": probe_base_forward,
}
"""Probe name -> its measurement (``PROBES``'s ``startup`` is the TensorFlow import, timed by :func:`calibrate`)."""
SHARE = {"book_convnet": 0.45, "mnist_convnet": 0.2, "base_forward": 0.35}
"""Each probe's share of the time left after the import."""


def calibrate(budget_s: float = CALIBRATION_BUDGET_S, started: float | None = None) -> Calibration:
    """Measure every probe on this machine (imports TensorFlow; call in a trainer process, never in the dashboard).
    ``started``: when the process started (``time.perf_counter``), so that the import is part of the budget."""
    started = time.perf_counter() if started is None else started
    before_import = time.perf_counter()
    import keras  # noqa: PLC0415, F401 - timed: the import every trainer pays
    import tensorflow  # noqa: PLC0415, F401

    probes = {"startup": Probe(round(time.perf_counter() - before_import, 3))}
    threads = os.environ.get("CNN_CLASSROOM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        tensorflow.config.threading.set_intra_op_parallelism_threads(int(threads))
        tensorflow.config.threading.set_inter_op_parallelism_threads(int(threads))
    left = max(budget_s - (time.perf_counter() - started), 6.0)
    for name, measure in TRAINING_PROBES.items():
        strategy = PROBE_STRATEGY.get(name)
        precision = choose_precision(speedups=STRATEGIES[strategy].automatic_speedups) if strategy else "fp32"
        # the compiling step or epoch costs about as much again as the measured ones: each gets half its share, and
        # half of that where the probe runs in float32 too
        both = strategy is not None and precision != "fp32"
        with precision_policy(precision):
            images_per_second, share = measure(left * SHARE[name] / (4 if both else 2))
        float32 = None
        if both:
            with precision_policy("fp32"):
                float32 = round(measure(left * SHARE[name] / 4)[0], 2)
        probes[name] = Probe(round(images_per_second, 2), precision, share, float32)
        logger.info("probe %s: %.1f images/s (%s, CPU share %.2f)", name, images_per_second, precision, share)
    return Calibration(this_machine(), time.time(), round(time.perf_counter() - started, 1), probes)
