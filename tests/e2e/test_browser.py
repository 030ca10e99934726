"""End to end in headless Chromium: the main controls change what is shown (every page in both languages opening on
its heading, with no error: the crawler, ``tests/e2e/test_crawler.py``)."""

import re
from pathlib import Path

import pytest

from tests.helpers import wait_for


def _open(page, url, path, lang):
    page.goto(f"{url}/{path}?lang={lang}")
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)


def _assert_clean(page):
    assert not page.query_selector("[data-testid=stException]")
    assert page.console_errors == []
    assert page.failed_responses == []


def _metric(page, label):
    block = page.locator("[data-testid=stMetric]", has_text=label).first
    return block.locator("[data-testid=stMetricValue]").inner_text()


def _wait_for_metric_value(page, value: str) -> None:
    page.wait_for_function(
        "v => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText === v)", arg=value
    )


def test_convolution_preset_changes_output_shape(server, page):
    _open(page, server, "convolution", "en")
    assert _metric(page, "Output (h, w, filters)") == "(3, 3, 1)"
    page.get_by_role("button", name="5x5, valid, stride 2").click()
    _wait_for_metric_value(page, "(2, 2, 1)")
    page.get_by_role("button", name="Book example (155)").click()
    page.get_by_text(re.compile(r"= 155")).first.wait_for(timeout=20_000)
    _assert_clean(page)


def test_parameter_editor_recomputes(server, page):
    _open(page, server, "parameters", "en")
    assert _metric(page, "With max pooling") == "104,202"
    page.get_by_role("button", name="Load: without pooling").click()
    _wait_for_metric_value(page, "712,202")
    _assert_clean(page)


def test_augmentation_reroll_changes_seed(server, page):
    _open(page, server, "augmentation", "en")
    page.get_by_role("button", name="Re-roll").click()
    page.get_by_text("seed 1: the same seed gives the same grid").wait_for(timeout=60_000)
    _assert_clean(page)


def test_launch_a_tiny_synthetic_run_and_watch_it_learn(server, page):
    _open(page, server, "train", "en")
    page.get_by_role("radiogroup").get_by_text("Lecture (minutes, the same lessons)", exact=True).click()
    size = __import__("cnn_core.training.registry").training.registry.STRATEGIES["scratch"].lecture.image_size
    page.get_by_text(re.compile(rf"at {size} px")).first.wait_for(timeout=20_000)
    epochs = page.get_by_role("spinbutton", name="Epochs")
    epochs.fill("12")
    epochs.press("Enter")
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Launch training").click()
    page.get_by_text(re.compile(r"Epoch \d+/12")).first.wait_for(timeout=60_000)
    lengths = set()

    def finished() -> bool:
        lengths.add(
            page.evaluate(
                "() => { const p = document.querySelector('.js-plotly-plot'); return p && p.data ? p.data[1].x.length : 0 }"
            )
        )
        return page.locator("[data-testid=stMetricValue]", has_text="completed").count() > 0

    wait_for(finished, timeout=180, every=0.3, what="the run to complete in the live view")
    assert len({n for n in lengths if 0 < n < 12}) >= 2, f"the curve should grow while training: {sorted(lengths)}"
    _assert_clean(page)


def test_pooling_mode_and_transfer_scenario(server, page):
    _open(page, server, "pooling", "en")
    page.get_by_text("Average pooling", exact=True).click()
    page.get_by_text(re.compile(r"\) / 4 = ")).first.wait_for(timeout=20_000)
    _assert_clean(page)
    _open(page, server, "transfer", "en")
    page.get_by_role("radiogroup").get_by_text("large (tens of thousands of images or more)").click()
    page.wait_for_timeout(500)
    page.get_by_role("radiogroup").get_by_text("very different (X-rays, microscopy, satellite images)").click()
    page.get_by_role("heading", name="Scenario 4").wait_for(timeout=20_000)
    _assert_clean(page)


def test_out_of_range_number_is_clamped_without_error(server, page):
    _open(page, server, "convolution", "en")
    field = page.get_by_role("spinbutton", name="Kernel size")
    field.fill("999")
    field.press("Enter")
    page.wait_for_timeout(1500)
    assert not page.query_selector("[data-testid=stException]")
    assert _metric(page, "Output (h, w, filters)") == "(3, 3, 1)"  # the out-of-range value was not taken
    _assert_clean(page)


def test_lecturer_link_restores_the_page(server, page):
    page.goto(f"{server}/convolution?lang=en&lecture=1&conv_k=5&conv_h=9&conv_w=9&conv_s=2")
    page.wait_for_selector("h1", timeout=60_000)
    _wait_for_metric_value(page, "(3, 3, 1)")
    assert page.get_by_role("spinbutton", name="Dilation").count() == 0  # advanced control hidden
    _assert_clean(page)


def test_inside_the_model_grad_cam_tab(server, page):
    _open(page, server, "inside", "en")
    page.get_by_role("tab", name="Grad-CAM").click()
    page.get_by_text(re.compile(r"Grad-CAM for '.*cat'")).first.wait_for(timeout=90_000)
    _assert_clean(page)


@pytest.mark.parametrize(
    "listing,total",
    [("tf_tutorial_cnn_cifar10", "122,570"), ("dlwp2_ch09_residual_block_function", "297,697")],
    ids=["sequential", "residual"],
)
def test_pasting_published_listings_into_the_editor(server, page, listing, total):
    code = (Path(__file__).parent.parent / "model_corpus" / f"{listing}.py").read_text()
    _open(page, server, "parameters", "en")
    editor = page.get_by_role("textbox", name="Keras code")
    editor.fill(code)
    editor.press("Control+Enter")
    _wait_for_metric_value(page, total)
    page.get_by_text("Input from").first.wait_for(state="attached", timeout=20_000)  # the grid is a canvas
    page.get_by_role("tab", name="Graph").click()
    page.locator("[data-testid=stGraphVizChart] svg").first.wait_for(timeout=30_000)  # the model drawn
    _assert_clean(page)


def test_a_pasted_cell_that_needs_earlier_cells_asks_for_its_names(server, page):
    """keras.io's MNIST convnet, its model section alone: the page asks for input_shape and num_classes together,
    prefilled, and with them counts Keras's 34,826."""
    code = "\n".join(
        line
        for line in (Path(__file__).parent.parent / "model_corpus" / "kerasio_mnist_convnet_model_section.py")
        .read_text()
        .splitlines()
        if not line.startswith("# ")
    )
    _open(page, server, "parameters", "en")
    editor = page.get_by_role("textbox", name="Keras code")
    editor.fill(code)
    editor.press("Control+Enter")
    for name, value in (("input_shape", "(28, 28, 1)"), ("num_classes", "10")):  # both at once, prefilled
        box = page.get_by_role("textbox", name=f"Value of {name}")
        box.wait_for(timeout=30_000)
        assert box.input_value() == value
    page.get_by_role("button", name="Use these values").click()
    _wait_for_metric_value(page, "34,826")
    assert "params_names=" in page.url
    _assert_clean(page)
