"""Bank transactions as the accounting system reads them (where it can: capability read_bank_transactions)."""

from __future__ import annotations

from datetime import date
from itertools import islice

from pydantic import Field

from lexflow.actions.io import EXAMPLE_ID
from lexflow.actions.neutral._catalogue import neutral_action
from lexflow.actions.neutral._io import ById, Limited, Listed
from lexflow.core.models import BankTransaction
from lexflow.core.provider import Provider

_WHERE_NOT = (
    " Systems that cannot read bank transactions (Lexware Office, QuickBooks Online) fail with capability_missing; "
    "reconciliation then reads your bank's statement files."
)


@neutral_action(
    "get_bank_transaction",
    description="One bank transaction: date, signed amount, counterparty, purpose." + _WHERE_NOT,
    scope="bank_transactions:read",
    effect="read",
    idempotent=True,
    examples=({"id": EXAMPLE_ID},),
)
def get_bank_transaction(provider: Provider, data: ById) -> BankTransaction:
    return provider.get_bank_transaction(data.id)


class ListBankTransactionsInput(Limited):
    booked_from: date | None = None
    booked_to: date | None = None
    account_ref: str | None = Field(default=None, max_length=64, description="The system's bank account id.")


class BankTransactionList(Listed):
    items: list[BankTransaction]


@neutral_action(
    "list_bank_transactions",
    description="Bank transactions by booking date and account." + _WHERE_NOT,
    scope="bank_transactions:read",
    effect="read",
    idempotent=True,
    examples=({"booked_from": "2026-11-01"},),
)
def list_bank_transactions(provider: Provider, data: ListBankTransactionsInput) -> BankTransactionList:
    rows = provider.list_bank_transactions(
        booked_from=data.booked_from, booked_to=data.booked_to, account_ref=data.account_ref
    )
    items = list(islice(rows, data.limit + 1))
    return BankTransactionList(items=items[: data.limit], truncated=len(items) > data.limit)
