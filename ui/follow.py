"""Follow the lecturer: the lecturer's page and its URL state are published; followers' pages switch to it.

The lecturer's session publishes whenever its page's URL state changed (:func:`ui.url_state.publish` calls
:func:`publish_lecturer_view`; :meth:`cnn_core.classroom.room.Classroom.publish_view` keeps the record). Followers do
not poll: the publishing run asks each follower's session to rerun, server side (as Streamlit's "run on save"
does), so a follower costs nothing while the lecturer's view stays the same.

What reruns is as small as the change. When the lecturer changed a widget inside a page section that is a
:func:`page_fragment` and the follower shows the same page, only that section reruns for the follower, and it
takes the lecturer's values as it starts (through the page's own rules: checked and clamped). Otherwise the
follower's whole page reruns: ``app.py`` calls :func:`follow`, which switches page when needed and lets the
page read the lecturer's URL state as if from a link. Rerunning another session needs Streamlit's internals
(:mod:`ui.streamlit_internals`); where they cannot be used, each follower's browser polls instead (a fragment
with ``run_every``, :func:`_poll_for_the_lecturer`): the same result, up to a second later. A follower keeps its own language, lecturer and projector
switches.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import time
from collections.abc import Callable
from functools import wraps

import streamlit as st

from cnn_core.classroom.room import Identity, LecturerView
from ui import streamlit_internals as internals
from ui.classroom import classroom, me
from ui.common import KEPT_PREFIX, t
from ui.url_rules import GLOBAL_KEYS, RESTORED_PREFIX, Rule

logger = logging.getLogger(__name__)

FOLLOW_KEY = "follow"
SEEN_KEY = "_follow_seen_version"
PAGE_KEY = "_follow_page"

_followers: dict[str, str] = {}
"""Following session id -> the page it showed at its last full run."""
_latest: list[LecturerView | None] = [None]  # this server's newest lecturer view (read from disk once)
_lock = threading.Lock()
_running_section: contextvars.ContextVar[str | None] = contextvars.ContextVar("running_section", default=None)


def latest_view() -> LecturerView | None:
    with _lock:
        if _latest[0] is None:
            _latest[0] = classroom().lecturer_view()
        return _latest[0]


def set_current_page(page: str) -> None:
    """Remember which page this run shows (``app.py``)."""
    st.session_state[PAGE_KEY] = page


def page_fragment(key: str, spec: dict[str, Rule]) -> Callable:
    """``@st.fragment(key=key)`` for a page section whose widgets are among ``spec`` (the page's URL state).

    A widget change inside reruns only the section. For a follower woken by the lecturer's change in the same
    section, the section first takes the lecturer's newer values for ``spec``'s keys.
    """

    def decorate(func: Callable[[], None]) -> Callable[[], None]:
        @st.fragment(key=key)
        @wraps(func)
        def section() -> None:
            fragment_run = internals.in_fragment_run()
            if fragment_run and st.session_state.get(FOLLOW_KEY):
                _take_view(spec)
            token = _running_section.set(key if fragment_run else None)
            try:
                func()
            finally:
                _running_section.reset(token)

        return section

    return decorate


def _take_view(spec: dict[str, Rule]) -> None:
    view = latest_view()
    if view is None or st.session_state.get(SEEN_KEY) == view.version:
        return
    if view.page != st.session_state.get(PAGE_KEY):
        return  # the full rerun that follows switches page
    st.session_state[SEEN_KEY] = view.version
    for key, rule in spec.items():
        if key in view.params:
            value = rule.parse(view.params[key])
            if value is not None:
                st.session_state[key] = value


RERUN_WAIT_S = 3.0


class _Waker(threading.Thread):
    """Wakes the followers after each change of the lecturer's view, one after the other, off the
    lecturer's script thread (the lecturer's page never waits for the class).

    One at a time: forty script threads started together spend most of their time fighting over the GIL (py-spy:
    half the samples waiting after each message). With 60 sessions and a training job, one at a time gave the same
    follow latency as two at a time and the other learners' clicks a p95 of 340 ms instead of 544 ms."""

    def __init__(self) -> None:
        super().__init__(name="follow-waker", daemon=True)
        self.views: queue.Queue[LecturerView] = queue.Queue()

    def run(self) -> None:
        while True:
            view = self.views.get()
            while not self.views.empty():  # only the newest view matters
                view = self.views.get_nowait()
            try:
                woken = self.wake(view)
                logger.info("lecturer view %s/%s (v%d): %d follower(s) rerun", view.page, view.section or "-", view.version, woken)  # fmt: skip
            except Exception:  # noqa: BLE001 - a waker that dies would silently stop following
                logger.exception("waking the followers failed")

    def wake(self, view: LecturerView) -> int:
        with _lock:
            followers = list(_followers.items())
        woken = 0
        for session_id, page in followers:
            session = internals.active_session(session_id)
            if session is None:
                with _lock:
                    _followers.pop(session_id, None)
                continue
            section = view.section if view.section and page == view.page else ""
            fragment = internals.rerun_session(session, section)
            _wait_until_idle(session)
            if fragment and _seen_version(session) < view.version:
                # the section's rerun did not take the view (Streamlit may drop a fragment rerun it cannot place):
                # the whole page then, so that no follower stays behind until the lecturer's next change
                internals.rerun_session(session)
                _wait_until_idle(session)
                logger.info("follower %s: section rerun missed v%d, whole page rerun", session_id, view.version)
            woken += 1
        return woken


