"""The load script itself works: a few websocket sessions, no errors, widget changes take effect."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ws_client import ROOT, Session, free_port, start_server


def test_websocket_sessions_change_what_the_server_computes(tmp_path):
    env = os.environ | {"CNN_CLASSROOM_HOME": str(tmp_path), "CNN_CLASSROOM_RUNS_DIR": str(tmp_path / "runs")}
    port = free_port()
    server = start_server(port, env)
    try:
        session = Session(port, "convolution")
        session.run()
        assert "Output (h, w, filters)=(3, 3, 1)" in session.texts
        session.run("conv_k", "int_value", 5)
        assert "Output (h, w, filters)=(1, 1, 1)" in session.texts
        assert session.errors == 0
        # requirements.txt pins uvloop: Streamlit then runs its event loop on it (a quarter less CPU on that thread)
        maps = Path(f"/proc/{server.pid}/maps")
        if maps.exists():
            assert "uvloop/loop." in maps.read_text()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_load_script_runs_clean(tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--sessions", "4", "--interactions", "2", "--no-training", "--think", "0"],
        cwd=ROOT, env=os.environ | {"CNN_CLASSROOM_HOME": str(tmp_path)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "errors 0" in result.stdout and "interactions 8" in result.stdout


def test_load_script_classroom_mode_runs_clean(tmp_path):
    """A lecturer, two followers and a learner: every follower sees every change of the lecturer's kernel size."""
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--classroom", "--sessions", "4", "--followers", "2", "--interactions", "2",
         "--no-training", "--think", "1", "--lecturer-think", "1"],
        cwd=ROOT, env=os.environ | {"CNN_CLASSROOM_HOME": str(tmp_path)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "errors 0" in result.stdout, result.stdout + result.stderr
    assert "over 4 follower updates, 0 of them later than the next change" in result.stdout, (
        result.stdout + result.stderr
    )


def test_the_jobs_training_rate_leaves_validation_out():
    """The probe's two rates on a made-up progress log: 1 batch/s of training, a 30 s validation pass between the
    epochs. Over the whole window the rate looks slower; counted on training steps it stays 1 batch/s."""
    spec = importlib.util.spec_from_file_location("load_bench", ROOT / "bench" / "load.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    probe = bench.ThroughputProbe(ROOT)
    t = 0.0
    for epoch in (1, 2):
        for batch in range(1, 11):
            probe.samples.append((t, (epoch - 1) * 10 + batch, epoch, float(batch), batch, 10))
            t += 1.0
        t += 30.0  # validation, then the next epoch starts
    assert probe.rate(0, t) == pytest.approx(19 / 49)
    assert probe.train_rate(0, t) == pytest.approx(1.0)
    assert probe.train_rate(0, 0.5) is None


def test_the_job_under_load_is_compared_with_the_same_batches_alone():
    """A made-up job whose epochs start slow (3 s a batch for the first 4 of 10, then 1 s), like the real one
    (tf.data's shuffle buffer): epoch 2 alone, epoch 3 25% slower at every batch (a drop of 20%). The load covers
    only the slow start of epoch 3; matched with the same batches of epoch 2 the drop is 20%, while comparing the
    rates of the two windows would report 56% (and any figure at all, depending on where the windows fall)."""
    spec = importlib.util.spec_from_file_location("load_bench", ROOT / "bench" / "load.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    probe = bench.ThroughputProbe(ROOT)
    t = 0.0
    for epoch, slower in ((1, 1.0), (2, 1.0), (3, 1.25), (4, 1.0)):
        seconds = 0.0
        for batch in range(1, 11):
            step = (3.0 if batch <= 4 else 1.0) * slower
            t, seconds = t + step, seconds + step
            probe.samples.append((t, (epoch - 1) * 10 + batch, epoch, seconds, batch, 10))
        t += 30.0  # validation
    epoch3 = [s[0] for s in probe.samples if s[2] == 3]
    loaded, alone, batches = probe.matched_seconds(epoch3[0], epoch3[3], [2])
    assert batches == 3 and loaded == pytest.approx(3 * 3.0 * 1.25) and alone == pytest.approx(9.0)
    assert 1 - alone / loaded == pytest.approx(0.2)
    alone_rate = probe.train_rate(*(lambda e2: (e2[0], e2[-1]))([s[0] for s in probe.samples if s[2] == 2]))
    assert 1 - probe.train_rate(epoch3[0], epoch3[3]) / alone_rate == pytest.approx(1 - (1 / 3.75) / (9 / 15))
    # A-B-A: epoch 4 alone as well; an epoch the probe did not see whole is not a reference.
    assert probe.matched_seconds(epoch3[0], epoch3[3], [2, 4])[1] == pytest.approx(9.0)
    probe.samples = [s for s in probe.samples if not (s[2] == 2 and s[4] == 10)]
    assert probe.epoch_curve(2) is None
    assert probe.matched_seconds(epoch3[0], epoch3[3], [2]) == (0.0, 0.0, 0)
