"""The trimmed Streamlit per-rerun work gives what Streamlit itself gives (ui/streamlit_internals.py)."""

import os

import pytest
import streamlit
from streamlit import config
from streamlit.testing.v1 import AppTest

from tests.ws_client import Session, free_port, start_server
from ui import streamlit_internals

SECTIONS = ("theme", "theme.light", "theme.dark", "theme.sidebar", "theme.light.sidebar", "theme.dark.sidebar")


def streamlits_own(function):
    """The function as Streamlit defines it (an AppTest of app.py earlier in this process installed the tuning)."""
    return getattr(function, "__wrapped__", function)


@pytest.fixture
def cached(monkeypatch):
    original = streamlits_own(config.get_options_for_section)
    monkeypatch.setattr(config, "get_options_for_section", original)
    return original, streamlit_internals.cached_options_for_section(original)


def test_every_section_matches_streamlits_own(cached):
    original, fast = cached
    sections = {option.section for option in config.get_config_options().values()}
    assert set(SECTIONS) <= sections
    for section in sorted(sections):
        assert fast(section) == original(section), section
        assert fast(section) == original(section), section  # the second call comes from the cache


def test_a_changed_option_is_seen_at_once(cached):
    original, fast = cached
    option = config.get_config_options()["theme.primaryColor"]
    before = option._get_val_func
    try:
        fast("theme")
        option.set_value("#123456")
        assert fast("theme")["primaryColor"] == "#123456" == original("theme")["primaryColor"]
        option.set_value("#654321")
        assert fast("theme")["primaryColor"] == "#654321"
    finally:
        option._get_val_func = before
    assert fast("theme") == original("theme")


def test_a_returned_dict_cannot_change_the_cache(cached):
    _, fast = cached
    fast("theme")["primaryColor"] = "#000000"
    assert fast("theme")["primaryColor"] != "#000000"


def test_install_is_idempotent_and_only_for_the_tuned_version(monkeypatch):
    monkeypatch.setattr(config, "get_options_for_section", streamlits_own(config.get_options_for_section))
    monkeypatch.setattr(streamlit, "__version__", "9.9.9")
    before = config.get_options_for_section
    assert streamlit_internals.install_server_tuning() is False
    assert config.get_options_for_section is before
    monkeypatch.setattr(streamlit, "__version__", streamlit_internals.TESTED_VERSION)
    assert streamlit_internals.install_server_tuning() is True
    patched = config.get_options_for_section
    assert patched is not before
    assert streamlit_internals.install_server_tuning() is True
    assert config.get_options_for_section is patched


def test_a_real_server_sends_the_configured_theme_on_every_rerun(tmp_path):
    env = os.environ | {
        "CNN_CLASSROOM_HOME": str(tmp_path),
        "CNN_CLASSROOM_RUNS_DIR": str(tmp_path / "runs"),
        "STREAMLIT_THEME_PRIMARY_COLOR": "#1565c0",
    }
    port = free_port()
    server = start_server(port, env)
    try:
        session = Session(port, "pooling")
        for value in (None, 3, 2):
            session.run(*(("pool_size", "int_value", value) if value else ()))
            assert session.new_session is not None
            assert session.new_session.custom_theme.primary_color == "#1565c0"
        assert session.errors == 0
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture
def widget_modules(monkeypatch):
    """Undo the widget modules' patch after the test (AppTest runs scripts in this process)."""
    from streamlit.elements.widgets import number_input, radio, selectbox, slider

    for module in (number_input, radio, selectbox, slider):
        monkeypatch.setattr(module, "get_session_state", streamlits_own(module.get_session_state))
    monkeypatch.setattr(config, "get_options_for_section", streamlits_own(config.get_options_for_section))


NONE_SCRIPT = """
import streamlit as st
from ui.streamlit_internals import install_server_tuning
install_server_tuning()
for key in ("n", "s", "r"):
    st.session_state.setdefault(key, None)
n = st.number_input("n", 0, 10, 5, key="n")
s = st.selectbox("s", ["a", "b"], key="s")
r = st.radio("r", ["a", "b"], key="r")
v = st.slider("v", 0, 10, 3, key="v")
st.markdown(repr((n, s, r, v)))
"""


def test_widgets_still_see_a_none_set_through_the_session_state(widget_modules):
    at = AppTest.from_string(NONE_SCRIPT).run()
    assert not at.exception
    assert at.markdown[0].value == "(None, None, None, 3)"
    at.number_input(key="n").set_value(7).run()
    assert at.markdown[0].value == "(7, None, None, 3)"


VIEW_SCRIPT = """
import streamlit as st
from ui.streamlit_internals import OneKeyView
from streamlit.runtime.state import get_session_state
st.session_state.setdefault("plain", 1)
st.session_state.setdefault("none", None)
if st.session_state.get("set_before") is None:
    st.session_state["set_before"] = 4
st.number_input("keyed", 0, 10, 2, key="keyed")
st.number_input("set before", 0, 10, 2, key="set_before")
st.number_input("no key", 0, 10, 2)
st.checkbox("box", key="box")
safe = get_session_state()
full = safe.filtered_state
view = OneKeyView(safe)
probes = [*full, "missing", "$$STREAMLIT_INTERNAL_KEY_TESTING", *(k for k in safe._state._keys())]
wrong = [k for k in probes if (k in view) != (k in full) or (k in full and view[k] != full[k])]
st.markdown(f"checked {len(probes)}, wrong {wrong}")
"""


def test_the_one_key_view_agrees_with_filtered_state_across_reruns():
    at = AppTest.from_string(VIEW_SCRIPT).run()
    assert not at.exception
    assert at.markdown[0].value.endswith("wrong []")
    at.number_input(key="keyed").set_value(9).run()
    at.checkbox(key="box").check().run()
    assert at.markdown[0].value.endswith("wrong []"), at.markdown[0].value
    assert int(at.markdown[0].value.split()[1].rstrip(",")) >= 8
