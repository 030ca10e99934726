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
            probe.samples.append((t, (epoch - 1) * 10 + batch, epoch, float(batch)))
            t += 1.0
        t += 30.0  # validation, then the next epoch starts
    assert probe.rate(0, t) == pytest.approx(19 / 49)
    assert probe.train_rate(0, t) == pytest.approx(1.0)
    assert probe.train_rate(0, 0.5) is None
