"""Time that holds on any machine: the calibration, estimates kept per kind of run, runs that shared the CPU, and
lessons sized to the period on a slow machine."""

import dataclasses
import json
import os
import subprocess
import sys
import time

import pytest

from cnn_core.runs import jobs
from cnn_core.runs.jobs import CalibrationStart, dispatch, start_calibration
from cnn_core.runs.story import PRESET_MAX_SECONDS, STORY_MAX_SECONDS, sized_lecture_run, sized_live_plan
from cnn_core.training import estimate as estimate_module
from cnn_core.training.comparisons import COMPARISONS, PAIR_MAX_SECONDS, sized_pair
from cnn_core.training.curves import eta_seconds
from cnn_core.training.estimate import STARTUP_SECONDS, cpu_share, estimate, others_share, undisturbed, workload
from cnn_core.training.machine import (
    PROBES,
    Calibration,
    MachineFolder,
    Probe,
    speed_factor,
    this_machine,
)
from cnn_core.training.registry import STRATEGIES
from cnn_core.training.run_config import RunConfig, apply_preset
from cnn_core.training.run_store import RunRecord, RunState, RunStore, now
from tests.helpers import machine_slower_by

CATS = {s: {"cat": n, "dog": n} for s, n in (("train", 1000), ("validation", 500), ("test", 500))}
MNIST = {"train": {str(d): 6000 for d in range(10)}, "test": {str(d): 1000 for d in range(10)}}


def finished(config, ips, seconds_per_epoch=None, epochs=6, cpu_share_of=0.9, cores=2, precision="fp32", run_id="a", others=0.02):  # fmt: skip
    """A finished run's record as the trainer writes it: per-epoch seconds, images/s, the trainer's CPU time and what
    the other processes took (``others``: their share of the machine)."""
    seconds = seconds_per_epoch or 1000 / ips
    rows = [
        {"epoch": i + 1, "seconds": seconds * (2 if i == 0 else 1), "images_per_second": ips / (2 if i == 0 else 1),
         "cpu_seconds": seconds * cores * cpu_share_of * (2 if i == 0 else 1), "loss": 0.5, "val_loss": 0.6,
         "others_cpu_seconds": seconds * cores * others * (2 if i == 0 else 1),
         "accuracy": 0.8, "val_accuracy": 0.7}
        for i in range(epochs)
    ]  # fmt: skip
    status = {
        "state": "completed",
        "wall_seconds": sum(r["seconds"] for r in rows) + 8.0,
        "cores": cores,
        "machine_cpus": cores,
    }
    status["precision"] = precision
    return RunRecord(f"20261207-000000-{run_id:0>6}", None, config, status, {}, epochs=rows, test={"accuracy": 0.7})


def test_seven_mnist_and_own_model_runs_do_not_move_the_story_estimate():
    """The walk-through's defect: seven MNIST and own-model runs, much slower or faster than the reference for their
    own reasons, moved the whole story's estimate from 3:54 to 18:43. A kind calibrates only itself now."""
    before = sized_live_plan("data/cats", "efficientnet_lite0", CATS).plan
    history = [finished(RunConfig("mnist_cnn", "mnist", epochs=5), ips=300.0, run_id=str(i)) for i in range(4)] + [
        finished(RunConfig("own_model", "mnist", epochs=3, model_code=code), ips=40.0, run_id=f"o{i}")
        for i, code in enumerate(
            (
                "model = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(10)])",
                "model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10)])",
                "model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 3), layers.Flatten(), layers.Dense(10)])",
            )
        )
    ]
    assert len(history) == 7
    after = sized_live_plan("data/cats", "efficientnet_lite0", CATS, history).plan
    for b, a in zip(before, after, strict=True):
        assert a.config == b.config
        assert a.estimate.seconds == pytest.approx(b.estimate.seconds, rel=0.10), a.config.strategy
    mnist = RunConfig("mnist_cnn", "mnist", epochs=5)
    moved = estimate(mnist, *workload(mnist, MNIST)[:2], history)
    assert moved.basis == "same_runs" and moved.runs == 4  # its own kind does learn from them


