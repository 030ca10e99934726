"""Lecturer mode: larger text and charts, advanced controls hidden; also ``?lecture=1`` in the URL."""

from __future__ import annotations

import streamlit as st

from ui.common import t

LECTURE_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] {font-size: 20px;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li {font-size: 1.2rem;}
[data-testid="stMetricValue"] {font-size: 3rem;}
table.cnn-grid td {min-width: 2.8em; height: 2.8em; font-size: 1.15rem;}
div.cnn-cap {font-size: 1rem;}
.katex {font-size: 1.5em;}
</style>
"""


def lecture_mode() -> bool:
    return bool(st.session_state.get("lecture", False))


def lecture_toggle() -> None:
    """Sidebar switch, initialised from ``?lecture=1``; when on, the larger style is applied."""
    if "lecture" not in st.session_state:
        st.session_state["lecture"] = st.query_params.get("lecture", "0") in ("1", "true")
    st.sidebar.toggle(t("lecture.toggle"), key="lecture", help=t("lecture.help"))
    if st.session_state["lecture"]:
        if st.query_params.get("lecture") != "1":
            st.query_params["lecture"] = "1"
        st.markdown(LECTURE_CSS, unsafe_allow_html=True)
    elif "lecture" in st.query_params:
        del st.query_params["lecture"]


def chart_height(base: int) -> int:
    """Chart heights grow by half in lecturer mode."""
    return int(base * 1.5) if lecture_mode() else base
