import csv
import io

import pytest
from PIL import Image

from cnn_core.training.curves import best_epoch, curves_png, epochs_replayed, eta_seconds, metrics_csv, overfitting_from

EPOCHS = [
    {"epoch": 1, "loss": 0.69, "accuracy": 0.5, "val_loss": 0.68, "val_accuracy": 0.55, "seconds": 10},
    {"epoch": 2, "loss": 0.60, "accuracy": 0.65, "val_loss": 0.62, "val_accuracy": 0.66, "seconds": 10},
    {"epoch": 3, "loss": 0.50, "accuracy": 0.75, "val_loss": 0.58, "val_accuracy": 0.70, "seconds": 10},
    {"epoch": 4, "loss": 0.35, "accuracy": 0.85, "val_loss": 0.61, "val_accuracy": 0.71, "seconds": 10},
    {"epoch": 5, "loss": 0.20, "accuracy": 0.93, "val_loss": 0.70, "val_accuracy": 0.69, "seconds": 10},
]


def test_best_epoch_and_overfitting():
    assert best_epoch(EPOCHS)["epoch"] == 3
    assert overfitting_from(EPOCHS) == 3
    assert overfitting_from(EPOCHS[:4]) is None  # one worse epoch is not yet a trend
    assert overfitting_from(EPOCHS[:3]) is None
    assert best_epoch([]) is None


def test_eta():
    progress = {"epoch": 6, "epochs": 10, "batch": 50, "batches": 100}
    assert eta_seconds(progress, EPOCHS) == 45  # 4.5 epochs left x 10 s
    assert eta_seconds(None, EPOCHS) is None
    assert eta_seconds({"epoch": 1, "epochs": 2, "batch": 10, "batches": 20, "epoch_seconds": 5}, []) == 15


def test_no_eta_before_the_speed_settles():
    """At batch 1 of 19 the first batch's compilation dominates (a real run said 3:46 with 8 s left): no ETA until
    3 batches and a quarter of the first epoch have run."""
    first = {"epoch": 1, "epochs": 10, "batches": 19}
    assert eta_seconds(first | {"batch": 1, "epoch_seconds": 12.0}, []) is None
    assert eta_seconds(first | {"batch": 4, "epoch_seconds": 13.0}, []) is None  # 21% of the epoch
    assert eta_seconds(first | {"batch": 5, "epoch_seconds": 13.5}, []) == pytest.approx((10 - 1 + 14 / 19) * 13.5 * 19 / 5)  # fmt: skip


def test_csv_and_png():
    rows = list(csv.DictReader(io.StringIO(metrics_csv(EPOCHS))))
    assert [r["epoch"] for r in rows] == ["1", "2", "3", "4", "5"] and rows[2]["val_loss"] == "0.58"
    img = Image.open(io.BytesIO(curves_png(EPOCHS, "run")))
    assert img.size == (900, 360)
    assert len(set(img.getdata())) > 3  # something was drawn


def test_a_replay_shows_the_epochs_at_the_runs_own_pace():
    epochs = [{"epoch": 1, "seconds": 10.0}, {"epoch": 2, "seconds": 30.0}, {"epoch": 3}]
    assert epochs_replayed(epochs, 0) == []
    assert [e["epoch"] for e in epochs_replayed(epochs, 10)] == [1]
    assert [e["epoch"] for e in epochs_replayed(epochs, 39.9)] == [1]
    assert [e["epoch"] for e in epochs_replayed(epochs, 40)] == [1, 2]
    assert [e["epoch"] for e in epochs_replayed(epochs, 41)] == [1, 2, 3]  # no seconds recorded: one second
    assert epochs_replayed(epochs, float("inf")) == epochs
