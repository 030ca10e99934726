import io

import numpy as np
import pytest
from PIL import Image

from tests.helpers import all_text, assert_clean, metric, run_page

PAGE = "app_pages/convolution.py"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_renders_in_both_languages(lang):
    at = run_page(PAGE, lang)
    assert_clean(at)
    assert not at.error
    assert at.title[0].value == {"ko": "합성곱: 패딩, 보폭, 팽창", "en": "Convolution: padding, stride, dilation"}[lang]


def test_changing_kernel_changes_output_shape_and_formula():
    at = run_page(PAGE)
    assert metric(at, "Output (h, w, filters)") == "(3, 3, 1)"
    at.number_input(key="conv_k").set_value(5).run()
    assert metric(at, "Output (h, w, filters)") == "(1, 1, 1)"
    formulas = [m.value for m in at.markdown if m.value.startswith("**Height**")]
    assert len(formulas) == 1 and formulas[0].count("$\\displaystyle") == 2, formulas
    assert r"\frac{5 + 2\cdot0 - 1\cdot(5-1) - 1}{1}" in formulas[0]


@pytest.mark.parametrize(
    "preset,shape",
    [("valid1", "(3, 3, 1)"), ("valid2", "(2, 2, 1)"), ("same1", "(5, 5, 1)"), ("multichannel", "(6, 6, 6)")],
)
def test_presets(preset, shape):
    at = run_page(PAGE)
    at.button(key=f"conv_preset_{preset}").click().run()
    assert_clean(at)
    assert metric(at, "Output (h, w, filters)") == shape


def test_same_padding_shows_split():
    at = run_page(PAGE, conv_h=6, conv_w=6, conv_k=4, conv_pad_mode="same")
    text = all_text(at)
    assert "1 before (top/left), 2 after (bottom/right)" in text


def test_book_example_step_through_gives_155():
    at = run_page(PAGE)
    at.button(key="conv_preset_book").click().run()
    steps = [m.value for m in at.markdown if "```" in m.value]
    assert steps and steps[0].startswith("**Output[0, 0]**"), steps
    terms = steps[0].split("```\n")[1].removesuffix("\n```")
    assert terms.startswith("0 * -1 + 0 * -2 + 75 * -1 +") and terms.endswith("= 155"), terms
    at.button(key="conv_next").click().run()
    assert at.slider(key="conv_step").value == 1
    at.button(key="conv_prev").click().run()
    at.button(key="conv_prev").click().run()
    assert at.slider(key="conv_step").value == 8  # wraps to the last of 3x3 positions


def test_impossible_combination_is_explained():
    at = run_page(PAGE, conv_h=2, conv_w=2, conv_k=5)
    assert_clean(at)
    assert at.error and "the kernel spans 5 cells but the padded input has only 2" in at.error[0].value
    at = run_page(PAGE, lang="ko", conv_h=9, conv_w=9, conv_s=2, conv_d=2)
    assert at.error and "팽창" in at.error[0].value


def test_explicit_padding_and_dilation():
    at = run_page(PAGE, conv_h=7, conv_w=7, conv_pad_mode="explicit", conv_pad=1, conv_d=2)
    assert metric(at, "Output (h, w, filters)") == "(5, 5, 1)"
    assert any("ZeroPadding2D(1)" in c.value for c in at.code)


def test_photo_with_kernels_and_custom_kernel():
    at = run_page(PAGE)
    captions = [c for img in at.image for c in img.captions]
    assert captions[0] == "Input (greyscale) (239, 360, 1)" and captions[1].startswith("Feature map")
    at.selectbox(key="conv_photo_kernel").set_value("custom").run()
    at.text_input(key="conv_photo_custom").input("1 2; 3").run()
    assert_clean(at)
    assert any("square" in e.value for e in at.error)
    at.text_input(key="conv_photo_custom").input("1 0 -1; 1 0 -1; 1 0 -1").run()
    assert not at.error


def _png(size=(40, 30)):
    buf = io.BytesIO()
    Image.fromarray(np.full((*size, 3), 120, np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_photo_upload_good_and_bad():
    at = run_page(PAGE, conv_photo_source="upload")
    at.file_uploader(key="conv_photo_upload").set_value(("note.jpg", b"hello, not an image", "image/jpeg")).run()
    assert_clean(at)
    assert any("not an image" in e.value for e in at.error)
    at.file_uploader(key="conv_photo_upload").set_value(("ok.png", _png(), "image/png")).run()
    assert_clean(at)
    assert not at.error


def test_guess_before_reveal():
    at = run_page(PAGE)
    at.toggle(key="conv_guess_mode").set_value(True).run()
    assert not any(m.label == "Output (h, w, filters)" for m in at.metric)
    at.text_input(key="conv_guess").input("(3, 3, 1)")
    at.button(key="conv_reveal").click().run()
    assert any("Right!" in s.value for s in at.success)
    assert metric(at, "Output (h, w, filters)") == "(3, 3, 1)"
    at.number_input(key="conv_k").set_value(5).run()  # new settings: hidden again
    assert not any(m.label == "Output (h, w, filters)" for m in at.metric)
    at.text_input(key="conv_guess").input("3x3x1")
    at.button(key="conv_reveal").click().run()
    assert any("the answer is (1, 1, 1)" in w.value for w in at.warning)


def test_state_comes_from_and_goes_to_the_url():
    query = {"conv_k": "5", "conv_s": "2", "conv_h": "9", "conv_w": "9", "conv_pad_mode": "same", "conv_d": "banana"}
    at = run_page(PAGE, query=query)
    assert_clean(at)
    assert metric(at, "Output (h, w, filters)") == "(5, 5, 1)"
    at.number_input(key="conv_s").set_value(3).run()
    assert at.query_params["conv_s"] == "3" and at.query_params["conv_k"] == "5"
    at = run_page(PAGE, query={"conv_k": "999", "conv_h": "-4"})  # out of range: clamped, never an error
    assert_clean(at)
    assert at.number_input(key="conv_k").value == 15 and at.number_input(key="conv_h").value == 1


def test_lecturer_mode_hides_advanced_controls():
    at = run_page(PAGE, lecture=True)
    assert_clean(at)
    keys = {w.key for w in at.number_input}
    assert "conv_d" not in keys and "conv_pad" not in keys
    at = run_page(PAGE, lecture=True, conv_d=2)  # a prepared link that uses dilation keeps the control
    assert "conv_d" in {w.key for w in at.number_input}
