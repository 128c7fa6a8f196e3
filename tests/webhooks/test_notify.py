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
    text = invoice_notice(event, invoice, on_sandbox=False)
    assert (
        text
        == "Invoice <https://app.lexware.de/permalink/invoices/view/inv-9|RE0042> for Muster GmbH (119.0 EUR) is paid."
    )
    gone = invoice_notice(event, None, on_sandbox=False)
    assert "inv-9" in gone and "could not be read" in gone


def test_on_the_sandbox_the_notice_names_the_invoice_without_a_web_app_link(monkeypatch) -> None:
    """A sandbox id exists in no Lexware Office web app: a permalink would open a stranger's "not found" page."""
    for name in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY", "LEXWARE_OAUTH_CLIENT_ID", "LEXWARE_OAUTH_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    from lexflow.settings import get_settings

    get_settings.cache_clear()
    event = WebhookEvent.model_validate_json(event_body(resource_id="inv-9"))
    invoice = {"voucherNumber": "RE0042", "voucherStatus": "open", "address": {"name": "Muster GmbH"}}
    try:
        text = invoice_notice(event, invoice)
    finally:
        get_settings.cache_clear()
    assert text == "Invoice RE0042 for Muster GmbH is open."
    assert "lexware.de" not in invoice_notice(event, None, on_sandbox=True)
