import pytest

from tests.helpers import assert_clean, run_page

PAGE = "app_pages/inside.py"


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
