from cnn_core.runs.recorded import recorded_runs
from cnn_core.training.run_config import DEFAULTS


def test_shipped_recorded_runs_are_complete():
    runs = recorded_runs()
    assert len(runs) >= 3
    for run in runs:
        assert run.run_id.startswith("recorded-") and run.config.strategy in DEFAULTS
        assert run.epochs and all("val_accuracy" in e and "seconds" in e for e in run.epochs)
        assert 0.5 < run.test["accuracy"] <= 1.0
        assert run.best_epoch is not None