def _wait_until_idle(session) -> None:
    deadline = time.monotonic() + RERUN_WAIT_S
    while internals.script_running(session) and time.monotonic() < deadline:
        time.sleep(0.002)


def _seen_version(session) -> int:
    try:
        return int(internals.session_value(session, SEEN_KEY, -1))
    except (TypeError, ValueError):
        return -1


_waker: list[_Waker | None] = [None]


def _wake_followers(view: LecturerView) -> None:
    if not internals.supported():
        return  # followers poll instead (:func:`_poll_for_the_lecturer`)
    with _lock:
        if _waker[0] is None or not _waker[0].is_alive():
            _waker[0] = _Waker()
            _waker[0].start()
        waker = _waker[0]
    waker.views.put(view)


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
    section = _running_section.get()
    view = classroom().publish_view(page, params, by=identity, at=time.time(), section=section or "")
    if view is None:
        return
    with _lock:
        _latest[0] = view
    _wake_followers(view)


def follow_toggle(identity: Identity) -> bool:
    """The sidebar's "Follow the lecturer" switch (learners in classroom mode); registers this session."""
    if identity.is_solo or identity.is_lecturer:
        return False
    if FOLLOW_KEY not in st.session_state:  # a new session, or after st.switch_page
        st.session_state[FOLLOW_KEY] = bool(st.session_state.get(KEPT_PREFIX + FOLLOW_KEY, False))
    following = st.sidebar.toggle(t("classroom.follow"), key=FOLLOW_KEY, help=t("classroom.follow_help"))
    st.session_state[KEPT_PREFIX + FOLLOW_KEY] = following
    session_id = internals.current_session_id()
    if session_id:
        with _lock:
            if following:
                _followers[session_id] = st.session_state.get(PAGE_KEY, "")
            else:
                _followers.pop(session_id, None)
    if not following:
        st.session_state.pop(SEEN_KEY, None)  # turning it on again jumps to where the lecturer is
    return following


POLL_EVERY_S = 1.0
"""The public-API fallback's pace: how often a follower's browser asks whether the lecturer moved on."""


@st.fragment(run_every=POLL_EVERY_S)
def _poll_for_the_lecturer() -> None:
    """Where Streamlit's internals cannot be used (:mod:`ui.streamlit_internals`): a follower's browser reruns this
    empty section every second; when the lecturer's view is newer than the one taken, the whole page reruns and
    :func:`follow` takes it."""
    view = latest_view()
    if view is not None and st.session_state.get(SEEN_KEY) != view.version:
        st.rerun(scope="app")


def follow_mode_notice(identity: Identity) -> None:
    """For the lecturer: say so when following runs on its public-API fallback (and why)."""
    if identity.is_lecturer and not internals.supported():
        st.info(t("board.follow_fallback", why=internals.why_unsupported()))


def follow(pages: dict[str, st.Page], current: str) -> None:
    """For a follower's full run: when the lecturer's view is newer than the last one taken, take it (switch
    page if needed; the page reads the lecturer's URL state as if from a link). Where Streamlit's internals cannot
    be used, then start polling for the next one (after taking this one: a poll in this run would rerun it)."""
    _take_latest_view(pages, current)
    if not internals.supported():
        with st.sidebar:
            _poll_for_the_lecturer()


def _take_latest_view(pages: dict[str, st.Page], current: str) -> None:
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
