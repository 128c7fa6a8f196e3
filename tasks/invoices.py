"""Invoice tasks on the neutral actions: preview (read), create finalized (irreversible, once per request key),
settle an unknown outcome by the exact lookup of the reference, download the PDF. Every provider alike."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.actions.io import FileOutput
from lexflow.actions.neutral.invoices import CreateInvoiceInput, CreateInvoiceOutput
from lexflow.core.models import InvoiceDraft, InvoicePreview
from lexflow.operations import Operations, OutcomeUnknown, crash_point
from tasks.common import KEEP, key_from, run_action, run_logger

#: The operations-ledger kind of a finalized invoice (keyed by the flow's request key).
INVOICE = "invoice"
#: An unknown outcome older than this is not settled automatically: providers' `find_invoice` may look only a week
#: back for the reference (Lexware's voucher list, QuickBooks' query), so an older invoice might not be found and a
#: second one would be created.
LOOKUP_WINDOW = timedelta(days=6)


@task(name="preview-invoice", cache_policy=NO_CACHE)
def preview_invoice(draft: InvoiceDraft, profile: str | None = None) -> InvoicePreview:
    """Totals computed locally the provider's way: what the approver sees is what will be created."""
    out: InvoicePreview = run_action("preview_invoice", draft, profile=profile)
    return out


def finalized_invoice_input(draft: InvoiceDraft, expected_total_gross: Decimal) -> CreateInvoiceInput:
    """The exact `create_invoice` input the create task runs: what an approval for it must be bound to."""
    data = {**draft.model_dump(mode="json", exclude_none=True), "finalize": True}
    return CreateInvoiceInput.model_validate({**data, "expected_total_gross": str(expected_total_gross)})


@task(
    name="create-invoice",
    persist_result=True,
    cache_key_fn=key_from("create-invoice", "request_key"),
    cache_expiration=KEEP,
)
def create_invoice(
    draft: InvoiceDraft,
    request_key: str,
    approval_ref: str,
    expected_total_gross: Decimal,
    profile: str | None = None,
    *,
    request_digest: str,
    approver: str,
    database_url: str | None = None,
) -> CreateInvoiceOutput:
    """Create the invoice finalized, once per request key.

    The intent (with the approved draft and approval) goes into the operations ledger before the create, the
    outcome after. The draft carries the request's `reference`, so a repeat after an unknown outcome (a 504, a lost
    answer, a killed process) is answered by the provider's exact lookup of that reference (`find_invoice`) instead
    of a second invoice. `approval_ref` must name an approval bound to `finalized_invoice_input(draft, total)`."""
    if not draft.reference:
        raise ValueError("draft.reference is required: it is the business key a repeat looks the invoice up by")
    ops = Operations(database_url)
    intent = {
        "draft": draft.model_dump(mode="json", exclude_none=True),
        "approval_ref": approval_ref,
        "approver": approver,
        "expected_total_gross": str(expected_total_gross),
    }
    op = ops.begin(INVOICE, request_key, request_digest, target="create_invoice (finalized)", request=intent,
                   what=f"reference {draft.reference!r}")  # fmt: skip
    if op.done:
        return CreateInvoiceOutput.model_validate(op.result)
    crash_point("invoice:intent")
    data = finalized_invoice_input(draft, expected_total_gross)
    out: CreateInvoiceOutput = run_action("create_invoice", data, profile=profile, approval_ref=approval_ref)
    crash_point("invoice:answer")
    ops.finish(INVOICE, request_key, out.model_dump(mode="json"))
    crash_point("invoice:recorded")
    return out


@task(name="settle-invoice", cache_policy=NO_CACHE)
def settle_invoice(
    request_key: str, database_url: str | None = None, profile: str | None = None
) -> CreateInvoiceOutput | None:
    """Settle an earlier create whose outcome is unknown (its run died or lost the answer) by the exact lookup of
    its reference: found → recorded as done and returned; not found → recorded as not created (None), and the
    approval that attempt consumed is given back (it allowed a call that wrote nothing). Reads only."""
    from lexflow.actions.approvals import StoreApprovals
    from tasks.common import current_provider

    ops = Operations(database_url)
    op = ops.get(INVOICE, request_key)
    if op is None or not op.pending:
        raise ValueError(f"no unknown invoice outcome is recorded under {request_key!r}")
    reference = str(op.request["draft"]["reference"])
    if datetime.now(UTC).replace(tzinfo=None) - op.started_at > LOOKUP_WINDOW:
        raise OutcomeUnknown(
            op,
            f"the invoice for reference {reference!r} was possibly created on {op.started_at:%Y-%m-%d} "
            "(that run stopped before recording the outcome), longer ago than lexflow looks back. Check the "
            "invoice list for that reference; record the invoice by hand or use a new request_id.",
        )
    found = current_provider(profile).find_invoice(reference, op.request["draft"].get("customer_id"))
    if found is None:
        ops.fail(INVOICE, request_key, f"not created: no invoice carries reference {reference!r}")
        StoreApprovals().release(str(op.request["approval_ref"]))
        run_logger().info("invoice %s was not created by the earlier attempt; it may be created now", request_key)
        return None
    out = CreateInvoiceOutput(invoice=found, already_existed=True)
    ops.finish(INVOICE, request_key, out.model_dump(mode="json"))
    run_logger().info("invoice %s was created by the earlier attempt as %s", request_key, found.id)
    return out


@task(name="invoice-pdf", cache_policy=NO_CACHE)
def invoice_pdf(invoice_id: str, profile: str | None = None) -> bytes:
    """The final invoice as PDF bytes (not persisted: it can be downloaded again at any time)."""
    out: FileOutput = run_action(
        "invoice_document", {"invoice_id": invoice_id, "include_content": True}, profile=profile
    )
    return base64.b64decode(out.content_base64 or "")
