"""Run folders in every state, written the way the trainer writes them (for the page tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import RunStore, now

EPOCHS = [
    {"epoch": i + 1, "loss": 0.7 - 0.1 * i, "accuracy": 0.5 + 0.08 * i, "val_loss": v, "val_accuracy": 0.55 + 0.05 * i, "seconds": 2.0, "images_per_second": 50.0}
    for i, v in enumerate((0.68, 0.62, 0.58, 0.61, 0.70))
]  # fmt: skip


def tiny_model(path: Path, size: int = 32) -> None:
    import keras

    inputs = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(6, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    keras.Model(inputs, outputs).save(path)


def make_runs(root: Path, data_root: Path, with_model: bool = True) -> dict[str, str]:
    """Return {"completed"|"running"|"failed"|"damaged": run_id}; the running one has a live process."""
    store = RunStore(root)
    ids = {}
    images = data_root / "cats" / "test"
    for label in ("cat", "dog"):
        (images / label).mkdir(parents=True, exist_ok=True)
        for i in range(3):
            Image.fromarray(np.full((40, 40, 3), 60 * i, np.uint8)).save(images / label / f"{label}.{i}.jpg")

    config = RunConfig("feature_extraction", str(data_root / "cats"), image_size=32, epochs=5)
    run_id = ids["completed"] = store.create(config, "finished demo")
    writer = store.writer(run_id)
    for e in EPOCHS:
        writer.epoch(e)
    writer.test({"accuracy": 0.75, "loss": 0.5})
    items = [
        {
            "item": str(images / label / f"{label}.{i}.jpg"),
            "label": c,
            "predicted": (c if i else 1 - c),
            "probability": 0.9,
        }
        for c, label in enumerate(("cat", "dog"))
        for i in range(3)
    ]
    writer.predictions(["cat", "dog"], items)
    if with_model:
        tiny_model(store.folder(run_id).checkpoint)
    store.set_status(run_id, state="completed", started_at=now() - 60, ended_at=now(), params=1234, pid=1)

    run_id = ids["running"] = store.create(RunConfig("scratch", "synthetic", image_size=80, epochs=10), "live demo")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", run_id])
    writer = store.writer(run_id)
    for e in EPOCHS[:2]:
        writer.epoch(e)
    writer.progress(epoch=3, epochs=10, batch=5, batches=10, loss=0.5, accuracy=0.7, epoch_seconds=1.0)
    store.set_status(run_id, state="running", pid=proc.pid, started_at=now())
    ids["running_pid"] = str(proc.pid)

    run_id = ids["failed"] = store.create(RunConfig("scratch", "synthetic", image_size=80), "broken demo")
    store.set_status(run_id, state="failed", error="DatasetError: 'validation' has no 'dog' folder", ended_at=now())

    run_id = ids["damaged"] = store.create(RunConfig("scratch", "synthetic", image_size=80))
    store.folder(run_id).status.write_text("{half a json")
    return ids
