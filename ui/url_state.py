"""Page state in the URL, so a lecturer can prepare links: ``/convolution?conv_k=5&conv_s=2&lecture=1``.

Each page declares the widget keys it shares and their type and bounds. On the page's first run in a
session the values found in the URL are checked, clamped and put into ``st.session_state`` before the
widgets are drawn; after the widgets, the URL is rewritten with the current values (other pages' keys
are dropped; ``lang`` and ``lecture`` stay). Bad values in a URL are ignored, never an error.
"""

from __future__ import annotations

import streamlit as st

from ui.follow import publish_lecturer_view
from ui.url_rules import GLOBAL_KEYS, RESTORED_PREFIX, Choice, Flag, Many, Num, Text


def _encode(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


def restore(page: str, spec: dict[str, Num | Choice | Flag | Text | Many]) -> None:
    """Put valid URL values for ``spec``'s keys into the session state (first run of ``page`` in the session)."""
    marker = RESTORED_PREFIX + page
    if st.session_state.get(marker):
        return
    st.session_state[marker] = True
    for key, rule in spec.items():
        raw = st.query_params.get(key)
        if raw is None:
            continue
        value = rule.parse(raw)
        if value is not None:
            st.session_state[key] = value


def publish(spec: dict[str, Num | Choice | Flag | Text | Many]) -> None:
    """Rewrite the URL with the current values of ``spec``'s keys (plus ``lang`` and ``lecture``)."""
    current = st.query_params.to_dict()
    params = {k: current[k] for k in GLOBAL_KEYS if k in current}
    state = st.session_state.to_dict()
    for key in spec:
        value = state.get(key)
        if value is not None:
            params[key] = _encode(value)
    if current != params:
        st.query_params.from_dict(params)
    publish_lecturer_view(params)  # a lecturer's page is published here, before any st.stop() further down
