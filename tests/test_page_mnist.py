import time

import numpy as np
import pytest

from cnn_core.run_store import ACTIVE_STATES, RunStore
from tests.helpers import assert_clean, run_page

PAGE = "app_pages/mnist.py"


@pytest.fixture
def env(tmp_path, monkeypatch):
    data = tmp_path / "data" / "keras_datasets"
    data.mkdir(parents=True)
    rng = np.random.default_rng(0)
    labels = np.arange(12_000) % 10
    images = (rng.random((12_000, 28, 28)) * 30).astype(np.uint8)
    images[np.arange(12_000), labels * 2, :] = 255
    np.savez(data / "mnist.npz", x_train=images, y_train=labels, x_test=images[:600], y_test=labels[:600])
    monkeypatch.setenv("CNN_CLASSROOM_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("CNN_CLASSROOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CNN_CLASSROOM_DATA_DIRS", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_samples_and_pixel_matrix(env, lang):
    at = run_page(PAGE, lang)
    assert_clean(at)
    assert len(at.image) == 10 and at.image[0].captions == ["0"]
    assert any("<td" in m.value and "255</td>" in m.value for m in at.markdown)
    at.number_input(key="mnist_index").set_value(3).run()
    assert any("**3**" in m.value for m in at.markdown)


def test_no_local_file_explains_the_download(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_DATA_DIRS", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    at = run_page(PAGE)
    assert_clean(at)
    assert any("keras.datasets.mnist" in i.value for i in at.info)


def test_train_the_convnet_from_the_page(env):
    at = run_page(PAGE)
    at.button(key="mnist_launch_mnist_cnn").click().run()
    run_id = at.session_state["mnist_run_mnist_cnn"]
    store = RunStore(env / "runs")
    deadline = time.time() + 180
    while store.load(run_id).state in ACTIVE_STATES and time.time() < deadline:
        time.sleep(0.5)
    assert store.load(run_id).state == "completed", store.load(run_id).log_tail()
    at.run()
    assert_clean(at)
    assert any(m.label == "Test accuracy" and m.value.endswith("%") for m in at.metric)
