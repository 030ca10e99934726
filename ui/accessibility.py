"""What makes every page usable by everyone (WCAG 2.1 AA), whatever the mode: the base stylesheet, the page menu
and text alternatives for charts. The browser suite checks the result with axe-core on every page
(``tests/e2e/accessibility.py``).

- Streamlit's own grey for captions (#828180 on white, 3.9:1) and disabled labels (2.3:1) is below the 4.5:1 that
  text needs; the stylesheet darkens them (ratios computed by :mod:`cnn_core.core.contrast` in the tests).
- Streamlit's sidebar navigation puts ``<div>``s between its ``<ul>`` and ``<li>``s (invalid list markup to a
  screen reader); the menu is therefore drawn with ``st.page_link`` and the navigation itself is hidden.
- Every control shows a focus ring when reached with the keyboard (Streamlit's own is a faint shadow on some).
- Labels, select values and metrics wrap instead of being cut with an ellipsis; formulas shrink to fit a phone;
  help icons, radio and checkbox labels are at least 24 x 24 px (WCAG 2.2 target size).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.common import t

FOCUS_COLOUR = "#1565c0"
"""The keyboard focus ring: 5.8:1 on white (WCAG 2.4.7 focus visible; 1.4.11 asks 3:1 of it)."""
CAPTION_COLOUR = "#5f5e5c"
"""Captions and help text: 6.5:1 on white, 6.2:1 on Streamlit's code background."""
DISABLED_COLOUR = "#6b6a68"
"""Labels of disabled controls: 5.4:1 on white (WCAG exempts inactive controls; a lecturer's projector does not)."""

CODE_TOKEN_COLOURS = {
    "comment": "#5f6368", "operator": "#b5440a", "string": "#116329", "number": "#0b6e60", "keyword": "#0b5cad",
    "deleted": "#b31d28",
}  # fmt: skip
CODE_BACKGROUND = "#f7f7f6"
"""Syntax colours of code blocks, each at least 4.5:1 on Streamlit's code background (#f7f7f6): Streamlit's own
are 2.2-3.6:1 on its background ``CODE_BACKGROUND`` (a learner's comments, strings and numbers on the class board failed axe). Written into BASE_CSS."""
BASE_CSS = f"""
<style>
:focus-visible {{outline: 3px solid {FOCUS_COLOUR} !important; outline-offset: 1px;}}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{color: {CAPTION_COLOUR}; opacity: 1;}}
label:has(input:disabled) *, [aria-disabled="true"] p, [data-baseweb="radio"]:has(input:disabled) p,
.stElementContainer:has(input:disabled, [aria-disabled="true"]) [data-testid="stWidgetLabel"],
.stElementContainer:has(input:disabled, [aria-disabled="true"]) [data-testid="stWidgetLabel"] * {{
  color: {DISABLED_COLOUR} !important; opacity: 1 !important;
}}
[data-testid="stWidgetLabel"] p, [data-baseweb="select"] div, [data-baseweb="tab"] p,
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {{white-space: normal !important; overflow-wrap: anywhere;
  overflow: visible !important; text-overflow: clip !important;}}
[data-testid="stPageLink"] p, [data-testid="stPageLink"] span {{white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important;}}
[data-testid="stTooltipHoverTarget"] button {{min-width: 24px; min-height: 24px; display: inline-flex;
  align-items: center; justify-content: center;}}
[data-testid="stRadio"] label, [data-testid="stCheckbox"] label {{min-height: 24px; align-items: center;}}
[data-testid="stPageLink"] a {{min-height: 24px;}}
[data-baseweb="tab-list"] ~ button, button[aria-label^="Scroll tabs"] {{min-width: 24px;}}
[data-testid="stTab"], [role="tab"] {{min-width: 24px; justify-content: center;}}
.st-key-cards h2 {{font-size: 1.25rem; padding: .25rem 0;}}
div.cnn-scroll {{overflow-x: auto; max-width: 100%;}}
[data-testid="stCode"] .token.comment, [data-testid="stCode"] .token.punctuation,
[data-testid="stCode"] .token.unchanged.line {{color: {CODE_TOKEN_COLOURS["comment"]};}}
[data-testid="stCode"] .token.operator, [data-testid="stCode"] .token.decorator,
[data-testid="stCode"] .token.annotation {{color: {CODE_TOKEN_COLOURS["operator"]};}}
[data-testid="stCode"] .token.string, [data-testid="stCode"] .token.boolean, [data-testid="stCode"] .token.inserted {{color: {CODE_TOKEN_COLOURS["string"]};}}
[data-testid="stCode"] .token.number {{color: {CODE_TOKEN_COLOURS["number"]};}}
[data-testid="stCode"] .token.keyword, [data-testid="stCode"] .token.function,
[data-testid="stCode"] .token.class-name {{color: {CODE_TOKEN_COLOURS["keyword"]};}}
[data-testid="stCode"] .token.deleted {{color: {CODE_TOKEN_COLOURS["deleted"]};}}
p.cnn-menu-section {{font-size: .8rem; font-weight: 600; color: {CAPTION_COLOUR}; margin: .6rem 0 0 0;}}
@media (max-width: 640px) {{
  [data-testid="stSlider"] div[data-rac]:has(> div > input[type="range"]) {{min-width: 24px; min-height: 24px;}}
  button {{min-width: 24px; min-height: 24px;}}
  [data-testid="stMetricValue"], [data-testid="stMetricValue"] div {{font-size: 1.6rem;}}
}}
</style>
"""


def apply_base_style() -> None:
    st.markdown(BASE_CSS, unsafe_allow_html=True)


def page_menu(sections: Mapping[str, Sequence[st.Page]]) -> None:
    """The sidebar's page menu: one link per visible page under its section's name (``st.navigation`` itself is
    hidden: see the module's docstring)."""
    for section, pages in sections.items():
        shown = [p for p in pages if p.visibility != "hidden"]
        if not shown:
            continue
        st.markdown(f"<p class='cnn-menu-section'>{section}</p>", unsafe_allow_html=True)
        for page in shown:
            st.page_link(page, label=page.title, icon=page.icon or None, width="stretch")


def show_chart(
    figure: go.Figure | dict | str,
    *,
    key: str,
    summary: str,
    table: pd.DataFrame | Sequence[Mapping] | None = None,
    where: st.delta_generator.DeltaGenerator | None = None,
) -> None:
    """Every chart of the app is drawn here, with its text alternative under it (WCAG 1.1.1): a plotly figure, a
    Vega-Lite spec (dict) or a Graphviz graph (DOT source). ``table`` is the chart's data, shown folded; ``None``
    when the page shows that table already (the summary then says so). A test keeps pages from drawing charts
    any other way."""
    where = where if where is not None else st.container()
    if isinstance(figure, go.Figure):
        where.plotly_chart(figure, key=key, width="stretch")
    elif isinstance(figure, dict):
        where.vega_lite_chart(figure, key=key, width="stretch")
    else:  # natural size: stretched, one box of a model graph fills a projector
        where.graphviz_chart(figure, width="content")
    with where:
        chart_alternative(table, summary, key)


def chart_alternative(table: pd.DataFrame | Sequence[Mapping] | None, summary: str, key: str) -> None:
    """A one-line summary and, folded, the chart's data as a table; ``key`` names the container the browser suite
    finds beside each chart."""
    with st.container(key=f"chart_alt_{key}"):
        st.caption(summary)
        if table is not None and len(table):
            with st.expander(t("a11y.chart_data")):
                st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
