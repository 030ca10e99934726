"""The whole app: navigation, language switch, and no TensorFlow on the concept pages."""

import json
import subprocess
import sys
from collections.abc import Iterable

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, assert_clean

PAGES = [
    "app_pages/home.py",
    "app_pages/convolution.py",
    "app_pages/pooling.py",
    "app_pages/parameters.py",
    "app_pages/transfer.py",
]
"""The concept pages: none of them may import TensorFlow."""
ALL_PAGES = [
    *PAGES,
    "app_pages/augmentation.py",
    "app_pages/train.py",
    "app_pages/runs.py",
    "app_pages/mnist.py",
    "app_pages/inside.py",
    "app_pages/transfer.py",
]


def test_home_and_language_switch():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert_clean(at)
    assert at.title[0].value == "CNN 교실"
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "CNN Classroom"
    assert at.query_params["lang"] == "en"


@pytest.mark.parametrize("page", ALL_PAGES[1:])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_page_through_navigation(page, lang):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(page).run()
    assert_clean(at)
    assert not at.error
    assert at.session_state["lang"] == lang


CHECK = """
import json, sys
sys.path.insert(0, {root!r})
from streamlit.testing.v1 import AppTest
out = {{}}
at = AppTest.from_file({root!r} + "/app.py", default_timeout=60).run()
for page in {pages!r}:
    at.switch_page(page).run()
    out[page] = [bool(at.exception), "tensorflow" in sys.modules, "keras" in sys.modules]
print(json.dumps(out))
"""


def test_concept_pages_do_not_import_tensorflow():
    code = CHECK.format(root=str(ROOT), pages=PAGES)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {page: [False, False, False] for page in PAGES}


def _shown(widget) -> object:
    """What a browser drawing ``widget`` afresh shows: the value sent with it, else the widget's own default."""
    proto = widget.proto
    return proto.value if proto.set_value else proto.default


@pytest.mark.parametrize(
    "page", ["app_pages/convolution.py", "app_pages/pooling.py", "app_pages/augmentation.py", "app_pages/inside.py"]
)
def test_a_rerun_sends_every_number_with_the_value_the_server_has(page):
    """A widget whose default lives in the session (a link or a preset may set it first) is sent with its value on
    every run, not only the first: a browser that draws it afresh after a later run (a follower's page after an
    interrupted run) showed the widget's own default instead (a kernel size of 1 while the server had 3)."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    at.session_state["lang"] = "en"
    at.run().run()
    assert_clean(at)
    checked = []
    for widget in [*at.number_input, *at.slider]:
        if widget.key is None:
            continue
        server = widget.value if isinstance(widget.value, tuple | list) else [widget.value]
        shown = _shown(widget)
        shown = list(shown) if isinstance(shown, Iterable) else [shown]
        assert [float(v) for v in shown] == pytest.approx([float(v) for v in server]), (widget.key, shown, server)
        checked.append(widget.key)
    assert checked, "no numbers on the page"