def test_a_run_beside_a_cpu_hog_does_not_move_its_kinds_estimate():
    config = apply_preset(RunConfig("scratch", "data/cats"), "lecture")
    calm = [finished(config, ips=500.0, run_id=str(i)) for i in range(3)]
    hogged = finished(config, ips=180.0, cpu_share_of=0.35, others=0.6, run_id="h")  # a hog took 60% of the machine
    n = workload(config, CATS)
    alone = estimate(config, *n[:2], calm, n_test=n[2])
    beside = estimate(config, *n[:2], [*calm, hogged], n_test=n[2])
    assert others_share(hogged) == pytest.approx(0.6) and undisturbed([*calm, hogged]) == calm
    assert beside.seconds == pytest.approx(alone.seconds, rel=0.10) and beside.runs == 3
    # the first run of its kind: what the others took says it shared the CPU, whatever its own share
    assert undisturbed([hogged]) == []
    cold = estimate(config, *n[:2], [hogged], n_test=n[2], calibration=machine_slower_by(1.0))
    assert cold.basis == "calibration"
    # a small model keeps fewer cores busy on its own: a low share of its own with nothing else running still counts
    alone_small = finished(config, ips=400.0, cpu_share_of=0.45, others=0.03, run_id="s")
    assert undisturbed([alone_small]) == [alone_small] and cpu_share(alone_small) == pytest.approx(0.45)
    # runs recorded before the trainers measured the others: their own share against the kind's best
    old = [dataclasses.replace(r, epochs=[{k: v for k, v in e.items() if k != "others_cpu_seconds"} for e in r.epochs]) for r in (*calm, hogged)]  # fmt: skip
    assert [r.run_id for r in undisturbed(old)] == [r.run_id for r in calm]


def test_a_learners_model_in_float32_on_a_bf16_machine_takes_the_probes_own_float32_figure():
    """On a machine that trains the book's convnet in bfloat16, the probe also measures it in float32: a learner's
    model (float32) is carried from that figure, not from the registry's bf16 speed-up measured at another size."""
    reference = machine_slower_by(1.0)
    bf16 = PROBES["book_convnet"].reference["fp32"] * 2
    only_bf16 = dataclasses.replace(reference, probes=reference.probes | {"book_convnet": Probe(bf16, "bf16", 0.9)})
    both = dataclasses.replace(
        reference, probes=reference.probes | {"book_convnet": Probe(bf16, "bf16", 0.9, float32=bf16 / 1.5)}
    )
    lecture = apply_preset(RunConfig("scratch", "data/cats", precision="float32"), "lecture")
    speedup = STRATEGIES["scratch"].precision_speedup["bf16"]
    fp32_from_speedup = estimate_module.throughput(lecture, precision="fp32", calibration=only_bf16)
    fp32_measured = estimate_module.throughput(lecture, precision="fp32", calibration=both)
    assert fp32_measured / fp32_from_speedup == pytest.approx(speedup / 1.5)
    listing = COMPARISONS["dropout"].configs("data/cats")[0]
    assert estimate_module.throughput(listing, calibration=both) > estimate_module.throughput(listing, calibration=only_bf16)  # fmt: skip
    stored = json.loads(json.dumps(both.to_json()))
    assert Calibration.from_json(stored).probes["book_convnet"].float32 == pytest.approx(bf16 / 1.5)


