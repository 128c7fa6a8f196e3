"""Invoice tasks: preview (read), create finalized (irreversible, once per request key), PDF download."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.operations import Operations, OutcomeUnknown, crash_point
from tasks.common import KEEP, key_from, run_action, run_logger

#: The operations-ledger kind of a finalized invoice (keyed by the flow's request key).
INVOICE = "invoice"
#: An unknown outcome older than this is not settled automatically: `create_invoice` looks a week back for the
#: reference (lexflow.actions.business.invoices), so an older invoice would not be found and a second one would be created.
LOOKUP_WINDOW = timedelta(days=6)


@task(name="preview-invoice", cache_policy=NO_CACHE)
def preview_invoice(draft: dict[str, Any], profile: str | None = None) -> dict[str, Any]:
    """Totals computed locally with the server's rules: what the approver sees is what will be created."""
    return run_action("preview_invoice", draft, profile=profile).model_dump(mode="json")


def finalized_invoice_input(draft: dict[str, Any], expected_total_gross: str) -> dict[str, Any]:
    """The exact `create_invoice` input `create_invoice` runs: what an approval for it must be bound to."""
    return {**draft, "finalize": True, "expected_total_gross": expected_total_gross}


@task(
    name="create-invoice",
    persist_result=True,
    cache_key_fn=key_from("create-invoice", "request_key"),
    cache_expiration=KEEP,
)
def create_invoice(
    draft: dict[str, Any],
    request_key: str,
    approval_ref: str,
    expected_total_gross: str,
    profile: str | None = None,
    *,
    request_digest: str,
    approver: str,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Create the invoice finalized, once per request key.

    The intent (with the approved draft and approval) goes into the operations ledger before the POST, the outcome
    after. The draft carries the request's `reference`, so a repeat after an unknown outcome (a 504, a lost answer,
    a killed process) is answered by `create_invoice`'s exact lookup of that reference instead of a second invoice.
    `approval_ref` must name an approval bound to `finalized_invoice_input(draft, expected_total_gross)`."""
    if not draft.get("reference"):
        raise ValueError("draft.reference is required: it is the business key a repeat looks the invoice up by")
    ops = Operations(database_url)
    intent = {
        "draft": draft,
        "approval_ref": approval_ref,
        "approver": approver,
        "expected_total_gross": expected_total_gross,
    }
    op = ops.begin(INVOICE, request_key, request_digest, target="POST /v1/invoices?finalize=true", request=intent,
                   what=f"reference {draft['reference']!r}")  # fmt: skip
    if op.done:
        return op.result
    crash_point("invoice:intent")
    data = finalized_invoice_input(draft, expected_total_gross)
    out = run_action("lexware_create_invoice", data, profile=profile, approval_ref=approval_ref).model_dump(mode="json")
    crash_point("invoice:answer")
    ops.finish(INVOICE, request_key, out)
    crash_point("invoice:recorded")
    return dict(out)


@task(name="settle-invoice", cache_policy=NO_CACHE)
def settle_invoice(request_key: str, database_url: str | None = None) -> dict[str, Any] | None:
    """Settle an earlier create whose outcome is unknown (its run died or lost the answer) by the exact lookup of
    its reference: found → recorded as done and returned; not found → recorded as not created (None), and the
    approval that attempt consumed is given back (it allowed a call that wrote nothing). Reads only."""
    from decimal import Decimal

    from lexflow.actions.approvals import StoreApprovals
    from lexflow.actions.business.invoices import CreateInvoiceOutput, find_invoice_by_reference
    from tasks.common import get_client

    ops = Operations(database_url)
    op = ops.get(INVOICE, request_key)
    if op is None or not op.pending:
        raise ValueError(f"no unknown invoice outcome is recorded under {request_key!r}")
    draft, gross = op.request["draft"], str(op.request["expected_total_gross"])
    if datetime.now(UTC).replace(tzinfo=None) - op.started_at > LOOKUP_WINDOW:
        raise OutcomeUnknown(
            op,
            f"the invoice for reference {draft['reference']!r} was possibly created on {op.started_at:%Y-%m-%d} "
            "(that run stopped before recording the outcome), longer ago than create_invoice looks back. Check the "
            "voucher list for that reference; record the invoice by hand or use a new request_id.",
        )
    client = get_client()
    found = find_invoice_by_reference(client, str(draft["reference"]), draft.get("contact_id"), Decimal(gross))
    if found is None:
        ops.fail(INVOICE, request_key, f"not created: no invoice carries reference {draft['reference']!r}")
        StoreApprovals().release(str(op.request["approval_ref"]))
        run_logger().info("invoice %s was not created by the earlier attempt; it may be created now", request_key)
        return None
    inv = client.invoices.get(found)
    out = CreateInvoiceOutput(
        invoice_id=found, already_existed=True, voucher_number=inv.voucher_number, voucher_status=inv.voucher_status,
        total_gross=inv.total_price.total_gross_amount if inv.total_price else None, preview_total_gross=Decimal(gross),
    ).model_dump(mode="json")  # fmt: skip
    ops.finish(INVOICE, request_key, out)
    run_logger().info("invoice %s was created by the earlier attempt as %s", request_key, found)
    return dict(out)


@task(name="invoice-pdf", cache_policy=NO_CACHE)
def invoice_pdf(invoice_id: str, profile: str | None = None) -> bytes:
    """The finalized invoice as PDF bytes (not persisted: it can be downloaded again at any time)."""
    out = run_action("invoice_document", {"invoice_id": invoice_id, "include_content": True}, profile=profile)
    return base64.b64decode(out.content_base64 or "")
