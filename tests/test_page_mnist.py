import pytest

from cnn_core.training.run_store import RunStore
from tests.helpers import assert_clean, run_page, wait_until_ended, write_small_mnist

PAGE = "app_pages/mnist.py"


@pytest.fixture
def mnist(env):
    """A small MNIST-like ``mnist.npz`` in the test's data folder (each digit a bright row at twice its value)."""
    write_small_mnist(env.data)
    return env


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_samples_and_pixel_matrix(mnist, lang):
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


@pytest.mark.slow
def test_train_the_convnet_from_the_page(mnist):
    at = run_page(PAGE)
    at.button(key="mnist_launch_mnist_cnn").click().run()
    run_id = at.session_state["mnist_run_mnist_cnn"]
    store = RunStore(mnist.runs)
    wait_until_ended(store, run_id, timeout=180)
    assert store.load(run_id).state == "completed", store.load(run_id).log_tail()
    at.run()
    assert_clean(at)
    assert any(m.label == "Test accuracy" and m.value.endswith("%") for m in at.metric)
