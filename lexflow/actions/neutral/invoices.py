"""Invoices: create, get, list (by normalised status, `overdue` included), update."""

from __future__ import annotations

from datetime import date
from itertools import islice
from typing import Any

from pydantic import Field

from lexflow.actions.io import EXAMPLE_ID, Input, Output
from lexflow.actions.neutral._catalogue import neutral_action
from lexflow.actions.neutral._io import ById, Limited, Listed
from lexflow.actions.registry import Effect
from lexflow.core.models import Invoice, InvoiceDraft, InvoiceSummary, StatusFilter
from lexflow.core.provider import Provider


class CreateInvoiceInput(InvoiceDraft, Input):
    pass


class CreateInvoiceOutput(Output):
    invoice: Invoice
    already_existed: bool = Field(default=False, description="An invoice with this reference was found; none created.")


def _finalize_effect(data: Any) -> Effect:
    return "irreversible" if data.finalize else "write"


@neutral_action(
    "create_invoice",
    description="Create an invoice for a customer in the configured accounting system, as a draft or (finalize=true) "
    "final. Tax per line is a tax key (standard, reduced, zero) or the system's own code. With a reference, an "
    "invoice already carrying it is returned instead of creating a second one. Where the system has no drafts, "
    "finalize=false fails with capability_missing.",
    scope="invoices:write",
    effect="irreversible",
    input_effect=_finalize_effect,
    examples=(
        {
            "customer_id": EXAMPLE_ID,
            "payment_term_days": 14,
            "reference": "ORDER-2026-117",
            "lines": [
                {"name": "Beratung", "quantity": "2", "unit": "Stunde", "unit_price": "100.00", "tax": "standard"}
            ],
        },
    ),
)
def create_invoice(provider: Provider, data: CreateInvoiceInput) -> CreateInvoiceOutput:
    if data.reference:
        existing = provider.find_invoice(data.reference, data.customer_id)
        if existing is not None:
            return CreateInvoiceOutput(invoice=existing, already_existed=True)
    draft = InvoiceDraft.model_validate(data.model_dump())
    return CreateInvoiceOutput(invoice=provider.create_invoice(draft))


@neutral_action(
    "get_invoice",
    description="One invoice with its lines, totals, open amount, normalised status (draft, awaiting_approval, open, "
    "partially_paid, paid, void), overdue flag and the system's own status.",
    scope="invoices:read",
    effect="read",
    idempotent=True,
    examples=({"id": EXAMPLE_ID},),
)
def get_invoice(provider: Provider, data: ById) -> Invoice:
    return provider.get_invoice(data.id)


class ListInvoicesInput(Limited):
    status: list[StatusFilter] = Field(
        default_factory=list,
        max_length=7,
        description="Any of these normalised statuses (overdue included); empty: all.",
    )
    customer_id: str | None = Field(default=None, max_length=64)
    issued_from: date | None = None
    issued_to: date | None = None


class InvoiceList(Listed):
    items: list[InvoiceSummary]


@neutral_action(
    "list_invoices",
    description='Invoices without their lines, filtered by normalised status (e.g. ["open", "partially_paid"] '
    'or ["overdue"]), customer and issue date.',
    scope="invoices:read",
    effect="read",
    idempotent=True,
    examples=({"status": ["overdue"]}, {"status": ["open", "partially_paid"], "customer_id": EXAMPLE_ID}),
)
def list_invoices(provider: Provider, data: ListInvoicesInput) -> InvoiceList:
    rows = provider.list_invoices(
        data.status, customer_id=data.customer_id, issued_from=data.issued_from, issued_to=data.issued_to
    )
    items = list(islice(rows, data.limit + 1))
    return InvoiceList(items=items[: data.limit], truncated=len(items) > data.limit)


class UpdateInvoiceInput(InvoiceDraft, Input):
    id: str = Field(min_length=1, max_length=64, description="The invoice to change.")


@neutral_action(
    "update_invoice",
    description="Replace an invoice's customer, lines and terms where the system allows it (its capability "
    "update_invoice says when); elsewhere it fails with capability_missing naming what to do instead.",
    scope="invoices:write",
    effect="write",
    examples=(
        {
            "id": EXAMPLE_ID,
            "customer_id": EXAMPLE_ID,
            "lines": [{"name": "Beratung", "unit_price": "100", "tax": "standard"}],
        },
    ),
)
def update_invoice(provider: Provider, data: UpdateInvoiceInput) -> Invoice:
    return provider.update_invoice(data.id, InvoiceDraft.model_validate(data.model_dump(exclude={"id"})))
