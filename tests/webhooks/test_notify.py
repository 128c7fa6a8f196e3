from __future__ import annotations

from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.notify import invoice_notice
from tests.webhooks.helpers import event_body


def test_invoice_notice_names_number_customer_amount_status_and_links() -> None:
    event = WebhookEvent.model_validate_json(event_body(resource_id="inv-9"))
    invoice = {
        "voucherNumber": "RE0042",
        "voucherStatus": "paid",
        "address": {"name": "Muster GmbH"},
        "totalPrice": {"currency": "EUR", "totalGrossAmount": 119.0},
    }
    text = invoice_notice(event, invoice)
    assert (
        text
        == "Invoice <https://app.lexware.de/permalink/invoices/view/inv-9|RE0042> for Muster GmbH (119.0 EUR) is paid."
    )
    gone = invoice_notice(event, None)
    assert "inv-9" in gone and "could not be read" in gone
