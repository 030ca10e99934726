"""Checking a learner's guess before the answer is revealed ("guess before reveal")."""

from __future__ import annotations

import re


def parse_shape_guess(text: str) -> tuple[int, ...] | None:
    """The whole numbers in ``text`` as a shape: ``"(3, 3, 1)"``, ``"3x3x1"`` and ``"3 3 1"`` all give ``(3, 3, 1)``."""
    numbers = re.findall(r"\d+", text or "")
    return tuple(int(n) for n in numbers) if numbers else None


def parse_count_guess(text: str) -> int | None:
    """A count written with or without thousands separators: ``"104,202"``, ``"104 202"``, ``"104202"``."""
    digits = re.sub(r"(?<=\d)[,\s_.](?=\d{3}\b)", "", (text or "").strip())
    return int(digits) if re.fullmatch(r"\d+", digits) else None


def guess_error(guess: int, answer: int) -> float:
    """Relative error of a count guess: ``|guess - answer| / answer``."""
    return abs(guess - answer) / answer if answer else float(guess != answer)
