"""Learners' own models through the real runner: trainer processes on the generated image set (no network, no shared
data), the run folder's listing and graph, a refusal before any process exists, and a run out of memory."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cnn_core.runs.jobs import LocalBackend, launch
from cnn_core.training.custom_model import DataShape, ModelCheckError, check_model
from cnn_core.training.run_config import CUSTOM, RunConfig
from cnn_core.training.run_store import ACTIVE_STATES, RunStore
from tests.helpers import wait_for

CORPUS_DIR = Path(__file__).parent / "model_corpus"
QUICK = dict(strategy=CUSTOM, dataset="synthetic", epochs=1, batch_size=4, limit_per_class=4)


@pytest.fixture
def store(env):
    return RunStore(env.runs)


def finished(store, run_id, timeout=300):
    return wait_for(lambda: store.load(run_id).state not in ACTIVE_STATES and store.load(run_id), timeout=timeout)


def mended_listing(name: str, size: int) -> str:
    """A corpus listing as pasted, with the launch check's own fixes taken for 2 classes at ``size`` px."""
    code = (CORPUS_DIR / name).read_text()
    for _ in range(3):
        check = check_model(code, DataShape("images", 2, size), QUICK["batch_size"])
        fixes = [p.fix for p in check.problems if p.fix is not None and p.fix.new_code]
        if check.ok or not fixes:
            break
        code = fixes[0].new_code
    assert check.ok, [p.code for p in check.problems]
    return code


@pytest.mark.parametrize(
    "listing,size",
    [
        ("kerasio_sequential_add_summary.py", 250),  # Sequential with .add(); its 10-way output mended to Dense(1)
        ("dlwp2_ch09_residual_block_function.py", 32),  # functional, residual blocks through a Python function
        ("dlwp2_ch08_feature_extraction_augmented.py", 180),  # VGG16 frozen in the model (random start: offline)
    ],
)
def test_a_corpus_listing_trains_end_to_end_in_a_trainer_process(store, listing, size):
    code = mended_listing(listing, size)
    config = RunConfig(model_code=code, image_size=size, **QUICK)
    run_id = launch(store, config, name=listing, backend=LocalBackend(1))
    assert store.load(run_id).status["params"] > 0  # known at launch, from the editor's graph
    record = finished(store, run_id)
    assert record.state == "completed", record.log_tail()
    assert len(record.epochs) == 1 and 0 <= record.test["accuracy"] <= 1
    graph = json.loads((record.path / "model_graph.json").read_text())
    assert (record.path / "model_code.txt").read_text() == code  # the listing as it was launched
    assert record.status["params"] == graph["total_params"]  # Keras's count of the rebuilt model = the editor's
    assert [n["kind"] for n in graph["nodes"]][0] == "InputLayer" and graph["nodes"][-1]["output_shape"] == [1]


def test_a_model_over_the_cap_is_refused_before_any_process_or_folder(store, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_MAX_MODEL_PARAMS", "1000000")
    code = "inputs = keras.Input(shape=(64, 64, 3))\nx = layers.Rescaling(1./255)(inputs)\nx = layers.Flatten()(x)\noutputs = layers.Dense(1, activation='sigmoid')(layers.Dense(512)(x))\nmodel = keras.Model(inputs, outputs)"  # fmt: skip
    started = []

    class Watching(LocalBackend):
        def submit(self, store, run_id):
            started.append(run_id)

    begin = time.perf_counter()
    with pytest.raises(ModelCheckError) as err:
        launch(store, RunConfig(model_code=code, image_size=64, **QUICK), backend=Watching(1))
    assert time.perf_counter() - begin < 1.0
    assert err.value.code == "too_many_params" and err.value.details == {"received": 6_292_481, "limit": 1_000_000}
    assert store.run_ids() == [] and started == []


def test_a_run_out_of_memory_ends_failed_with_its_reason_and_the_other_run_trains(store, monkeypatch):
    """A Dense layer of 1.2 billion weights passes raised caps, then meets the trainer's 3 GB address space."""
    monkeypatch.setenv("CNN_CLASSROOM_MAX_MODEL_PARAMS", str(10**10))
    monkeypatch.setenv("CNN_CLASSROOM_MAX_TRAINING_MEMORY_MB", str(10**6))
    monkeypatch.setenv("CNN_CLASSROOM_TRAINER_MEMORY_MB", "3000")
    huge = "inputs = keras.Input(shape=(64, 64, 3))\nx = layers.Flatten()(inputs)\nx = layers.Dense(100000)(x)\noutputs = layers.Dense(1, activation='sigmoid')(x)\nmodel = keras.Model(inputs, outputs)"  # fmt: skip
    small = mended_listing("dlwp2_ch09_residual_block_function.py", 32)
    both = LocalBackend(2)  # the huge run and a small one side by side
    failing = launch(store, RunConfig(model_code=huge, image_size=64, **QUICK), backend=both)
    other = launch(store, RunConfig(model_code=small, image_size=32, **QUICK), backend=both)
    record, after = finished(store, failing), finished(store, other)
    assert record.state == "failed", record.log_tail()
    assert record.status["reason"] == {"catalog": "run_errors", "code": "out_of_memory", "details": {}}
    assert after.state == "completed", after.log_tail()  # the machine and the other run carry on


def test_a_listing_the_launch_did_not_check_is_refused_by_the_trainer(store):
    """A run folder written without the launch's check (by hand, an old version): the trainer checks the listing
    against the data it finds and ends the run failed with the reason, in a code the page translates."""
    code = mended_listing("dlwp2_ch09_residual_block_function.py", 32).replace('Dense(1, activation="sigmoid")', 'Dense(3, activation="softmax")')  # fmt: skip
    run_id = store.create(RunConfig(model_code=code, image_size=32, **QUICK))
    LocalBackend(1).submit(store, run_id)
    record = finished(store, run_id)
    assert record.state == "failed"
    assert record.status["reason"]["catalog"] == "model_check" and record.status["reason"]["code"] == "output_mismatch"