def test_the_calibration_scales_each_kind_by_its_own_probe():
    """A machine whose book convnet probe is four times slower: the scratch lesson's training takes four times as
    long; MNIST's estimate, on its own probe, does not move."""
    scratch = apply_preset(RunConfig("scratch", "data/cats"), "lecture")
    mnist = RunConfig("mnist_cnn", "mnist", epochs=5)
    reference = machine_slower_by(1.0)
    slow_convnet = dataclasses.replace(
        reference, probes=reference.probes | {"book_convnet": Probe(PROBES["book_convnet"].reference["fp32"] / 4)}
    )
    assert speed_factor(slow_convnet, "book_convnet") == pytest.approx(0.25)
    at = {name: estimate(c, *workload(c, counts)[:2], n_test=workload(c, counts)[2], calibration=cal)
          for name, c, counts, cal in (("fast", scratch, CATS, reference), ("slow", scratch, CATS, slow_convnet))}  # fmt: skip
    assert {e.basis for e in at.values()} == {"calibration"}
    startup = STARTUP_SECONDS  # the startup probe is the reference's in both
    assert at["slow"].seconds - startup == pytest.approx(4 * (at["fast"].seconds - startup))
    n = workload(mnist, MNIST)
    assert estimate(mnist, *n[:2], n_test=n[2], calibration=slow_convnet).seconds == pytest.approx(
        estimate(mnist, *n[:2], n_test=n[2], calibration=reference).seconds
    )
    # on this machine's own anchor: the probe's strategy at the probe's size trains at the probe's figure (runner ratio)
    kind = PROBES["book_convnet"]
    assert estimate_module.throughput(
        apply_preset(RunConfig("scratch", "d"), "lecture"), calibration=reference
    ) == pytest.approx(kind.reference["fp32"] * kind.runner_ratio)
    assert STRATEGIES["scratch"].lecture.image_size == kind.size
    big, small = estimate_module._anchor_terms("scratch", 180), estimate_module._anchor_terms("mnist_cnn", 28)
    assert big.conv_macs + big.other_macs == 415_288_960 and small.conv_macs + small.other_macs == 3_100_032


def test_presets_shrink_to_the_budget_on_a_fake_slow_machine():
    """On the reference machine the lecture presets fit; 2.5 times slower (an AVX2 laptop in float32) the story takes
    smaller workloads and still keeps the period; twenty times slower nothing fits, and the plan says so."""
    fast = sized_live_plan("data/cats", "efficientnet_lite0", CATS, calibration=machine_slower_by(1.0))
    assert fast.rung == 0 and fast.fits
    slow = sized_live_plan("data/cats", "efficientnet_lite0", CATS, calibration=machine_slower_by(2.5))
    assert slow.rung > 0 and slow.fits
    assert max(p.estimate.seconds for p in slow.plan) <= PRESET_MAX_SECONDS
    assert sum(p.estimate.seconds for p in slow.plan) <= STORY_MAX_SECONDS
    for p, b in zip(slow.plan, fast.plan, strict=True):
        assert p.config.limit_per_class is not None and p.config.limit_per_class <= (b.config.limit_per_class or 1000)
        assert p.config.image_size == b.config.image_size  # fine-tuning continues 3b at 3b's size
    hopeless = sized_live_plan("data/cats", "efficientnet_lite0", CATS, calibration=machine_slower_by(20.0))
    assert not hopeless.fits
    one = sized_lecture_run(RunConfig("scratch", "data/cats"), CATS, calibration=machine_slower_by(2.5))
    assert one.rung > 0 and one.fits and one.estimate.seconds <= PRESET_MAX_SECONDS
    for comparison in COMPARISONS.values():
        counts = MNIST if comparison.data == "mnist" else CATS
        pair = sized_pair(
            comparison,
            "mnist" if comparison.data == "mnist" else "data/cats",
            counts,
            calibration=machine_slower_by(1.0),
        )
        assert pair.rung == 0 and pair.fits, comparison.name
        slow_pair = sized_pair(
            comparison,
            "mnist" if comparison.data == "mnist" else "data/cats",
            counts,
            calibration=machine_slower_by(2.5),
        )
        assert slow_pair.seconds <= PAIR_MAX_SECONDS or not slow_pair.fits
        assert slow_pair.rung >= pair.rung  # fmt: skip


