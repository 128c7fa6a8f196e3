"""Integrity checks every reader runs: what it read must agree with what the file itself states.

A reader that skips a line it cannot parse, or merges two entries into one, returns plausible but wrong
transactions. Two facts most statements carry catch that: how many entries the file holds (`:61:` lines, `Ntry`
elements, data rows), and the balances (opening + sum of entries = closing). A file failing either is refused,
naming the check, so no wrong number ever reaches the matcher.

A person may still need to read a statement whose balances do not add up (edited or truncated exports): with
`accept_unbalanced` the balance checks mark its transactions `Unverified` instead of refusing, and reconciliation
then only proposes. The entry count is never overridable: a mismatch there means the reader lost entries.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from lexflow.banking.errors import StatementError
from lexflow.banking.transactions import Unverified

OVERRIDE = (
    "read it anyway with --accept-unbalanced (flow parameter accept_unbalanced); its transactions are then "
    "proposals for a person only"
)


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
    source: str,
    where: str,
    opening: Decimal | None,
    total: Decimal,
    closing: Decimal | None,
    *,
    places: int = 2,
    accept: bool = False,
) -> Unverified | None:
    """Opening balance + signed sum of the entries must equal the closing balance (skipped if one is missing).

    Refused when it does not; with `accept` the failure is returned instead, for the reader to mark its entries."""
    if opening is None or closing is None:
        return None
    quantum = Decimal(1).scaleb(-places)
    if (opening + total).quantize(quantum) == closing.quantize(quantum):
        return None
    return unbalanced(
        source,
        where,
        "balance",
        (closing - opening - total).quantize(quantum),
        f"opening {opening} + entries {total} = {opening + total}, but the file states closing {closing}; "
        "an entry is missing or misread",
        accept=accept,
    )


def unbalanced(
    source: str,
    where: str,
    check: Literal["balance", "running balance"],
    difference: Decimal,
    problem: str,
    *,
    accept: bool,
) -> Unverified:
    """A failed balance check: refused naming the check and the override, or (with `accept`) the mark to set."""
    if accept:
        cents = difference.quantize(Decimal("0.01"))
        return Unverified(
            check=check, file=source, location=where, difference=cents if cents == difference else difference
        )
    raise StatementError(source, where, f"integrity check '{check}' failed: {problem}; {OVERRIDE}")
