import os
import signal

import pytest

from tests.helpers import assert_clean, run_page
from tests.run_fixtures import make_runs

PAGE = "app_pages/inside.py"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inside_page")
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


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_imagenet_network_maps_and_grad_cam(runs, lang):
    at = run_page(PAGE, lang, timeout=180)
    assert_clean(at)
    captions = [c for img in at.image for c in img.captions]
    assert any("stem_relu6" in c for c in captions)
    assert any("Grad-CAM" in c and "cat" in c for c in captions)


def test_trained_run_layers_and_pattern(runs):
    at = run_page(PAGE, timeout=180, inside_model=runs["completed"])
    assert_clean(at)
    at.select_slider(key="inside_layer").set_value(2).run(timeout=120)
    assert any("conv2d_1" in c and "(13, 13, 6)" in c for img in at.image for c in img.captions)
    at.button(key="inside_pattern_go").click().run(timeout=180)
    assert_clean(at)
    assert any(c.startswith("Pattern maximising filter 0") for img in at.image for c in img.captions)
