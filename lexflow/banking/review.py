"""Questions for a person about flagged proposals, as the approvals package's generic `DecisionRequest`.

Plain data (no Prefect): the flow hands these to `lexflow.approvals.request_approval`, which posts them to Slack
with Confirm / Dismiss buttons (or the Prefect UI form when Slack is not configured).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from lexflow.banking.reconcile import ReviewItem

_TITLE = {
    "partial": "Confirm payment match",
    "ambiguous": "Which invoice does this payment belong to?",
    "reversal": "Returned transfer: check the assignment",
    "exact": "Assign payment in Lexware Office",
}


def decision_request(
    item: ReviewItem, *, expires_in: timedelta = timedelta(hours=20), records_in: str | None = None
) -> Any:
    """A Confirm/Dismiss request for one flagged transaction (IBAN masked, deeplinks to the invoices).

    `records_in`: the accounting system that records the payment once confirmed (capability record_payment);
    None where a person assigns it there (Lexware Office)."""
    from lexflow.approvals.models import CONFIRM, DISMISS, DecisionRequest, Link, Summary, SummaryField, SummaryLine

    lines = [
        SummaryLine(
            description=f"{a['voucher']}"
            + (f" (cash discount {a['cash_discount']})" if a["cash_discount"] not in ("0", "0.00") else ""),
            amount=a["amount"],
        )
        for a in item.allocations
    ] or [SummaryLine(description=f"candidate {v}") for v in item.vouchers[:10]]
    fields = [
        SummaryField(label="Booked", value=item.booking_date.isoformat()),
        SummaryField(label="Amount", value=f"{item.amount:,.2f} EUR"),
        SummaryField(label="Counterparty", value=f"{item.counterparty or '-'} ({item.counterparty_iban})"[:500]),
        SummaryField(label="Text", value=item.remittance[:500] or "-"),
        SummaryField(label="Class", value=f"{item.kind}, confidence {item.confidence:.0%}"),
        SummaryField(label="Why", value="; ".join(item.reasons)[:500]),
        SummaryField(label="Note", value=item.note[:500]),
    ]
    links = [
        Link(label=f"Open {v} in Lexware Office"[:75], url=url)
        for v, url in zip(item.vouchers, item.links, strict=False)
    ][:5]
    title = _TITLE.get(item.kind, "Bank transaction")
    if records_in and item.allocations:
        title = f"Record payment in {records_in}"
    subject = f"{title}: {item.amount:,.2f} EUR from {item.counterparty or 'unknown'}"
    key = "bank-" + re.sub(r"[^a-z0-9]+", "-", item.transaction_id.lower())[-32:].strip("-")
    return DecisionRequest(
        subject=subject[:150],
        summary=Summary(fields=fields, lines=lines),
        choices=[CONFIRM, DISMISS],
        links=links,
        kind="reconciliation",
        key=key,
        expires_in=expires_in,
    )
