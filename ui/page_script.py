"""Scripts that act on the dashboard's page itself (the identity cookie, the lecturer's arrow keys), through
Streamlit's public ``st.iframe``: an HTML string is embedded as-is, same-origin, so its script reaches
``window.parent``. ``st.components.v1.html`` did this before; Streamlit deprecated it in favour of ``st.iframe``
("will be removed after 2026-06-01"), and ``tests/test_page_script.py`` fails if ``st.iframe`` stops taking an HTML
string this way, so that an upgrade cannot silently switch sign-in or the arrow keys off."""

from __future__ import annotations

import streamlit as st

INVISIBLE = "<style>html,body{margin:0;padding:0;height:0;overflow:hidden}</style>"
"""The frame takes no room: its content has no height, and ``height="content"`` follows it."""


def page_script(script: str) -> None:
    """Run ``script`` (an HTML ``<script>`` element) in an invisible same-origin frame of the page."""
    st.iframe(INVISIBLE + script, height="content", tab_index=-1)
