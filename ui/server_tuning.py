"""Streamlit's own per-rerun work that a whole class pays for, trimmed in place (Streamlit 1.67 only).

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

Applied once per server process from ``app.py``; any other Streamlit version is left untouched (the internals
may differ). ``tests/test_server_tuning.py`` checks both against Streamlit's own results.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import streamlit
from streamlit import config
from streamlit.runtime.state.common import GENERATED_ELEMENT_ID_PREFIX
from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX

logger = logging.getLogger(__name__)

TUNED_VERSION = "1.67.0"
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


def install() -> bool:
    """Apply the trims to this process's Streamlit (idempotent); ``False`` when not applied."""
    if streamlit.__version__ != TUNED_VERSION:
        logger.info("Streamlit %s: server tuning is for %s only, not applied", streamlit.__version__, TUNED_VERSION)
        return False
    if not getattr(config.get_options_for_section, _MARK, False):
        config.get_options_for_section = cached_options_for_section(config.get_options_for_section)
    from streamlit.elements.widgets import number_input, radio, selectbox, slider  # noqa: PLC0415

    for module in (number_input, radio, selectbox, slider):
        if not getattr(module.get_session_state, _MARK, False):
            module.get_session_state = _widget_session_state(module.get_session_state)
    return True
