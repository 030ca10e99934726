"""The error boundary: a page that fails shows a friendly, translated message with a short error id.

The traceback goes to the server log under the same id (``client.showErrorDetails = "none"`` in
``.streamlit/config.toml`` keeps Streamlit's own error box, with server paths, away from learners).
Streamlit's stop and rerun signals are ``BaseException`` subclasses and pass through untouched.
"""

from __future__ import annotations

import logging
import secrets

import streamlit as st

from ui.common import t

logger = logging.getLogger("cnn_classroom.errors")
ERROR_ID_PREFIX = "E-"


def new_error_id() -> str:
    """``E-`` and 8 hex digits: short enough to read out in class, unique enough to find in the log."""
    return ERROR_ID_PREFIX + secrets.token_hex(4)


def run_guarded(page) -> None:
    """Run a ``st.navigation`` page; any exception becomes a message, never a traceback."""
    try:
        page.run()
    except Exception:  # noqa: BLE001 - the boundary: everything a page raises ends here
        error_id = new_error_id()
        logger.exception("page %s failed (%s)", getattr(page, "url_path", "?"), error_id)
        st.error(t("app.error_boundary", id=error_id), icon=":material/sentiment_dissatisfied:")
