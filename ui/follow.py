"""Follow the lecturer: the lecturer's page and its URL state are published; followers' pages switch to it.

The lecturer's session publishes after each of its runs, and only when the page or its URL state changed
(:meth:`cnn_core.classroom.Classroom.publish_view`). Followers do not poll: the publishing run asks each
follower's session to rerun (the same server-side rerun Streamlit's "run on save" uses), so a follower costs
nothing while the lecturer's view stays the same. In its rerun a follower takes the new URL state through the
page's own rules (:func:`ui.url_state.restore`: checked and clamped) and switches page when needed. A follower
keeps its own language, lecturer and projector switches.
"""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnn_core.classroom import Identity, LecturerView
from ui.classroom import classroom, me
from ui.common import KEPT_PREFIX, t
from ui.url_state import GLOBAL_KEYS, RESTORED_PREFIX

logger = logging.getLogger(__name__)

FOLLOW_KEY = "follow"
SEEN_KEY = "_follow_seen_version"

_followers: set[str] = set()
_latest: list[LecturerView | None] = [None]  # this server's newest lecturer view (read from disk once)
_lock = threading.Lock()


def latest_view() -> LecturerView | None:
    with _lock:
        if _latest[0] is None:
            _latest[0] = classroom().lecturer_view()
        return _latest[0]


def _session_id() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else None


def _wake_followers() -> int:
    """Ask every following session to rerun with the state its browser last sent; returns how many."""
    try:
        manager = Runtime.instance()._session_mgr  # noqa: SLF001 - no public way to rerun another session
    except (RuntimeError, AttributeError):
        return 0
    with _lock:
        ids = list(_followers)
    woken = 0
    for session_id in ids:
        info = manager.get_active_session_info(session_id)
        if info is None:
            with _lock:
                _followers.discard(session_id)
            continue
        session = info.session
        session.request_rerun(getattr(session, "_client_state", None))
        woken += 1
    return woken


PAGE_KEY = "_follow_page"


def set_current_page(page: str) -> None:
    """Remember which page this run shows (``app.py``), for :func:`publish_lecturer_view`."""
    st.session_state[PAGE_KEY] = page


def publish_lecturer_view(params: dict[str, str] | None = None) -> None:
    """After a lecturer's page drew its widgets (``ui.url_state.publish``) or ended: publish the page and its URL
    state when they changed, and wake the followers. Does nothing for anyone but the lecturer."""
    identity = me()
    page = st.session_state.get(PAGE_KEY)
    if not identity.is_lecturer or page is None:
        return
    if params is None:
        params = st.query_params.to_dict()
    params = {k: str(v) for k, v in params.items() if k not in GLOBAL_KEYS}
    current = latest_view()
    if current is not None and current.page == page and current.params == params:
        return
    view = classroom().publish_view(page, params, by=identity, at=time.time())
    if view is None:
        return
    with _lock:
        _latest[0] = view
    woken = _wake_followers()
    logger.info("lecturer view %s (v%d): %d follower(s) woken", page, view.version, woken)


def follow_toggle(identity: Identity) -> bool:
    """The sidebar's "Follow the lecturer" switch (learners in classroom mode); registers this session."""
    if identity.is_solo or identity.is_lecturer:
        return False
    if FOLLOW_KEY not in st.session_state:  # a new session, or after st.switch_page
        st.session_state[FOLLOW_KEY] = bool(st.session_state.get(KEPT_PREFIX + FOLLOW_KEY, False))
    following = st.sidebar.toggle(t("classroom.follow"), key=FOLLOW_KEY, help=t("classroom.follow_help"))
    st.session_state[KEPT_PREFIX + FOLLOW_KEY] = following
    session_id = _session_id()
    if session_id:
        with _lock:
            (_followers.add if following else _followers.discard)(session_id)
    if not following:
        st.session_state.pop(SEEN_KEY, None)  # turning it on again jumps to where the lecturer is
    return following


def follow(pages: dict[str, st.Page], current: str) -> None:
    """For a follower: when the lecturer's view is newer than the last one taken, take it (switch page if needed)."""
    view = latest_view()
    if view is None or st.session_state.get(SEEN_KEY) == view.version:
        return
    st.session_state[SEEN_KEY] = view.version
    own = {k: st.query_params[k] for k in GLOBAL_KEYS if k in st.query_params}
    params = view.params | own
    for key in [k for k in st.session_state if str(k).startswith(RESTORED_PREFIX)]:
        del st.session_state[key]  # the page reads its URL state again, through its own rules
    if view.page != current and view.page in pages:
        st.switch_page(pages[view.page], query_params=params)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
