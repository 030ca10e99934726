"""The error boundary: a failing page shows a translated message with an error id, never a traceback."""

import logging
import re
import tomllib

from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT


def failing_app():
    import streamlit as st

    from ui.errors import run_guarded

    class Page:
        url_path = "broken"

        def run(self):
            st.title("before the failure")
            raise ZeroDivisionError("boom")

    st.session_state.setdefault("lang", "ko")
    run_guarded(Page())


def test_an_exception_becomes_a_message_with_an_id(caplog):
    with caplog.at_level(logging.ERROR, logger="cnn_classroom.errors"):
        at = AppTest.from_function(failing_app).run()
    assert not at.exception
    message = at.error[0].value
    error_id = re.search(r"E-[0-9a-f]{8}", message).group(0)
    assert "오류 번호" in message and "ZeroDivisionError" not in message and "boom" not in message
    assert error_id in caplog.text and "ZeroDivisionError" in caplog.text  # the traceback is in the server log


def test_streamlit_never_shows_error_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
