"""lexflow's sevDesk client on the served sandbox: typed round trips, the retry matrix, and exactly-once writes
under faults (an unknown outcome is settled by a lookup on the business key, never by sending again)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from lexflow.sevdesk.client import SevdeskClient, SevdeskSettings, connect_sevdesk
from lexflow.sevdesk.models import InvoiceDraft, InvoiceLine, NewContact, NewVoucher, PaymentBooking, VoucherLine
from lexflow.sevdesk.sandbox import ServedSevdesk
from lexflow.transport import errors

TODAY = dt.date(2026, 3, 2)


def fault(control: httpx.Client, route: str, kind: str, count: int = 1) -> None:
    assert control.post("/faults", json={"route": route, "kind": kind, "count": count}).status_code == 201


def fired(control: httpx.Client) -> bool:
    return all(rule["remaining"] == 0 for rule in control.get("/faults").json()["rules"])


def draft(contact_id: int, key: str = "INV-7781", **extra: object) -> InvoiceDraft:
    line = InvoiceLine(name="Beratung", quantity=Decimal(10), price=Decimal(120), tax_rate=Decimal(19))
    return InvoiceDraft(business_key=key, contact_id=contact_id, invoice_date=TODAY, lines=[line], **extra)  # type: ignore[arg-type]


def invoices_with_note(sevdesk: ServedSevdesk, note: str) -> int:
    return sum(1 for doc in sevdesk.state.all("Invoice") if doc.get("customerInternalNote") == note)


# -------------------------------------------------------------------------------------------- round trips
def test_customer_with_email_and_address_found_by_email(client: SevdeskClient) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH", default_time_to_pay=14))
    assert contact.customer_number and contact.status == 1000 and contact.category and contact.category.id == 3
    client.add_email(contact.id, "billing@acme.example")
    client.add_address(contact.id, street="Hauptstr. 1", zip="10115", city="Berlin")
    other = client.create_contact(NewContact(name="Beta AG"))
    client.add_email(other.id, "info@beta.example")
    assert [c.id for c in client.find_contacts_by_email("  Billing@ACME.example ")] == [contact.id]
    assert client.find_contacts_by_email("nobody@example.com") == []
    assert [a.city for a in client.addresses(contact.id)] == ["Berlin"]


def test_email_search_scans_every_page(client: SevdeskClient, api: httpx.Client) -> None:
    contact = client.create_contact(NewContact(name="Many Mails AG"))
    for i in range(104):
        body = {
            "contact": {"id": contact.id, "objectName": "Contact"},
            "type": "EMAIL",
            "value": f"m{i}@x.example",
            "key": {"id": 2, "objectName": "CommunicationWayKey"},
        }
        assert api.post("/CommunicationWay", json=body).status_code == 201
    assert [c.id for c in client.find_contacts_by_email("m103@x.example")] == [contact.id]


def test_invoice_lifecycle_typed(client: SevdeskClient) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    saved = client.create_invoice_draft(draft(contact.id))
    invoice = saved.invoice
    assert (invoice.status, invoice.sum_net, invoice.sum_gross, invoice.business_key) == (100, 1200, 1428, "INV-7781")
    assert [p.name for p in saved.positions] == ["Beratung"]
    pdf = client.invoice_pdf(invoice.id)
    assert pdf.data.startswith(b"%PDF") and client.get_invoice(invoice.id).status == 100  # lexflow prevents sendBy
    sent = client.send_invoice_via_email(invoice.id, to="billing@acme.example", subject="Rechnung", text="Hallo")
    assert (sent.status, sent.send_type) == (200, "VM")
    standard = next(a for a in client.check_accounts() if a.default_account)
    part = client.book_invoice_payment(
        invoice.id, PaymentBooking(amount=Decimal(428), date=TODAY, type="N", check_account_id=standard.id)
    )
    assert (part.status, part.open_amount) == (750, 1000)
    paid = client.book_invoice_payment(
        invoice.id, PaymentBooking(amount=Decimal(1000), date=TODAY, check_account_id=standard.id)
    )
    assert paid.status == 1000 and paid.open_amount == 0
    assert sorted(t.amount for t in client.iter_transactions(standard.id)) == [428, 1000]
    assert client.reset_invoice_to_open(invoice.id).status == 200
    storno = client.cancel_invoice(invoice.id)
    assert (storno.invoice_type, storno.status, storno.sum_gross) == ("SR", 1000, -1428)
    assert client.get_invoice(invoice.id).status == 500


def test_rerun_with_the_same_business_key_returns_the_existing_draft(
    client: SevdeskClient, sevdesk: ServedSevdesk
) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    first = client.create_invoice_draft(draft(contact.id))
    again = client.create_invoice_draft(draft(contact.id))
    assert again.invoice.id == first.invoice.id and invoices_with_note(sevdesk, "lexflow:INV-7781") == 1
    other = client.create_invoice_draft(draft(contact.id, key="INV-7782"))
    assert other.invoice.id != first.invoice.id


def test_bank_lines_read_and_booked_against_their_transaction(client: SevdeskClient, control: httpx.Client) -> None:
    seeded = control.post("/seed").json()
    invoice_id = seeded["invoices"]["open"][0]
    line = control.post("/bank-import", json={"payInvoices": [{"invoice": invoice_id}]}).json()["transactions"][0]
    unbooked = list(client.iter_transactions(seeded["checkAccounts"]["import"], is_booked=False, only_credit=True))
    assert [t.id for t in unbooked] == [line["transaction"]] and not unbooked[0].is_booked
    invoice = client.get_invoice(invoice_id)
    booking = PaymentBooking(
        amount=invoice.open_amount,
        date=TODAY,
        check_account_id=seeded["checkAccounts"]["import"],
        transaction_id=unbooked[0].id,
    )
    assert client.book_invoice_payment(invoice_id, booking).status == 1000
    assert client.get_transaction(unbooked[0].id).is_booked


def test_expense_voucher_with_receipt(client: SevdeskClient, sevdesk: ServedSevdesk) -> None:
    temp = client.upload_receipt("receipt.pdf", b"%PDF-1.4 receipt")
    voucher = NewVoucher(
        description="R-2026-0311",
        voucher_date=TODAY,
        supplier_name="Office Supplies Ltd",
        lines=[VoucherLine(account_datev_id=4711, tax_rate=Decimal(19), sum_gross=Decimal("23.80"))],
    )
    saved = client.create_voucher(voucher, temp)
    assert (saved.voucher.status, saved.voucher.sum_net, saved.voucher.document is not None) == (100, 20, True)
    assert client.create_voucher(voucher, temp).voucher.id == saved.voucher.id
    assert len(sevdesk.state.all("Voucher")) == 1
    assert [v.id for v in client.iter_vouchers(credit_debit="C")] == [saved.voucher.id]


def test_incremental_polling_by_updated_after(client: SevdeskClient, control: httpx.Client) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    a = client.create_invoice_draft(draft(contact.id, key="A")).invoice
    b = client.create_invoice_draft(draft(contact.id, key="B")).invoice
    now = control.post("/clock", json={"advanceSeconds": 60}).json()["now"]
    cursor = int(dt.datetime.fromisoformat(now).timestamp()) - 1
    assert list(client.iter_invoices(updated_after=cursor)) == []
    client.send_invoice_by(b.id)
    assert [i.id for i in client.iter_invoices(updated_after=cursor)] == [b.id]
    assert {i.id for i in client.iter_invoices(contact_id=contact.id)} == {a.id, b.id}


# -------------------------------------------------------------------------------------------- exactly once under faults
def test_ambiguous_invoice_create_is_settled_without_a_duplicate(
    client: SevdeskClient, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    fault(control, "POST /Invoice/Factory/saveInvoice", "timeout_after_commit")
    saved = client.create_invoice_draft(draft(contact.id))
    assert fired(control)  # the write committed and the answer was lost
    assert saved.invoice.business_key == "INV-7781" and saved.positions
    assert invoices_with_note(sevdesk, "lexflow:INV-7781") == 1


def test_a_blind_retry_would_have_duplicated(sevdesk: ServedSevdesk, control: httpx.Client, api: httpx.Client) -> None:
    """What the settling prevents: the same POST again after the lost answer creates a second invoice."""
    from tests.sevdesk.conftest import draft_body, new_contact

    body = draft_body(api, new_contact(api)["id"], note="lexflow:BLIND")
    fault(control, "POST /Invoice/Factory/saveInvoice", "timeout_after_commit")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/Invoice/Factory/saveInvoice", json=body)
    api.post("/Invoice/Factory/saveInvoice", json=body)
    assert invoices_with_note(sevdesk, "lexflow:BLIND") == 2


def test_a_lost_answer_without_a_write_is_reported_not_repeated(
    client: SevdeskClient, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    fault(control, "POST /Invoice/Factory/saveInvoice", "drop")
    with pytest.raises(errors.AmbiguousWrite) as caught:
        client.create_invoice_draft(draft(contact.id))
    assert "NOT repeated" in str(caught.value) and "lexflow:INV-7781" in str(caught.value)
    assert invoices_with_note(sevdesk, "lexflow:INV-7781") == 0
    assert client.create_invoice_draft(draft(contact.id)).invoice.business_key == "INV-7781"  # a later rerun is safe


def test_a_server_error_before_the_write_is_retried_once_after_the_lookup(
    client: SevdeskClient, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    fault(control, "POST /Invoice/Factory/saveInvoice", "500")
    assert client.create_invoice_draft(draft(contact.id)).invoice.status == 100
    assert invoices_with_note(sevdesk, "lexflow:INV-7781") == 1


def test_ambiguous_contact_create_is_settled_by_its_customer_number(
    client: SevdeskClient, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    fault(control, "POST /Contact", "timeout_after_commit")
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    assert fired(control) and contact.name == "Acme GmbH"
    assert [c["id"] for c in sevdesk.state.all("Contact")] == [str(contact.id)]


def test_book_amount_is_never_repeated_blind(
    client: SevdeskClient, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    invoice = client.create_invoice_draft(draft(contact.id)).invoice
    client.send_invoice_by(invoice.id)
    standard = next(a for a in client.check_accounts() if a.default_account)
    fault(control, "PUT /Invoice/{id}/bookAmount", "timeout_after_commit")
    after = client.book_invoice_payment(
        invoice.id, PaymentBooking(amount=Decimal(500), date=TODAY, type="N", check_account_id=standard.id)
    )
    assert fired(control)
    assert after.paid_amount == 500 and after.status == 750  # booked once, not twice
    assert len(sevdesk.state.all("CheckAccountTransaction")) == 1


def test_send_via_email_is_settled_without_a_second_mail(client: SevdeskClient, control: httpx.Client) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    invoice = client.create_invoice_draft(draft(contact.id)).invoice
    fault(control, "POST /Invoice/{id}/sendViaEmail", "timeout_after_commit")
    sent = client.send_invoice_via_email(invoice.id, to="billing@acme.example", subject="Rechnung", text="Hallo")
    assert fired(control) and sent.status == 200
    assert len(control.get("/emails").json()["emails"]) == 1


def test_ambiguous_voucher_is_settled_by_its_description(
    client: SevdeskClient, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    voucher = NewVoucher(
        description="R-1",
        voucher_date=TODAY,
        supplier_name="Office",
        lines=[VoucherLine(account_datev_id=4711, tax_rate=Decimal(19), sum_gross=Decimal("11.90"))],
    )
    fault(control, "POST /Voucher/Factory/saveVoucher", "timeout_after_commit")
    assert client.create_voucher(voucher).voucher.description == "R-1"
    assert fired(control) and len(sevdesk.state.all("Voucher")) == 1


# -------------------------------------------------------------------------------------------- retry matrix, errors
def test_throttling_and_server_errors_on_reads_are_retried(client: SevdeskClient, control: httpx.Client) -> None:
    fault(control, "GET /Contact", "429", count=2)
    fault(control, "GET /CheckAccount", "503", count=2)
    assert list(client.iter_contacts()) == []
    assert len(client.check_accounts()) == 1
    assert fired(control)


def test_throttling_beyond_the_retries_is_rate_limited(client: SevdeskClient, control: httpx.Client) -> None:
    fault(control, "GET /Contact", "429", count=10)
    with pytest.raises(errors.RateLimited) as caught:
        list(client.iter_contacts())
    assert "SEVDESK_RATE_LIMIT" in str(caught.value)


def test_errors_carry_the_message_and_advice(client: SevdeskClient, sevdesk: ServedSevdesk) -> None:
    with pytest.raises(errors.NotFound) as missing:
        client.get_invoice(424242)
    assert "Invoice with id 424242 not found" in str(missing.value)
    with SevdeskClient("0" * 32, sevdesk.url, rate_limit=0) as wrong:
        with pytest.raises(errors.Unauthorized) as denied:
            wrong.check_accounts()
    assert "SEVDESK_API_TOKEN" in str(denied.value) and "0" * 32 not in str(denied.value)


def test_bad_input_is_refused_before_sending() -> None:
    with pytest.raises(ValidationError) as caught:
        InvoiceDraft(
            business_key="K",
            contact_id=1,
            invoice_date=TODAY,
            tax_rule=11,
            lines=[InvoiceLine(name="x", quantity=Decimal(1), price=Decimal(1), tax_rate=Decimal(19))],
        )
    assert "lines[0].tax_rate 19 is not allowed with tax_rule 11" in str(caught.value)
    with pytest.raises(ValidationError):
        NewContact()
    with pytest.raises(ValidationError, match="supplier"):
        NewVoucher(
            description="R",
            voucher_date=TODAY,
            lines=[VoucherLine(account_datev_id=1, tax_rate=Decimal(0), sum_gross=Decimal(1))],
        )


# -------------------------------------------------------------------------------------------- settings
@pytest.mark.parametrize("token", ["Bearer " + "a" * 32, "abc", "g" * 32])
def test_token_setting_is_checked(token: str) -> None:
    with pytest.raises(ValidationError, match="SEVDESK_API_TOKEN"):
        SevdeskSettings(_env_file=None, api_token=SecretStr(token))  # type: ignore[call-arg]


def test_without_a_token_the_embedded_sandbox_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEVDESK_API_TOKEN", raising=False)
    with connect_sevdesk(SevdeskSettings(_env_file=None, sandbox_db=None)) as client:  # type: ignore[call-arg]
        assert "embedded sevDesk sandbox" in client.backend_description
        assert client.bookkeeping_version() == "2.0"
        assert client.create_contact(NewContact(name="Local AG")).customer_number


def test_the_default_rate_is_the_conservative_capability(monkeypatch: pytest.MonkeyPatch) -> None:
    from lexflow.sevdesk.capabilities import CAPABILITIES
    from lexflow.transport.limits import SAFETY_MARGIN

    monkeypatch.setenv("SEVDESK_API_TOKEN", "cd" * 16)
    monkeypatch.delenv("SEVDESK_RATE_LIMIT", raising=False)
    with connect_sevdesk(SevdeskSettings(_env_file=None)) as client:  # type: ignore[call-arg]
        expected = CAPABILITIES.rate_limit.requests / CAPABILITIES.rate_limit.per_seconds * (1 - SAFETY_MARGIN)
        assert client.limiter.rate == pytest.approx(expected)  # type: ignore[attr-defined]


def test_a_token_selects_the_real_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEVDESK_API_TOKEN", "ab" * 16)
    monkeypatch.setenv("SEVDESK_RATE_LIMIT", "1.5")
    settings = SevdeskSettings(_env_file=None)  # type: ignore[call-arg]
    with connect_sevdesk(settings) as client:
        assert client.base_url == "https://my.sevdesk.de/api/v1" and "ab" * 16 not in repr(vars(client))


def test_draft_update_replaces_positions_once_even_when_the_answer_is_lost(
    client: SevdeskClient, control: httpx.Client
) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    invoice = client.create_invoice_draft(draft(contact.id)).invoice
    lines = [
        InvoiceLine(name="Workshop", quantity=Decimal(2), price=Decimal(500), tax_rate=Decimal(19)),
        InvoiceLine(name="Buch", quantity=Decimal(1), price=Decimal(20), tax_rate=Decimal(7)),
    ]
    change = InvoiceDraft(business_key="INV-7781", contact_id=contact.id, invoice_date=TODAY, header="Neu", lines=lines)
    fault(control, "POST /Invoice/Factory/saveInvoice", "timeout_after_commit")
    updated = client.update_invoice_draft(invoice.id, change)
    assert fired(control)
    assert [p.name for p in updated.positions] == ["Workshop", "Buch"]
    assert client.get_invoice(invoice.id).sum_gross == Decimal("1211.40")
    client.send_invoice_by(invoice.id)
    with pytest.raises(errors.ValidationFailed, match="draft"):
        client.update_invoice_draft(invoice.id, change)


def test_expense_paid_from_the_bank_line(client: SevdeskClient, control: httpx.Client, sevdesk: ServedSevdesk) -> None:
    seeded = control.post("/seed").json()
    account = seeded["checkAccounts"]["import"]
    line = {"amount": -23.8, "payeePayerName": "Office Supplies Ltd", "paymtPurpose": "R-2026-0311"}
    tx = control.post("/bank-import", json={"lines": [line]}).json()["transactions"][0]["transaction"]
    voucher = NewVoucher(
        description="R-2026-0311",
        voucher_date=TODAY,
        supplier_name="Office Supplies Ltd",
        lines=[VoucherLine(account_datev_id=4711, tax_rate=Decimal(19), sum_gross=Decimal("23.80"))],
    )
    saved = client.create_voucher(voucher).voucher
    debit = list(client.iter_transactions(account, only_debit=True, is_booked=False))
    assert [t.id for t in debit] == [tx]
    fault(control, "PUT /Voucher/{id}/bookAmount", "timeout_after_commit")
    paid = client.book_voucher_payment(
        saved.id, PaymentBooking(amount=Decimal("23.80"), date=TODAY, check_account_id=account, transaction_id=tx)
    )
    assert fired(control) and paid.status == 1000 and paid.paid_amount == Decimal("23.8")
    assert client.get_transaction(tx).is_booked


def test_a_lost_payment_without_a_write_is_reported_not_repeated(client: SevdeskClient, control: httpx.Client) -> None:
    contact = client.create_contact(NewContact(name="Acme GmbH"))
    invoice = client.send_invoice_by(client.create_invoice_draft(draft(contact.id)).invoice.id)
    standard = next(a for a in client.check_accounts() if a.default_account)
    fault(control, "PUT /Invoice/{id}/bookAmount", "drop")
    with pytest.raises(errors.AmbiguousWrite) as caught:
        client.book_invoice_payment(
            invoice.id, PaymentBooking(amount=Decimal(1428), date=TODAY, check_account_id=standard.id)
        )
    text = str(caught.value)
    assert text.startswith(f"PUT /Invoice/{invoice.id}/bookAmount") and "NOT repeated" in text
    assert client.get_invoice(invoice.id).paid_amount == 0
