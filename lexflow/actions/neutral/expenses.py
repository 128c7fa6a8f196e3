"""Expenses: a supplier invoice or receipt with its file; list them."""

from __future__ import annotations

import base64
from datetime import date
from itertools import islice

from pydantic import Field

from lexflow.actions.io import FileContent, Input
from lexflow.actions.neutral._catalogue import neutral_action
from lexflow.actions.neutral._io import Limited, Listed
from lexflow.core.models import CurrencyCode, Expense, ExpenseDraft, ExpenseItemDraft, Receipt
from lexflow.core.provider import Provider


class CreateExpenseInput(Input):
    supplier_name: str | None = Field(default=None, max_length=255)
    supplier_id: str | None = Field(default=None, max_length=64)
    number: str = Field(min_length=1, max_length=64, description="The supplier's invoice or receipt number.")
    issue_date: date
    due_date: date | None = None
    currency: CurrencyCode = "EUR"
    prices_include_tax: bool = True
    items: list[ExpenseItemDraft] = Field(min_length=1, max_length=100)
    receipt: FileContent
    note: str | None = Field(default=None, max_length=1000)


@neutral_action(
    "create_expense",
    description="Book a supplier invoice or receipt with its file (PDF, JPG, PNG). Totals come from the items. The "
    "supplier's number is the business key: an expense with that number and total is returned, not booked twice.",
    scope="expenses:write",
    effect="write",
    idempotent=True,
    examples=(
        {
            "supplier_name": "Bürobedarf AG",
            "number": "R-2026-17",
            "issue_date": "2026-11-20",
            "items": [{"amount": "119.00", "tax": "standard", "category": "Bürobedarf"}],
            "receipt": {"filename": "beleg.pdf", "content_base64": base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()},
        },
    ),
)
def create_expense(provider: Provider, data: CreateExpenseInput) -> Expense:
    fields = data.model_dump(exclude={"receipt"})
    receipt = Receipt(filename=data.receipt.filename, content=data.receipt.read())
    return provider.create_expense(ExpenseDraft.model_validate({**fields, "receipt": receipt}))


class ListExpensesInput(Limited):
    issued_from: date | None = None
    issued_to: date | None = None
    supplier_id: str | None = Field(default=None, max_length=64)


class ExpenseList(Listed):
    items: list[Expense]


@neutral_action(
    "list_expenses",
    description="Expenses (supplier invoices and credit notes) without their items, by issue date and supplier.",
    scope="expenses:read",
    effect="read",
    idempotent=True,
    examples=({"issued_from": "2026-11-01"},),
)
def list_expenses(provider: Provider, data: ListExpensesInput) -> ExpenseList:
    rows = provider.list_expenses(issued_from=data.issued_from, issued_to=data.issued_to, supplier_id=data.supplier_id)
    items = list(islice(rows, data.limit + 1))
    return ExpenseList(items=items[: data.limit], truncated=len(items) > data.limit)
