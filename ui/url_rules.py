"""How a page's URL parameters are read back into widget values: one rule per shared widget key (no Streamlit
here; :mod:`ui.url_state` applies the rules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

GLOBAL_KEYS = ("lang", "lecture", "projector")
RESTORED_PREFIX = "_url_restored_"


@dataclass(frozen=True)
class Num:
    """An int (or float) widget value within ``[low, high]``."""

    low: float
    high: float
    is_float: bool = False

    def parse(self, text: str) -> int | float | None:
        try:
            value = float(text) if self.is_float else int(text)
        except ValueError:
            return None
        return min(max(value, self.low), self.high)


@dataclass(frozen=True)
class Choice:
    """One of fixed options (strings or ints)."""

    options: Sequence[object]

    def parse(self, text: str) -> object | None:
        for option in self.options:
            if str(option) == text:
                return option
        return None


@dataclass(frozen=True)
class Text:
    """Free text up to ``max_length`` characters (longer values are ignored)."""

    max_length: int

    def parse(self, text: str) -> str | None:
        return text if len(text) <= self.max_length else None


@dataclass(frozen=True)
class Many:
    """A list of short strings (a multiselect), written comma-separated; at most ``max_items``."""

    max_items: int

    def parse(self, text: str) -> list[str] | None:
        items = [item for item in text.split(",") if item]
        return items if len(items) <= self.max_items and all(len(i) <= 200 for i in items) else None


@dataclass(frozen=True)
class Flag:
    def parse(self, text: str) -> bool | None:
        return {"1": True, "true": True, "0": False, "false": False}.get(text.lower())


Rule = Num | Choice | Text | Many | Flag
"""How one URL parameter is read back into a widget value."""
