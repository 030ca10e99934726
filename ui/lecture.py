"""Lecturer mode and the projector: ``?lecture=1`` (larger everything, presenter layout, advanced controls
hidden), ``?projector=1`` (a high-contrast dark theme), and the ←/→ keys for the step-throughs.

The stylesheet targets elements by role (metric values, widget labels, buttons, formulas, grids), never
by a rule that also hits something else: a metric value is always larger than its label, formulas shrink
to the width of their column, and button, select and sidebar labels wrap instead of being cut off.
"""

from __future__ import annotations

import json

import streamlit as st

from ui.common import KEPT_PREFIX, t
from ui.page_script import page_script

LECTURE_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] {font-size: 20px;}
[data-testid="stMainBlockContainer"], .block-container {max-width: 100% !important; padding: 1.5rem 2rem 3rem 2rem;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li {font-size: 1.15rem;}
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p {font-size: 1.05rem;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] div,
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {font-size: 2.6rem; line-height: 1.15;}
.katex {font-size: clamp(1em, 1.55vw, 1.35em);}
[data-testid="stMarkdownContainer"] .katex-display {margin: .4em 0;}
button p, [data-testid="stWidgetLabel"] p, [data-testid="stSidebarNav"] span,
[data-baseweb="select"] div, [data-baseweb="tab"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
button {height: auto !important; min-height: 2.5rem;}
[data-testid="stAppViewContainer"] table.cnn-grid td {min-width: 2.8em; height: 2.8em; font-size: 1.15rem;}
[data-testid="stAppViewContainer"] table.cnn-heat td {min-width: 2.4em !important; height: 2em !important; font-size: .85rem !important;}
[data-testid="stAppViewContainer"] div.cnn-cap {font-size: 1rem;}
</style>
"""

PROJECTOR_CSS = """
<style>
[data-testid="stAppViewContainer"], [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stBottom"] {
  background: #000 !important;
}
[data-testid="stAppViewContainer"] *, [data-testid="stSidebar"] * {color: #fff;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {color: #ffeb3b !important;}
a, a * {color: #80d8ff !important;}
:focus-visible {outline-color: #ffeb3b !important;}
[data-testid*="Caption"], [data-testid*="Caption"] *, [data-testid="stTooltipIcon"] *, p.cnn-menu-section {color: #e0e0e0 !important;}
[data-testid="stNumberInputContainer"] button {background: #212121 !important;}
input:disabled {-webkit-text-fill-color: #9e9e9e;}
button[data-testid^="stBaseButton"] {background: #212121 !important; border: 2px solid #fff !important;}
button[data-testid="stBaseButton-primary"] {background: #ffeb3b !important;}
button[data-testid="stBaseButton-primary"] * {color: #000 !important;}
input, textarea, [data-baseweb="select"] > div {background: #111 !important; color: #fff !important;}
input::placeholder, textarea::placeholder {color: #bdbdbd !important; opacity: 1;}
table.cnn-grid td {border-color: #fff; background: #000; color: #fff;}
code, pre, [data-testid="stCode"] pre, [data-testid="stCode"] pre * {background: #1a1a1a !important; color: #fff !important;}
[data-testid="stAlertContainer"] {background: #1a1a1a !important; border: 1px solid #fff;}
label:has(input:disabled) *, [aria-disabled="true"] p, [data-baseweb="radio"]:has(input:disabled) p,
.stElementContainer:has(input:disabled, [aria-disabled="true"]) [data-testid="stWidgetLabel"] * {color: #bdbdbd !important;}
[data-testid="stTable"] th, [data-testid="stTable"] td {background: #000 !important; color: #fff !important;}
table.cnn-grid td.pad {background: #263238; color: #b0bec5;}
table.cnn-grid td.todo {color: #bdbdbd;}
table.cnn-grid td.pad.win {background: #ffeb3b; color: #000;}
div.cnn-cap {color: #e0e0e0 !important;}
table.cnn-grid td.win {background: #ffeb3b; color: #000;}
table.cnn-grid td.done {background: #0d47a1; color: #fff;}
table.cnn-grid td.best, table.cnn-grid td.best.done, table.cnn-grid td.best.win {background: #ff3d00; color: #fff;}
table.cnn-grid td.cur, table.cnn-grid td.cur.done {background: #00b0ff; color: #000;}
table.transfer-matrix td.chosen {background: #ffeb3b !important; border-color: #ff3d00 !important;}
table.transfer-matrix td.chosen, table.transfer-matrix td.chosen * {color: #000 !important;}
[data-testid="stSelectbox"] div:has(> button > svg), [data-testid="stMultiSelect"] div:has(> button > svg) {background: #212121 !important;}
[data-testid="stSelectbox"] div > button > svg, [data-testid="stMultiSelect"] div > button > svg, [data-baseweb="select"] svg,
[data-testid="stNumberInputContainer"] svg, [data-testid="stExpander"] summary svg {color: #fff !important; fill: #fff !important;}
</style>
"""


def lecture_mode() -> bool:
    return bool(st.session_state.get("lecture", False))


def lecture_from_url() -> bool:
    """Read before ``st.set_page_config``: a lecturer link opens with the sidebar collapsed (presenter layout)."""
    return st.query_params.get("lecture", "0") in ("1", "true")


def _url_flag(key: str) -> None:
    if st.session_state[key]:
        if st.query_params.get(key) != "1":
            st.query_params[key] = "1"
    elif key in st.query_params:
        del st.query_params[key]


def lecture_toggle() -> None:
    """Sidebar switches, initialised from ``?lecture=1`` / ``?projector=1``; their styles applied when on."""
    for key in ("lecture", "projector"):
        if key not in st.session_state:  # new session, or after st.switch_page (which drops widget state and URL)
            kept = st.session_state.get(KEPT_PREFIX + key, False)
            st.session_state[key] = st.query_params.get(key, "1" if kept else "0") in ("1", "true")
    st.sidebar.toggle(t("lecture.toggle"), key="lecture", help=t("lecture.help"))
    st.sidebar.toggle(t("lecture.projector"), key="projector", help=t("lecture.projector_help"))
    for key in ("lecture", "projector"):
        st.session_state[KEPT_PREFIX + key] = st.session_state[key]
        _url_flag(key)
    if st.session_state["lecture"]:
        st.markdown(LECTURE_CSS, unsafe_allow_html=True)
    if st.session_state["projector"]:
        st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)


def chart_height(base: int) -> int:
    """Chart heights grow by half in lecturer mode."""
    return int(base * 1.5) if lecture_mode() else base


STEP_KEYS_JS = """
<script>
const host = window.parent;
host.__cnnStepKeys = %s;
if (!host.__cnnStepKeysBound) {
  host.__cnnStepKeysBound = true;
  host.document.addEventListener("keydown", (event) => {
    const keys = host.__cnnStepKeys || {};
    const target = keys[event.key];
    const typing = event.target && event.target.closest && event.target.closest("input, textarea, [contenteditable]");
    if (!target || typing || event.altKey || event.ctrlKey || event.metaKey) return;
    const button = host.document.querySelector(`.st-key-${target} button`);
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  });
}
</script>
"""


def step_keys(previous_key: str, next_key: str) -> None:
    """←/→ anywhere on the page (outside text fields) click the step-through's previous/next buttons."""
    mapping = {"ArrowLeft": previous_key, "ArrowRight": next_key}
    page_script(STEP_KEYS_JS % json.dumps(mapping))
