"""The suite's sandbox and shared fixtures.

**Hermetic by default.** Before anything is imported, ``HOME`` and the app's folders (``CNN_CLASSROOM_HOME``,
``CNN_CLASSROOM_DATA_DIRS``, ``CNN_CLASSROOM_RUNS_DIR``) point into a sandbox folder for the whole session (servers
and trainers the tests start inherit it), and every test then gets fresh, empty ones of its own under its
``tmp_path`` (fixture :func:`env`, autouse): no test reads what another left, and the user's home and the app's
default folders are never touched.

**The shared data** (``../shared/data`` beside the checkout, or the roots in ``CNN_CLASSROOM_DATA_DIRS`` when the
suite is started with it set) is only seen by tests marked ``needs_data("mnist")`` / ``needs_data("cats_vs_dogs")``;
they skip, saying what is missing, where it is absent.

**Tiers** (markers, declared in ``pyproject.toml``, given here by file): ``e2e`` (real server + Chromium), ``ray`` (a
local Ray cluster), ``load`` (the load bench's smoke runs), ``apptest`` (pages in Streamlit's AppTest), ``keras``
(builds or trains real Keras models), ``unit`` (the rest); and ``slow`` across tiers for tests that take seconds each
(real trainer processes, every widget of every page). The fast tier (``bash scripts/test-fast.sh``) is
``-m "not e2e and not ray and not load and not slow"``.
"""

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA_SETS = {"mnist": "keras_datasets/mnist.npz", "cats_vs_dogs": "cats_vs_dogs_small"}
"""What ``needs_data`` can ask for: its path under one of the shared data roots."""


def _shared_data_roots() -> tuple[Path, ...]:
    raw = os.environ.get("CNN_CLASSROOM_DATA_DIRS")
    if raw:
        return tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip())
    return (ROOT.parent / "shared" / "data",)


SHARED_DATA_ROOTS = _shared_data_roots()
SANDBOX = Path(tempfile.mkdtemp(prefix="cnn-classroom-tests-"))
SANDBOX_ENV = {
    "HOME": str(SANDBOX / "home"),
    "CNN_CLASSROOM_HOME": str(SANDBOX / "home" / ".cnn_classroom"),
    "CNN_CLASSROOM_DATA_DIRS": str(SANDBOX / "data"),
    "CNN_CLASSROOM_RUNS_DIR": str(SANDBOX / "runs"),
}
for _path in SANDBOX_ENV.values():
    Path(_path).mkdir(parents=True, exist_ok=True)
os.environ.update(SANDBOX_ENV)
os.environ.pop("KERAS_HOME", None)  # Keras's folder follows HOME into the sandbox
os.environ["CNN_CLASSROOM_PRECISION"] = "float32"  # results must not depend on the CPU; precision tests set their own
os.environ["CNN_CLASSROOM_CALIBRATE"] = "off"  # no page starts a calibration process; test_calibration.py sets its own
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

TIER_BY_FILE = {
    "test_ray_backend.py": "ray",
    "test_load_smoke.py": "load",
    "test_app.py": "apptest",
    "test_bad_numbers.py": "apptest",
    "test_errors_boundary.py": "apptest",
    "test_url_round_trip.py": "apptest",
    "test_jobs.py": "keras",
    "test_faults.py": "keras",
    "test_strategies.py": "keras",
    "test_pretrained.py": "keras",
    "test_inspect_model.py": "keras",
    "test_evaluation.py": "keras",
    "test_augmentation.py": "keras",
    "test_layer_stack.py": "keras",
    "test_layer_graph.py": "keras",
    "test_model_corpus.py": "keras",
    "test_run_folder.py": "keras",
    "test_receptive_field.py": "keras",
    "test_precision.py": "keras",
    "test_own_model.py": "keras",
    "test_own_model_runs.py": "keras",
    "test_calibration.py": "keras",
}


SLOW_FILES = {"test_url_round_trip.py", "test_jobs.py", "test_faults.py", "test_own_model_runs.py"}
"""Files whose tests each take seconds (real trainer processes, every widget of every page): ``slow`` too, left out
of the fast tier (``bash scripts/test-fast.sh``). Single slow tests elsewhere carry ``@pytest.mark.slow``."""


XDIST_GROUPS = ("crawler", "browser", "ray", "load")
"""Under pytest-xdist (``scripts/test.sh`` runs the suite so), the tests of each group run on one worker, in file
order, the longest group first: the crawler (its visits share one session server and the log check reads that
server's log after them), the other browser tests, one Ray cluster, one load bench. Every other test file is one
unit of work (its module fixtures are made once)."""


