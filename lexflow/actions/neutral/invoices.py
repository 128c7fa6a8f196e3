"""Invoices: preview, create, get, list (by normalised status, `overdue` included), update, cancel, download the PDF."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import islice
from typing import Any

from pydantic import Field

from lexflow.actions.errors import InvalidInput
from lexflow.actions.io import EXAMPLE_ID, FileOutput, Input, Output, SavesFile
from lexflow.actions.neutral._catalogue import neutral_action
from lexflow.actions.neutral._io import ById, Limited, Listed
from lexflow.actions.registry import Effect
from lexflow.core.models import Cancellation, Invoice, InvoiceDraft, InvoicePreview, InvoiceSummary, StatusFilter
from lexflow.core.provider import Provider

_DRAFT_EXAMPLE: dict[str, Any] = {
    "customer_id": EXAMPLE_ID,
    "payment_term_days": 14,
    "reference": "ORDER-2026-117",
    "lines": [{"name": "Beratung", "quantity": "2", "unit": "Stunde", "unit_price": "100.00", "tax": "standard"}],
}


class PreviewInvoiceInput(InvoiceDraft, Input):
    pass


@neutral_action(
    "preview_invoice",
    description="Compute an invoice's exact totals locally, rounded and taxed the way the configured accounting "
    "system will, without creating anything, plus warnings for what the system would refuse. Use it before "
    "create_invoice so an approver sees the final numbers; pass its total_gross as expected_total_gross.",
    scope="invoices:read",
    effect="read",
    idempotent=True,
    examples=(_DRAFT_EXAMPLE,),
)
def preview_invoice(provider: Provider, data: PreviewInvoiceInput) -> InvoicePreview:
    return provider.preview_invoice(InvoiceDraft.model_validate(data.model_dump()))


class CreateInvoiceInput(InvoiceDraft, Input):
    expected_total_gross: Decimal | None = Field(
        default=None,
        max_digits=16,
        decimal_places=2,
        description="The gross total the approver saw in preview_invoice; creation refuses if it differs.",
    )


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
    examples=(_DRAFT_EXAMPLE, {**_DRAFT_EXAMPLE, "finalize": True, "expected_total_gross": "238.00"}),
)
def create_invoice(provider: Provider, data: CreateInvoiceInput) -> CreateInvoiceOutput:
    draft = InvoiceDraft.model_validate(data.model_dump(exclude={"expected_total_gross"}))
    if data.expected_total_gross is not None:
        preview = provider.preview_invoice(draft)
        if preview.total_gross != data.expected_total_gross:
            raise InvalidInput(
                f"expected_total_gross {data.expected_total_gross} differs from the computed {preview.total_gross}; "
                "nothing was created. Run preview_invoice again and have the new total approved."
            )
        if preview.warnings:
            raise InvalidInput("; ".join(preview.warnings))
    if data.reference:
        existing = provider.find_invoice(data.reference, data.customer_id)
        if existing is not None:
            return CreateInvoiceOutput(invoice=existing, already_existed=True)
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


class InvoiceDocumentInput(SavesFile):
    invoice_id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$", description="The provider's id.")


class _Pdf:
    """`FileOutput.from_download`'s view of downloaded bytes."""

    media_type = "application/pdf"

    def __init__(self, content: bytes, filename: str) -> None:
        self.content, self.filename = content, filename


@neutral_action(
    "invoice_document",
    description="Download an invoice as PDF, as the accounting system renders it (some systems render final "
    "invoices only). Returns metadata; the bytes only with include_content, or written to save_to.",
    scope="invoices:read",
    effect="read",
    idempotent=True,
    examples=({"invoice_id": EXAMPLE_ID},),
)
def invoice_document(provider: Provider, data: InvoiceDocumentInput) -> FileOutput:
    content = provider.invoice_pdf(data.invoice_id)
    return FileOutput.from_download(_Pdf(content, f"invoice-{data.invoice_id}.pdf"), data)


class CancelInvoiceInput(Input):
    invoice_id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$", description="The provider's id.")
    reason: str = Field(
        min_length=3, max_length=500, description="Why; printed on the credit note where the system prints one."
    )


class CancelInvoiceOutput(Output):
    cancellation: Cancellation
    already_existed: bool = Field(default=False, description="The invoice was cancelled already; nothing was sent.")


@neutral_action(
    "cancel_invoice",
    description="Cancel a final invoice the way the accounting system can (its capability cancel_invoice says how): "
    "a linked credit note for the full amount (Lexware Office, sevDesk's cancellation invoice) or a void (Xero, "
    "QuickBooks). One cancellation per invoice: a second call returns the first. A state the system refuses (a "
    "draft; in Xero an invoice with payments) fails with not_cancellable naming what to do instead.",
    scope="credit_notes:write",  # as before the move: a profile that may write invoices may not cancel them
    effect="irreversible",
    examples=({"invoice_id": EXAMPLE_ID, "reason": "Doppelt berechnet"},),
)
def cancel_invoice(provider: Provider, data: CancelInvoiceInput) -> CancelInvoiceOutput:
    existing = provider.find_cancellation(data.invoice_id)
    if existing is not None:
        return CancelInvoiceOutput(cancellation=existing, already_existed=True)
    return CancelInvoiceOutput(cancellation=provider.cancel_invoice(data.invoice_id, data.reason))
