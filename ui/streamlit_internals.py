"""Every use of Streamlit's private internals, in one module, behind one version check.

Streamlit has no public API for three things this app does; each is used here and nowhere else, and each has a
public-API fallback, so that a Streamlit upgrade slows a feature down at worst and never silently switches it off:

- **Follow the lecturer** reruns a follower's session from the lecturer's script run (the runtime's session
  manager, a session's client state, fragment storage and script runner). Fallback: each follower polls the
  published view with a ``st.fragment(run_every=...)`` (:func:`ui.follow.follow`), about a second behind.
- **The per-run language cache** tells one script run from the next by its cursor map (``ctx.cursors``). Fallback:
  the session state is read at every lookup (slower, same texts).
- **Server tuning** (below): fallback is Streamlit's own code, untouched.

:func:`supported` is the one check: this Streamlit is the version these were written and tested against, every
private name is where it was, and ``CNN_CLASSROOM_STREAMLIT_INTERNALS`` is not ``off`` (an escape hatch, and how the
tests run the fallbacks). :func:`check` runs it once at start-up and logs the outcome; the lecturer's class board
shows it (:func:`fallback_notice`).

Server tuning:
Streamlit's own per-rerun work that a whole class pays for, trimmed in place (Streamlit 1.67 only).

Two hot spots, found with yappi and cProfile on this project's concept pages:

- **The theme, on every rerun.** Every script run, fragment reruns included, starts with a ``new_session``
  message, and Streamlit builds its theme part by walking the whole config (about 300 options) six times, once
  per theme section (``config.get_options_for_section``): 40% of the event-loop thread's CPU for a one-widget
  page. The theme does not change while the server runs, so each section's values are kept until one of its
  options is set again (``ConfigOption.set_value`` replaces the option's value function) or the config is parsed
  again (a new options dict).
- **Every widget copies the whole session state.** ``number_input``, ``selectbox``, ``radio`` and ``slider`` build
  ``filtered_state`` (every key of the session, each value looked up and presented) only to ask whether their own
  key is there and holds ``None``. With the 40-odd keys of a convolution-page session that was a fifth of the
  section's CPU. They now get a view that answers for that one key through the session state's own lookup (the
  same ``SessionState.__getitem__`` that ``filtered_state`` calls for each key).

Measured one session at a time in classroom mode (server CPU per interaction, 2-core AMD EPYC): convolution
20.5 → 15.7 ms, pooling 23.5 → 20.0 ms (the widget view); 23.7 → 21.2 and 28.5 → 25.2 ms (the theme).

Applied once per server process from ``app.py`` when :func:`supported`. ``tests/test_server_tuning.py`` checks both against Streamlit's own results.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import streamlit
from streamlit import config
from streamlit.runtime.scriptrunner import get_script_run_ctx

logger = logging.getLogger(__name__)

TESTED_VERSION = "1.67.0"
SWITCH = "CNN_CLASSROOM_STREAMLIT_INTERNALS"
"""Set to ``off`` to run every feature on its public-API fallback."""

try:  # private modules: absent or moved in another Streamlit, which then runs the fallbacks
    from streamlit.elements.widgets import number_input as _number_input
    from streamlit.elements.widgets import radio as _radio
    from streamlit.elements.widgets import selectbox as _selectbox
    from streamlit.elements.widgets import slider as _slider
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.runtime import Runtime
    from streamlit.runtime.state.common import GENERATED_ELEMENT_ID_PREFIX
    from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX

    _IMPORT_ERROR: str | None = None
    _widget_modules = (_number_input, _radio, _selectbox, _slider)
except ImportError as err:  # pragma: no cover - depends on the installed Streamlit
    _IMPORT_ERROR = f"{type(err).__name__}: {err}"
    _widget_modules = ()
    GENERATED_ELEMENT_ID_PREFIX = STREAMLIT_INTERNAL_KEY_PREFIX = "\0never"


def _missing_names() -> list[str]:
    """The private names this module needs that this Streamlit lacks."""
    if _IMPORT_ERROR:
        return [_IMPORT_ERROR]
    from streamlit.runtime.app_session import AppSession  # noqa: PLC0415 - checked once, only here

    needed = {
        "Runtime.instance": hasattr(Runtime, "instance"),
        "AppSession.request_rerun": hasattr(AppSession, "request_rerun"),
        "AppSession.has_fragment": hasattr(AppSession, "has_fragment"),
        "ScriptRunContext.cursors": "cursors" in getattr(type(get_script_run_ctx), "__annotations__", {})
        or _ctx_has("cursors"),
        "widgets.get_session_state": all(hasattr(m, "get_session_state") for m in _widget_modules),
    }
    return [name for name, present in needed.items() if not present]


def _ctx_has(field: str) -> bool:
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext  # noqa: PLC0415

    return field in getattr(ScriptRunContext, "__dataclass_fields__", {})


@functools.cache
def _names_missing() -> tuple[str, ...]:
    try:
        return tuple(_missing_names())
    except Exception as err:  # noqa: BLE001 - any surprise in the private API means: use the fallbacks
        return (f"{type(err).__name__}: {err}",)


def _version_and_names_ok() -> tuple[bool, str]:
    if streamlit.__version__ != TESTED_VERSION:
        return False, f"Streamlit {streamlit.__version__}, tested with {TESTED_VERSION}"
    if missing := _names_missing():
        return False, f"Streamlit {streamlit.__version__} lacks {', '.join(missing)}"
    return True, ""


def supported() -> bool:
    """Whether the private internals may be used in this process (see the module's docstring)."""
    if os.environ.get(SWITCH, "").strip().lower() in ("off", "0", "false", "no"):
        return False
    return _version_and_names_ok()[0]


def why_unsupported() -> str:
    """Why :func:`supported` is ``False`` (empty when it is ``True``)."""
    if os.environ.get(SWITCH, "").strip().lower() in ("off", "0", "false", "no"):
        return f"{SWITCH}=off"
    return _version_and_names_ok()[1]


_checked: list[bool] = []


def check() -> bool:
    """At start-up (``app.py``, once a process): log whether the internals are used or the fallbacks run."""
    ok = supported()
    if not _checked:
        _checked.append(ok)
        if ok:
            logger.info(
                "Streamlit %s: using its internals for following, the language cache and tuning", TESTED_VERSION
            )
        else:
            logger.warning(
                "Streamlit internals not used (%s): follow-the-lecturer polls once a second, the server runs untuned",
                why_unsupported(),
            )
    return ok


# --- The current script run -------------------------------------------------------------------------------


_RUN_MEMO = "_cnn_classroom_run_memo"


def run_memo() -> dict | None:
    """A dict that lives for this script run only (``None`` where runs cannot be told apart: compute each time).

    A run is told from the next by its cursor map, which Streamlit renews at the start of every run."""
    if not supported():
        return None
    ctx = get_script_run_ctx()
    run = getattr(ctx, "cursors", None)
    if run is None:
        return None
    kept = getattr(ctx, _RUN_MEMO, None)
    if kept is None or kept[0] is not run:
        kept = (run, {})
        setattr(ctx, _RUN_MEMO, kept)
    return kept[1]


def current_session_id() -> str | None:
    """This script run's session id (``None`` outside a script run)."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else None


def in_fragment_run() -> bool:
    """Whether this script run reruns only a fragment (``False`` when it cannot be told)."""
    ctx = get_script_run_ctx()
    return bool(ctx and getattr(ctx, "fragment_ids_this_run", None))


# --- Rerunning another session (follow the lecturer) ------------------------------------------------------


def active_session(session_id: str) -> Any | None:
    """The live session with this id (``None`` when it is gone or the internals are not supported)."""
    if not supported():
        return None
    try:
        manager = Runtime.instance()._session_mgr  # noqa: SLF001 - no public way to rerun another session
    except (RuntimeError, AttributeError):
        return None
    info = manager.get_active_session_info(session_id)
    return None if info is None else info.session


def rerun_session(session, section: str = "") -> str:
    """Ask ``session`` to rerun with its browser's last client state: only the fragment keyed ``section`` when it
    has drawn one (the newest id it still has), else the whole page. Returns the fragment id rerun ("" for the
    whole page)."""
    state = ClientState()
    state.CopyFrom(getattr(session, "_client_state", ClientState()))  # noqa: SLF001
    state.fragment_id = ""
    if section:
        try:
            ids = session._fragment_storage.resolve_target(section)  # noqa: SLF001
        except Exception:  # noqa: BLE001 - not drawn there yet: the whole page reruns
            ids = []
        # a section drawn again by a full run may leave an older id behind; Streamlit silently drops a rerun
        # of a fragment it no longer has, so only an id it has will do
        live = [i for i in ids if session.has_fragment(i)]
        state.fragment_id = live[-1] if live else ""
    session.request_rerun(state)
    return state.fragment_id


def script_running(session) -> bool:
    return session._scriptrunner is not None  # noqa: SLF001


def session_value(session, key: str, default: object = None) -> object:
    """``key`` in another session's state (``default`` when unset or the session is closing)."""
    try:
        return session._session_state[key]  # noqa: SLF001
    except Exception:  # noqa: BLE001
        return default


# --- Server tuning ----------------------------------------------------------------------------------------

_MARK = "_cnn_classroom_tuned"


def cached_options_for_section(original: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """``config.get_options_for_section`` with each section's values kept while none of its options changes.

    An entry is valid while the options dict is the same object and each of the section's options still has the
    same value function (compared by identity; the entry holds them, so an id cannot be reused)."""
    cache: dict[str, tuple[dict, list[str], tuple, dict[str, Any]]] = {}
    lock = threading.Lock()

    def get_options_for_section(section: str) -> dict[str, Any]:
        options = config.get_config_options()
        with lock:
            entry = cache.get(section)
            if entry is not None and entry[0] is options:
                _, keys, funcs, values = entry
                if all(options[key]._get_val_func is func for key, func in zip(keys, funcs, strict=True)):  # noqa: SLF001
                    return dict(values)
            members = [option for option in options.values() if option.section == section]
            values = original(section)
            funcs = tuple(member._get_val_func for member in members)  # noqa: SLF001
            cache[section] = (options, [member.key for member in members], funcs, dict(values))
            return values

    setattr(get_options_for_section, _MARK, True)
    get_options_for_section.__wrapped__ = original  # Streamlit's own, for tests and for undoing
    return get_options_for_section


class OneKeyView:
    """The part of ``filtered_state`` a widget reads: whether its key is there, and the key's value.

    Keys that ``filtered_state`` leaves out (element ids, Streamlit's internal keys) are left out here too."""

    __slots__ = ("_state",)

    def __init__(self, state: Any) -> None:
        self._state = state

    def __contains__(self, key: object) -> bool:
        return (
            isinstance(key, str)
            and not key.startswith((GENERATED_ELEMENT_ID_PREFIX, STREAMLIT_INTERNAL_KEY_PREFIX))
            and key in self._state
        )

    def __getitem__(self, key: str) -> Any:
        return self._state[key]


class _WidgetSessionState:
    """The session state as a widget module sees it: everything as usual, ``filtered_state`` as a
    :class:`OneKeyView`."""

    __slots__ = ("_safe",)

    def __init__(self, safe: Any) -> None:
        self._safe = safe

    @property
    def filtered_state(self) -> OneKeyView:
        return OneKeyView(self._safe)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._safe, name)


def _widget_session_state(original: Callable[[], Any]) -> Callable[[], Any]:
    def get_session_state() -> Any:
        return _WidgetSessionState(original())

    setattr(get_session_state, _MARK, True)
    get_session_state.__wrapped__ = original
    return get_session_state


def install_server_tuning() -> bool:
    """Apply the trims to this process's Streamlit (idempotent); ``False`` when not applied."""
    if not supported():
        logger.info("Streamlit %s: server tuning is for %s only, not applied", streamlit.__version__, TESTED_VERSION)
        return False
    if not getattr(config.get_options_for_section, _MARK, False):
        config.get_options_for_section = cached_options_for_section(config.get_options_for_section)
    for module in _widget_modules:
        if not getattr(module.get_session_state, _MARK, False):
            module.get_session_state = _widget_session_state(module.get_session_state)
    return True
