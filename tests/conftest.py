import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run folders in every state (completed, running, failed, damaged) with the app pointed at them."""
    import signal

    from tests.run_fixtures import make_runs

    root = tmp_path_factory.mktemp("runs_page")
    ids = make_runs(root / "runs", root / "data")
    env = {
        "CNN_CLASSROOM_RUNS_DIR": str(root / "runs"),
        "CNN_CLASSROOM_DATA_DIRS": str(root / "data"),
        "CNN_CLASSROOM_HOME": str(root / "home"),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield ids
    os.kill(int(ids["running_pid"]), signal.SIGKILL)
    for k, v in old.items():
        os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


def pytest_terminal_summary(terminalreporter):
    from tests.e2e.conftest import CRAWL_COVERAGE  # filled by the crawler, when it ran

    if not CRAWL_COVERAGE:
        return
    terminalreporter.section("crawler coverage (controls exercised / found, tabs)")
    for where, (found, exercised, tabs) in sorted(CRAWL_COVERAGE.items()):
        terminalreporter.write_line(f"{where:28s} {exercised:3d} / {found:3d} controls, {tabs} tabs")
    total_found = sum(f for f, _, _ in CRAWL_COVERAGE.values())
    total_done = sum(e for _, e, _ in CRAWL_COVERAGE.values())
    terminalreporter.write_line(
        f"{'all':28s} {total_done:3d} / {total_found:3d} controls on {len(CRAWL_COVERAGE)} page visits"
    )


CLASS_KEYS = {"CNN_CLASSROOM_CLASS_KEY": "blue-cat-42", "CNN_CLASSROOM_LECTURER_KEY": "lecturer-only-7"}


@pytest.fixture
def classroom_env(tmp_path, monkeypatch):
    """Classroom mode with the test keys, the runs, home and data folders under ``tmp_path``; returns the runs folder."""
    for name, value in CLASS_KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CNN_CLASSROOM_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("CNN_CLASSROOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CNN_CLASSROOM_DATA_DIRS", str(tmp_path / "data"))
    return tmp_path / "runs"
