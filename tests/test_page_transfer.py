import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, assert_clean, run_page

PAGE = "app_pages/transfer.py"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_matrix_highlights_the_chosen_scenario(lang):
    at = run_page(PAGE, lang)
    assert_clean(at)
    assert at.header[0].value.endswith("1")
    at.radio(key="transfer_size").set_value("large")
    at.radio(key="transfer_domain").set_value("different").run()
    assert at.header[0].value.endswith("4")
    matrix = next(m.value for m in at.markdown if "transfer-matrix" in m.value)
    assert matrix.count("border:3px solid") == 1


def test_open_lab_with_the_preset():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/transfer.py").run()
    at.radio(key="transfer_size").set_value("large").run()
    at.button(key="transfer_open_lab").click().run()
    assert_clean(at)
    assert at.session_state["train_strategy"] == "feature_extraction_augmented"
    assert at.selectbox(key="train_strategy").value == "feature_extraction_augmented"
