"""One base class for the engine's coded, translatable errors.

``code`` names the rule that failed and ``details`` holds what was received, so a user interface can
explain it in any language from ``assets/i18n/*.toml`` (table ``catalog``, key ``code``); ``str()`` is the
English message in Keras's "Received: ..." style, for logs and tests.
"""

from __future__ import annotations


class CodedError(ValueError):
    """An input the engine refuses, with a code, the values it received and its i18n table."""

    catalog: str = "errors"

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.details = details
