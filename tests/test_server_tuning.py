"""The trimmed Streamlit per-rerun work gives what Streamlit itself gives (ui/server_tuning.py)."""

import os

import pytest
import streamlit
from streamlit import config

from tests.ws_client import Session, free_port, start_server
from ui import server_tuning

SECTIONS = ("theme", "theme.light", "theme.dark", "theme.sidebar", "theme.light.sidebar", "theme.dark.sidebar")


@pytest.fixture
def cached(monkeypatch):
    original = config.get_options_for_section
    monkeypatch.setattr(config, "get_options_for_section", original)
    return original, server_tuning.cached_options_for_section(original)


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
    monkeypatch.setattr(config, "get_options_for_section", config.get_options_for_section)
    monkeypatch.setattr(streamlit, "__version__", "9.9.9")
    before = config.get_options_for_section
    assert server_tuning.install() is False
    assert config.get_options_for_section is before
    monkeypatch.setattr(streamlit, "__version__", server_tuning.TUNED_VERSION)
    assert server_tuning.install() is True
    patched = config.get_options_for_section
    assert patched is not before
    assert server_tuning.install() is True
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