def xdist_group_of(path: Path) -> str | None:
    """The group of :data:`XDIST_GROUPS` a test file runs in, or ``None`` (a unit of its own)."""
    tier = tier_of(path)
    if tier == "e2e":
        return "crawler" if path.name == "test_crawler.py" else "browser"
    return tier if tier in XDIST_GROUPS else None


def tier_of(path: Path) -> str:
    """A test file's tier: ``tests/e2e/`` is e2e, ``test_page_*`` apptest, the rest by :data:`TIER_BY_FILE`."""
    if "e2e" in path.parts:
        return "e2e"
    if path.name.startswith("test_page_"):
        return "apptest"
    return TIER_BY_FILE.get(path.name, "unit")


def pytest_itemcollected(item):
    path = Path(str(item.fspath))
    if path.name in SLOW_FILES:
        item.add_marker(pytest.mark.slow)
    item.add_marker(getattr(pytest.mark, tier_of(path)))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist (-p no:xdist), never called
def pytest_xdist_make_scheduler(config, log):
    """Units of work for the workers: a group of :data:`XDIST_GROUPS` whole, else one test file. (By path, in the
    controller: xdist's own ``--dist loadgroup`` marks node ids in a way pytest 9.2 ignores.)"""
    from xdist.scheduler import LoadScopeScheduling

    class TierScheduling(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            path = Path(nodeid.split("::", 1)[0])
            return xdist_group_of(path) or str(path)

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:  # the long single-worker groups first, so that none is left for the end
                for group in reversed(XDIST_GROUPS):
                    if group in self.workqueue:
                        self.workqueue.move_to_end(group, last=False)
                self.ordered = True
            super()._assign_work_unit(node)

    return TierScheduling(config, log)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(SANDBOX, ignore_errors=True)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its crawler coverage goes to the controller's summary
        from tests.e2e.conftest import CRAWL_COVERAGE

        workeroutput["crawl_coverage"] = dict(CRAWL_COVERAGE)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist (-p no:xdist), never called
def pytest_testnodedown(node, error):
    """(xdist controller) Gather the crawler coverage a worker measured."""
    from tests.e2e.conftest import CRAWL_COVERAGE

    CRAWL_COVERAGE.update(getattr(node, "workeroutput", {}).get("crawl_coverage", {}))


@dataclass(frozen=True)
class Sandbox:
    """A test's own empty folders, already in the environment."""

    home: Path
    data: Path
    runs: Path

    @property
    def environ(self) -> dict[str, str]:
        """The environment to give a server or trainer started by the test."""
        return os.environ.copy()


def shared_data(*names: str) -> tuple[Path, ...]:
    """The shared data roots holding every one of ``names`` (keys of :data:`DATA_SETS`); skips when one is absent."""
    missing = [n for n in names if not any((root / DATA_SETS[n]).exists() for root in SHARED_DATA_ROOTS)]
    if missing:
        where = os.pathsep.join(str(r) for r in SHARED_DATA_ROOTS)
        pytest.skip(
            f"needs the shared data set(s) {missing} ({', '.join(DATA_SETS[m] for m in missing)}), not under {where}"
        )
    return tuple(root for root in SHARED_DATA_ROOTS if root.is_dir())


@pytest.fixture(autouse=True)
def env(request, tmp_path, monkeypatch) -> Sandbox:
    """Fresh home, data and runs folders for this test (a folder a module- or session-scoped fixture already chose
    is kept); for a ``needs_data`` test, the data roots are the shared ones."""
    root = tmp_path / "sandbox"  # beside whatever the test makes in tmp_path itself
    sandbox = Sandbox(root / "home", root / "data", root / "runs")
    own = {
        "HOME": sandbox.home,
        "CNN_CLASSROOM_HOME": sandbox.home / ".cnn_classroom",
        "CNN_CLASSROOM_DATA_DIRS": sandbox.data,
        "CNN_CLASSROOM_RUNS_DIR": sandbox.runs,
    }
    for name, path in own.items():
        if os.environ.get(name) == SANDBOX_ENV[name]:
            Path(path).mkdir(parents=True, exist_ok=True)
            monkeypatch.setenv(name, str(path))
    marker = request.node.get_closest_marker("needs_data")
    if marker is not None:
        roots = shared_data(*(marker.args or tuple(DATA_SETS)))
        monkeypatch.setenv("CNN_CLASSROOM_DATA_DIRS", os.pathsep.join(str(r) for r in roots))
    return sandbox


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
