"""sevDesk's payment reminders (`createInvoiceReminder`, capability `dunning`): a draft MA invoice for the open
amount, created once even when the answer is lost, refused for invoices that are not open, and never listed as a
debt of its own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from lexflow.core import InvalidRecord
from lexflow.core.models import DunningDraft, PaymentDraft
from lexflow.sevdesk.adapter import SevdeskAdapter
from lexflow.sevdesk.client import SevdeskClient
from lexflow.sevdesk.sandbox import ServedSevdesk
from tests.sevdesk.test_adapter import _invoice
from tests.sevdesk.test_client import fault, fired

TODAY = dt.date.today()


@pytest.fixture
def provider(client: SevdeskClient) -> SevdeskAdapter:
    return SevdeskAdapter(client)


def test_reminder_is_a_draft_for_the_open_amount_created_once(
    provider: SevdeskAdapter, client: SevdeskClient, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    invoice_id = _invoice(provider)  # 1,190.00, open
    provider.record_payment(PaymentDraft(invoice_id=invoice_id, amount=Decimal("190.00"), paid_on=TODAY))
    fault(control, "POST /Invoice/Factory/createInvoiceReminder", "timeout_after_commit")
    made = provider.create_dunning(DunningDraft(invoice_id=invoice_id, as_of=TODAY))
    assert fired(control)  # the answer was lost; the lookup found the reminder instead of creating a second
    [reminder] = client.reminders(int(invoice_id))
    assert str(reminder.id) == made.id and reminder.status == 100 and reminder.invoice_type == "MA"
    assert reminder.sum_gross == Decimal("1000.00") and made.open_amount is not None
    assert made.open_amount.amount == Decimal("1000.00")
    assert sevdesk.state.need("Invoice", int(invoice_id))["dunningLevel"] == "1"


def test_a_sent_reminder_is_no_second_debt(provider: SevdeskAdapter, client: SevdeskClient) -> None:
    invoice_id = _invoice(provider)
    made = provider.create_dunning(DunningDraft(invoice_id=invoice_id, as_of=TODAY))
    client.send_invoice_by(int(made.id), "VPDF")  # a person sent it: now open (200) in sevDesk
    assert client.get_invoice(int(made.id)).status == 200
    listed = [i.id for i in provider.list_invoices(["open", "overdue"])]
    assert invoice_id in listed and made.id not in listed


def test_only_open_invoices_and_no_fee(provider: SevdeskAdapter) -> None:
    draft_id = _invoice(provider, finalize=False)
    with pytest.raises(InvalidRecord, match="only open invoices"):
        provider.create_dunning(DunningDraft(invoice_id=draft_id, as_of=TODAY))
    open_id = _invoice(provider)
    with pytest.raises(InvalidRecord, match="fee"):
        provider.create_dunning(DunningDraft(invoice_id=open_id, as_of=TODAY, fee=Decimal("5.00")))