def test_the_in_run_eta_uses_the_steady_epoch_time():
    """The walk-through's "0:31 left" with 12 s to go: the first epoch carries the compilation, later ones do not."""
    epochs = [{"epoch": 1, "seconds": 20.0}, {"epoch": 2, "seconds": 4.0}, {"epoch": 3, "seconds": 4.0}]
    progress = {"epoch": 4, "epochs": 5, "batch": 5, "batches": 10, "epoch_seconds": 2.0}
    assert eta_seconds(progress, epochs) == pytest.approx(1.5 * 4.0)
    one_done = {"epoch": 2, "epochs": 3, "batch": 5, "batches": 10, "epoch_seconds": 2.0}
    assert eta_seconds(one_done, epochs[:1]) == pytest.approx(1.5 * 4.0)  # the second epoch's own pace, settled


def test_another_core_count_is_another_machine(monkeypatch):
    here = this_machine()
    monkeypatch.setenv("CNN_CLASSROOM_THREADS", "1")
    one_core = this_machine()
    if here.cores > 1:
        assert one_core.cores == 1 and one_core.key != here.key


def test_a_calibration_file_of_another_machine_is_not_used(tmp_path):
    folder = MachineFolder(tmp_path)
    other = dataclasses.replace(machine_slower_by(2.0), machine=dataclasses.replace(this_machine(), cores=99))
    folder.calibration_path(this_machine()).parent.mkdir(parents=True)
    folder.calibration_path(this_machine()).write_text(json.dumps(other.to_json()))
    assert folder.load() is None
    folder.save(dataclasses.replace(other, machine=this_machine()))
    assert folder.load().probes == other.probes


@pytest.mark.slow
def test_the_calibration_process_measures_this_machine_within_a_minute_and_never_beside_a_run(tmp_path, monkeypatch):
    monkeypatch.delenv("CNN_CLASSROOM_CALIBRATE")
    store = RunStore(tmp_path / "runs")
    store.root.mkdir(parents=True, exist_ok=True)
    # a run training: the calibration would measure a shared CPU, so it waits
    busy = store.create(RunConfig("scratch", "synthetic"), "training")
    store.set_status(busy, state=RunState.RUNNING, backend="local", pid=os.getpid(), started_at=now())
    store.writer(busy).beat()
    assert start_calibration(store) == CalibrationStart.BUSY
    store.mark_ended(busy, RunState.COMPLETED, None)
    started = time.monotonic()
    assert start_calibration(store) == CalibrationStart.STARTED
    folder = MachineFolder(store.root)
    pid = folder.calibrating_pid()
    log = folder.path / "calibration.log"
    assert pid, (folder.marker.read_text() if folder.marker.exists() else "no marker", log.read_text()[-3000:] if log.exists() else "no log")  # fmt: skip
    assert start_calibration(store) == CalibrationStart.RUNNING
    queued = store.create(RunConfig("scratch", "synthetic"), "waits")
    assert dispatch(store) == [] and store.load(queued).state == RunState.QUEUED  # not beside the calibration
    store.request_stop(queued)
    store.mark_ended(queued, RunState.STOPPED, "test")
    while folder.calibrating_pid() and time.monotonic() - started < 120:
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    calibration = folder.load()
    assert calibration is not None, (folder.path / "calibration.log").read_text()[-3000:]
    assert elapsed <= 60 and calibration.seconds <= 60
    assert set(calibration.probes) == set(PROBES) and all(p.value > 0 for p in calibration.probes.values())
    assert calibration.machine == this_machine()
    assert not os.path.exists(f"/proc/{pid}") or "Z" not in open(f"/proc/{pid}/stat").read().split(") ")[1][:1]
    assert start_calibration(store) == CalibrationStart.DONE


def test_a_finished_child_is_reaped_without_another_launch(tmp_path, monkeypatch):
    """The walk-through's zombie: a finished trainer stayed ``<defunct>`` until the next launch."""
    monkeypatch.setattr(jobs, "trainer_command", lambda run_dir: [sys.executable, "-c", "pass"])
    store = RunStore(tmp_path / "runs")
    store.root.mkdir(parents=True, exist_ok=True)
    run_id = store.create(RunConfig("scratch", "synthetic"), "x")
    pid = jobs.LocalBackend(1).start(store, run_id)
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}"), subprocess.run(["ps", "-o", "pid,stat,cmd", str(pid)], capture_output=True, text=True).stdout  # fmt: skip
