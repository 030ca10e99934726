import pytest

from tests.helpers import all_text, assert_clean, metric, run_page

PAGE = "app_pages/pooling.py"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_renders_in_both_languages(lang):
    at = run_page(PAGE, lang)
    assert_clean(at)
    assert not at.error
    assert at.title[0].value == {"ko": "풀링", "en": "Pooling"}[lang]


def test_pool_size_changes_output_and_formula():
    at = run_page(PAGE)
    assert metric(at, "Output (h, w)") == "(3, 3)"
    at.number_input(key="pool_size").set_value(3).run()
    assert metric(at, "Output (h, w)") == "(2, 2)"
    assert any(r"\frac{6 - 3}{3}" in e.value and e.value.count("$\\displaystyle") == 2 for e in at.markdown)


def test_max_pool_names_the_winner_and_average_divides():
    at = run_page(PAGE, pool_grid_h=4, pool_grid_w=4, pool_seed=1)
    text = all_text(at)
    assert "max(" in text and "**" in text
    at.radio(key="pool_mode").set_value("average").run()
    assert ") / 4 = **" in all_text(at)


def test_channels_are_kept():
    at = run_page(PAGE)
    assert "(26, 26, 32) → **(13, 13, 32)**" in all_text(at)


def test_impossible_pool_is_explained():
    at = run_page(PAGE, pool_grid_h=2, pool_grid_w=2, pool_size=3)
    assert_clean(at)
    assert at.error and "padded input has only 2" in at.error[0].value


def test_same_padding_and_custom_stride():
    at = run_page(PAGE, pool_grid_h=5, pool_grid_w=5, pool_padding="same")
    assert metric(at, "Output (h, w)") == "(3, 3)"
    at.checkbox(key="pool_stride_default").uncheck().run()
    at.number_input(key="pool_stride").set_value(1).run()
    assert metric(at, "Output (h, w)") == "(5, 5)"
    assert any("strides=1" in c.value for c in at.code)


def test_photo_is_pooled_keeping_three_channels():
    at = run_page(PAGE)
    captions = [c for img in at.image for c in img.captions]
    assert captions == ["Before (239, 360, 3)", "After (119, 180, 3)"]
    at.number_input(key="pool_size").set_value(4).run()
    assert [c for img in at.image for c in img.captions][1] == "After (59, 90, 3)"
