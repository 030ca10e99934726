"""Streamlit's own per-rerun work that a whole class pays for, trimmed in place (Streamlit 1.67 only).

Every script run, fragment reruns included, starts with a ``new_session`` message, and Streamlit 1.67 builds its
theme part by walking the whole config (about 300 options) six times, once per theme section
(``config.get_options_for_section``). yappi on a one-widget page: 40% of the event-loop thread's CPU per rerun.
The theme does not change while the server runs, so the sections' values are kept until an option of the section
is set again (``ConfigOption.set_value`` replaces the option's value function) or the config is parsed again (a
new options dict).

Applied once per server process from ``app.py``; any other Streamlit version is left untouched (the internals
may differ), and ``tests/test_server_tuning.py`` checks the cached values against Streamlit's own function.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import streamlit
from streamlit import config

logger = logging.getLogger(__name__)

TUNED_VERSION = "1.67.0"
_MARK = "_cnn_classroom_cached"


def cached_options_for_section(original: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """``config.get_options_for_section`` with each section's values kept while none of its options changes.

    An entry is valid while the options dict is the same object and each of the section's options still has the
    same value function (compared by identity; the entry holds them, so an id cannot be reused)."""
    cache: dict[str, tuple[dict, tuple, dict[str, Any]]] = {}
    lock = threading.Lock()

    def get_options_for_section(section: str) -> dict[str, Any]:
        options = config.get_config_options()
        with lock:
            entry = cache.get(section)
            if entry is not None and entry[0] is options:
                members = [options[key] for key in entry[2]["keys"]]
                if all(m._get_val_func is f for m, f in zip(members, entry[1], strict=True)):  # noqa: SLF001
                    return dict(entry[2]["values"])
            members = [option for option in options.values() if option.section == section]
            values = original(section)
            funcs = tuple(m._get_val_func for m in members)  # noqa: SLF001
            cache[section] = (options, funcs, {"keys": [m.key for m in members], "values": dict(values)})
            return values

    setattr(get_options_for_section, _MARK, True)
    return get_options_for_section


def install() -> bool:
    """Apply the trims to this process's Streamlit (idempotent); ``False`` when not applied."""
    if streamlit.__version__ != TUNED_VERSION:
        logger.info("Streamlit %s: server tuning is for %s only, not applied", streamlit.__version__, TUNED_VERSION)
        return False
    if not getattr(config.get_options_for_section, _MARK, False):
        config.get_options_for_section = cached_options_for_section(config.get_options_for_section)
    return True
