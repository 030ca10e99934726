"""A class challenge: the lecturer sets the data, the workload, an optional budget and a deadline; learners submit
their own models, which train as ordinary runs with that workload and are ranked on the class board.

:class:`Challenge` holds the rules and answers the questions about them (is it open, is a run within the budget,
may this viewer read that code); the classroom folder keeps the current one (``challenge.json``,
:meth:`cnn_core.classroom.room.Classroom.open_challenge`); submitting and ranking are
:mod:`cnn_core.runs.challenge`'s.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from enum import StrEnum

from cnn_core.core.errors import CodedError

TITLE_MAX = 80
MAX_DEADLINE_S = 7 * 24 * 3600


class ChallengeError(CodedError):
    """Refused by a challenge rule: ``no_challenge``, ``closed``, ``over_budget``, ``code_hidden``, ``bad_rules``."""

    catalog = "challenge_errors"


class CodeVisibility(StrEnum):
    """Who may read the submissions' code besides the lecturer and each submission's author."""

    AFTER_DEADLINE = "after_deadline"
    NEVER = "never"


@dataclass(frozen=True)
class Challenge:
    """The rules of one challenge. ``max_params`` and ``max_seconds`` are the budget (``None``: no limit)."""

    challenge_id: str
    title: str
    dataset: str
    epochs: int
    batch_size: int
    limit_per_class: int | None
    deadline: float
    code_visibility: CodeVisibility = CodeVisibility.AFTER_DEADLINE
    max_params: int | None = None
    max_seconds: float | None = None
    opened_at: float = 0.0
    opened_by: str = ""
    closed_at: float | None = None

    def __post_init__(self) -> None:
        title = " ".join(str(self.title).split())
        checks = {
            "title": 1 <= len(title) <= TITLE_MAX and title.isprintable(),
            "epochs": isinstance(self.epochs, int) and 1 <= self.epochs <= 1000,
            "batch_size": isinstance(self.batch_size, int) and 1 <= self.batch_size <= 1024,
            "limit_per_class": self.limit_per_class is None or 1 <= self.limit_per_class <= 100_000,
            "max_params": self.max_params is None or self.max_params >= 1,
            "max_seconds": self.max_seconds is None or self.max_seconds > 0,
            "deadline": self.opened_at < self.deadline <= self.opened_at + MAX_DEADLINE_S,
            "dataset": bool(self.dataset),
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            raise ChallengeError(
                "bad_rules", f"A challenge needs valid {', '.join(wrong)}. Received: {wrong[0]}={getattr(self, wrong[0])!r}",
                field=wrong[0],
            )  # fmt: skip
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "code_visibility", CodeVisibility(self.code_visibility))

    @classmethod
    def new(cls, at: float, minutes: float, **rules) -> Challenge:
        """A challenge opened at ``at`` that ends ``minutes`` later, with a fresh id."""
        return cls(challenge_id=secrets.token_hex(4), opened_at=at, deadline=at + minutes * 60, **rules)

    def is_open(self, at: float) -> bool:
        return self.closed_at is None and at < self.deadline

    def ended(self, at: float) -> bool:
        return not self.is_open(at)

    def within_budget(self, params: int | None, seconds: float | None) -> bool:
        """A submission counts in the ranking only within the parameter and time budget."""
        if self.max_params is not None and (params is None or params > self.max_params):
            return False
        return self.max_seconds is None or (seconds is not None and seconds <= self.max_seconds)

    def code_visible(self, viewer_id: str, viewer_is_lecturer: bool, author_id: str, at: float) -> bool:
        """The lecturer reads every submission, an author their own; the others' after the challenge ended, if the
        lecturer chose so."""
        if viewer_is_lecturer or viewer_id == author_id:
            return True
        return self.code_visibility == CodeVisibility.AFTER_DEADLINE and self.ended(at)

    def closed(self, at: float) -> Challenge:
        return dataclasses.replace(self, closed_at=at)

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "code_visibility": str(self.code_visibility)}

    @classmethod
    def from_dict(cls, data: dict) -> Challenge:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
