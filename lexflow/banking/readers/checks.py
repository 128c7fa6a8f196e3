"""Integrity checks every reader runs: what it read must agree with what the file itself states.

A reader that skips a line it cannot parse, or merges two entries into one, returns plausible but wrong
transactions. Two facts most statements carry catch that: how many entries the file holds (`:61:` lines, `Ntry`
elements, data rows), and the balances (opening + sum of entries = closing). A file failing either is refused,
naming the check, so no wrong number ever reaches the matcher.
"""

from __future__ import annotations

from decimal import Decimal

from lexflow.banking.errors import StatementError


def check_count(source: str, where: str, stated: int, read: int, what: str) -> None:
    """`stated` entries in the file (counted on the raw text/tree), `read` returned by the reader."""
    if stated != read:
        raise StatementError(
            source,
            where,
            f"integrity check 'entry count' failed: the file holds {stated} {what}, the reader got {read}; "
            "refusing rather than returning an incomplete statement",
        )


def check_balance(
    source: str, where: str, opening: Decimal | None, total: Decimal, closing: Decimal | None, *, places: int = 2
) -> None:
    """Opening balance + signed sum of the entries must equal the closing balance (skipped if one is missing)."""
    if opening is None or closing is None:
        return
    quantum = Decimal(1).scaleb(-places)
    if (opening + total).quantize(quantum) != closing.quantize(quantum):
        raise StatementError(
            source,
            where,
            f"integrity check 'balance' failed: opening {opening} + entries {total} = {opening + total}, "
            f"but the file states closing {closing}; an entry is missing or misread",
        )
