"""One exception family for the banking package: every message names the file location and the fix."""

from __future__ import annotations

from lexflow.errors import LexflowError


class BankingError(LexflowError):
    """Base class of every error raised by `lexflow.banking`."""


class StatementError(BankingError):
    """A statement file that cannot be read. `location` names the line (MT940, CSV) or element (CAMT.053)."""

    def __init__(self, source: str, location: str, problem: str) -> None:
        self.source = source
        self.location = location
        self.problem = problem
        super().__init__(f"{source}: {location}: {problem}")


class MissingExtra(BankingError):
    """An optional dependency (the `fints` extra) is not installed."""
