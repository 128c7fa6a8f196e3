"""Record a payment against an invoice ("update payment status"): never a status write, always a payment."""

from __future__ import annotations

from lexflow.actions.io import EXAMPLE_ID, Input
from lexflow.actions.neutral._catalogue import neutral_action
from lexflow.core.models import Payment, PaymentDraft
from lexflow.core.provider import Provider


class RecordPaymentInput(PaymentDraft, Input):
    pass


@neutral_action(
    "record_payment",
    description="Record a payment received for an invoice (partial or full); the invoice's status follows from it. "
    "Lexware Office cannot (capability_missing): there a person assigns the payment in the web app, and "
    "reconciliation shows the match.",
    scope="payments:write",
    effect="write",
    examples=({"invoice_id": EXAMPLE_ID, "amount": "238.00", "paid_on": "2026-11-30", "reference": "bank-line-4711"},),
)
def record_payment(provider: Provider, data: RecordPaymentInput) -> Payment:
    return provider.record_payment(PaymentDraft.model_validate(data.model_dump()))
