"""The one base of everything lexflow raises, so a caller can catch all of lexflow's errors with one `except`.

Each package keeps its own family below it (`ActionError`, `LexwareError`, `CoreError`, `BankingError`,
`WebhookError`, ...), and errors that are also a built-in kind (`ValueError`, `PermissionError`, ...) stay one.
This module imports nothing, so every layer can use it.
"""

from __future__ import annotations


class LexflowError(Exception):
    """Base of every exception lexflow raises."""
