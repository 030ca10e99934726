"""The Keras callbacks every strategy trains with: record into the run folder, keep the best checkpoint, stop early.

Imports Keras lazily (the classes are built on first use), so importing this module costs nothing.
"""

from __future__ import annotations

import math
import time

import numpy as np

from cnn_core.core.errors import CodedError
from cnn_core.training.machine import machine_busy_seconds
from cnn_core.training.run_store import Phase, RunWriter

PROGRESS_EVERY_S = 0.5


def _keras_callback_base():
    import keras  # noqa: PLC0415

    return keras.callbacks.Callback


def make_recorder(writer: RunWriter, images_per_epoch: int, phase: Phase = Phase.TRAIN):
    """A Keras callback writing ``progress.json`` (throttled), ``epochs.jsonl``, and honouring the STOP file."""

    class RunRecorder(_keras_callback_base()):
        def __init__(self) -> None:
            super().__init__()
            self.epoch_start = time.perf_counter()
            self.cpu_start = time.process_time()
            self.busy_start = machine_busy_seconds()
            self.last_write = 0.0
            self.epoch = 0
            self.steps = None

        def on_train_begin(self, logs=None):
            self.steps = self.params.get("steps")

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self.epoch_start = time.perf_counter()
            self.cpu_start = time.process_time()
            self.busy_start = machine_busy_seconds()

        def on_train_batch_end(self, batch, logs=None):
            stopping = writer.stop_requested()
            if stopping:
                self.model.stop_training = True
            last_batch = self.steps is not None and batch + 1 >= self.steps
            if stopping or last_batch or time.perf_counter() - self.last_write >= PROGRESS_EVERY_S:
                self.last_write = time.perf_counter()
                logs = logs or {}
                writer.progress(
                    phase=str(phase),
                    epoch=self.epoch + 1,
                    epochs=self.params.get("epochs"),
                    batch=batch + 1,
                    batches=self.steps,
                    loss=float(logs.get("loss", np.nan)),
                    accuracy=float(logs.get("accuracy", np.nan)),
                    epoch_seconds=time.perf_counter() - self.epoch_start,
                )

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            seconds = time.perf_counter() - self.epoch_start
            cpu_seconds = time.process_time() - self.cpu_start
            busy_now = machine_busy_seconds()
            busy = None if busy_now is None or self.busy_start is None else busy_now - self.busy_start
            record = {
                "epoch": epoch + 1,
                "seconds": round(seconds, 3),
                "images_per_second": round(images_per_epoch / seconds, 2) if seconds else None,
                # the trainer's own CPU time, and what every other process (and the hypervisor) took meanwhile: an
                # epoch that shared the CPU shows it (estimate.others_share)
                "cpu_seconds": round(cpu_seconds, 3),
                "others_cpu_seconds": None if busy is None else round(max(busy - cpu_seconds, 0.0), 3),
                "partial": bool(self.model.stop_training and writer.stop_requested()),
                "phase": str(phase),
            }
            for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                if key in logs:
                    record[key] = float(logs[key])
            writer.epoch(record)

    return RunRecorder()


def make_best_checkpoint(writer: RunWriter):
    """Save the model as ``best.keras`` whenever val_loss improves (atomically, through the writer).

    It also keeps those weights in memory (``best_weights``) so the test evaluation need not reload the file.
    """

    class BestCheckpoint(_keras_callback_base()):
        def __init__(self) -> None:
            super().__init__()
            self.best = np.inf
            self.best_weights: list | None = None

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get("val_loss")
            if value is None or not value < self.best:
                return
            self.best = float(value)
            self.best_weights = self.model.get_weights()
            writer.save_model(self.model)

    return BestCheckpoint()


class TrainingDivergedError(CodedError):
    """The loss became NaN or infinite: the weights are lost, training cannot go on (a rate too high, logits
    overflowing). The run ends failed with this reason, its best epoch so far kept."""

    catalog = "run_errors"


def make_divergence_guard():
    class DivergenceGuard(_keras_callback_base()):
        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                raise TrainingDivergedError(
                    "nan_loss", f"the loss became {float(loss)} at batch {batch + 1}", batch=batch + 1
                )

    return DivergenceGuard()


def run_callbacks(writer: RunWriter, images_per_epoch: int, patience: int | None) -> list:
    """``[best checkpoint, recorder, divergence guard]`` plus early stopping on val_loss after ``patience`` epochs
    when given.

    The checkpoint comes first: once an epoch shows up in ``epochs.jsonl``, its checkpoint is already on disk.
    """
    import keras  # noqa: PLC0415

    callbacks = [make_best_checkpoint(writer), make_recorder(writer, images_per_epoch), make_divergence_guard()]
    if patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience))
    return callbacks
