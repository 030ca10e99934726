"""Language, text lookup and small widgets every page uses."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from cnn_core.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from cnn_core.core.settings import load_settings
from ui import streamlit_internals as internals

LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}


def current_language() -> str:
    """The session's language, read from the session state once a script run: ``t`` asks about fifty times a
    rerun, and each session-state read costs more than the lookup it serves (cProfile: a tenth of a convolution
    section rerun). Kept in :func:`ui.streamlit_internals.run_memo` (read every time where that cannot be used)."""
    memo = internals.run_memo()
    if memo is not None and "lang" in memo:
        return memo["lang"]
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    if memo is not None:
        memo["lang"] = lang
    return lang


def t(key: str, **values: object) -> str:
    """The UI text for ``key`` in the session's language."""
    return translate(key, current_language(), **values)


KEPT_PREFIX = "_kept_"
"""A copy of a global switch's value under a key no widget owns: it survives ``st.switch_page``."""


def language_selector() -> None:
    """Sidebar language switch, kept in ``st.session_state["lang"]`` and the ``?lang=`` URL parameter."""
    if "lang" not in st.session_state:  # a new session, or st.switch_page dropped the widget's state and the URL
        wanted = st.query_params.get("lang") or st.session_state.get(KEPT_PREFIX + "lang", DEFAULT_LANGUAGE)
        st.session_state["lang"] = wanted if wanted in LANGUAGES else DEFAULT_LANGUAGE
    st.sidebar.radio(
        "언어 / Language",
        LANGUAGES,
        format_func=LANGUAGE_NAMES.__getitem__,
        key="lang",
        horizontal=True,
    )
    st.session_state[KEPT_PREFIX + "lang"] = st.session_state["lang"]
    if (memo := internals.run_memo()) is not None:
        memo.pop("lang", None)  # texts from here on are in the language just settled
    if st.query_params.get("lang") != st.session_state["lang"]:  # write only on change: every rerun passes here
        st.query_params["lang"] = st.session_state["lang"]


def show_error(prefix: str, err: Exception) -> None:
    """``st.error`` with the translated explanation of a ``ShapeError``/``ImageDecodeError``-style exception."""
    code = getattr(err, "code", "unknown")
    details = getattr(err, "details", {})
    st.error(t(f"{prefix}.{code}", **details) if code != "unknown" else str(err))


def small_note(text: str) -> str:
    """Markdown for a caption-like note inside a larger markdown element: small text in the text's own colour
    (Streamlit's grey is 3.5:1 on the projector's black, below WCAG's 4.5:1)."""
    return f":small[{text}]"


def axis_formulas(axes: Iterable[tuple[str, str, str | None]]) -> str:
    """One markdown element for the per-axis formulas: each axis's name in bold, its rule in display style and an
    optional note. One element, not two or three per axis: every element is one more message on each rerun of a
    section that a whole class of followers reruns together.

    The rule is inline maths in ``\\displaystyle`` (it looks like ``st.latex``), not a display block: KaTeX breaks
    inline maths after ``=`` and binary operators, so on a phone or a projector with the sidebar open the formula
    wraps and its result stays on screen, where a display block would run off the right edge."""
    blocks = []
    for name, latex, note in axes:
        blocks.append(f"**{name}**\n\n$\\displaystyle {latex}$")
        if note:
            blocks.append(small_note(note))
    return "\n\n".join(blocks)


def max_upload_bytes() -> int:
    return load_settings().max_upload_bytes


def preset_setter(values: dict[str, object]):
    """An ``on_click`` callback that writes widget values before the next run."""

    def apply() -> None:
        for key, value in values.items():
            st.session_state[key] = value

    return apply


def session_defaults(defaults: dict[str, object]) -> None:
    """Give each widget its value through the session, on every run, just before it is drawn: its current value, or
    ``defaults[key]`` the first time. The widget itself then takes no ``value=``.

    Not as the widget's ``value=``: a link, a preset button or the lecturer's view may set the key first, and Streamlit
    warns when a widget has both. And written on every run, not only when missing (``setdefault``): a value written in
    an earlier run is not sent with the widget again, and a browser that draws the widget afresh then shows the
    widget's own default, its minimum (a follower's kernel size read 1 after following stopped, the server's 3).
    """
    for key, value in defaults.items():
        st.session_state[key] = st.session_state.get(key, value)


def labeler(prefix: str):
    """A ``format_func`` showing option ``v`` as ``t(prefix + v)``; the language is bound now, at render time."""
    lang = current_language()
    return lambda value: translate(f"{prefix}{value}", lang)
