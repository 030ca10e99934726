"""UI text catalogues: one TOML file per language in ``assets/i18n``, looked up by dotted key."""

from __future__ import annotations

import functools
import logging
import tomllib
from pathlib import Path

logger = logging.getLogger(__name__)

CATALOGUE_DIR = Path(__file__).resolve().parents[2] / "assets" / "i18n"
LANGUAGES: tuple[str, ...] = ("ko", "en")
DEFAULT_LANGUAGE = "ko"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = str(value)
    return flat


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """All strings of ``lang`` as ``{"section.key": text}``."""
    if lang not in LANGUAGES:
        raise ValueError(f"Unknown language. Received: lang={lang!r}; expected one of {LANGUAGES}")
    with (CATALOGUE_DIR / f"{lang}.toml").open("rb") as fh:
        return _flatten(tomllib.load(fh))


def translate(key: str, lang: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled from ``values``.

    A missing key shows as ``[key]`` (and is logged) rather than breaking the page;
    the test suite fails on any key missing in either language.
    """
    text = catalogue(lang).get(key)
    if text is None:
        logger.warning("missing i18n key %r for %r", key, lang)
        return f"[{key}]"
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        logger.warning("bad placeholders for i18n key %r (%r)", key, lang)
        return text
