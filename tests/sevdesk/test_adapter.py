"""The sevDesk adapter beyond the shared contract (tests/core/test_contract.py): what sevDesk can and Lexware cannot
(drafts changed and finalized later, payments booked, bank lines read), each write once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from lexflow.core import InvalidRecord, RecordNotFound
from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft, PaymentDraft
from lexflow.sevdesk.adapter import SevdeskAdapter
from lexflow.sevdesk.client import SevdeskClient
from lexflow.sevdesk.models import NewContact
from lexflow.sevdesk.sandbox import ServedSevdesk
from tests.sevdesk.test_client import fault, fired

TODAY = dt.date.today()


@pytest.fixture
def provider(client: SevdeskClient) -> SevdeskAdapter:
    return SevdeskAdapter(client)


def _invoice(provider: SevdeskAdapter, *, finalize: bool = True, reference: str | None = None) -> str:
    customer = provider.create_customer(CustomerDraft(name="Acme GmbH", email="billing@acme.example"))
    line = InvoiceLineDraft(name="Beratung", quantity=Decimal(10), unit_price=Decimal(100), tax="standard")
    draft = InvoiceDraft(customer_id=customer.id, lines=[line], finalize=finalize, reference=reference)
    return provider.create_invoice(draft).id


def _import(sevdesk: ServedSevdesk, control: httpx.Client, **spec: object) -> list[dict]:
    """Bank lines imported into a file-import account (created as the sandbox's seed does; the API cannot)."""
    if not any(a["type"] == "online" for a in sevdesk.state.all("CheckAccount")):
        sevdesk.state.create(
            "CheckAccount",
            {"name": "Geschäftskonto", "type": "online", "importType": "CSV", "currency": "EUR", "defaultAccount": "0",
             "status": "100", "iban": "DE89370400440532013000", "bic": None, "bankServer": None,
             "autoMapTransactions": "0", "lastSync": None, "accountingNumber": "1810"},
        )  # fmt: skip
    response = control.post("/bank-import", json=spec)
    assert response.status_code == 201, response.text
    return response.json()["transactions"]  # type: ignore[no-any-return]


def test_customer_is_created_once_even_after_a_crash_between_contact_and_email(
    provider: SevdeskAdapter, client: SevdeskClient, sevdesk: ServedSevdesk
) -> None:
    half = client.create_contact(NewContact(name="Nordlicht Design UG"))  # a crash left it without its e-mail
    made = provider.create_customer(CustomerDraft(name="Nordlicht  Design UG", email="office@nordlicht.example"))
    again = provider.create_customer(CustomerDraft(name="Nordlicht Design UG", email="OFFICE@nordlicht.example"))
    assert made.id == again.id == str(half.id) and made.emails == ["office@nordlicht.example"]
    assert len(sevdesk.state.all("Contact")) == 1


def test_ambiguous_contact_create_is_settled_not_repeated(
    provider: SevdeskAdapter, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    fault(control, "POST /Contact", "timeout_after_commit")
    made = provider.create_customer(CustomerDraft(name="Acme GmbH", email="billing@acme.example", phone="030 123"))
    assert fired(control) and made.emails == ["billing@acme.example"] and made.phone == "030 123"
    assert len(sevdesk.state.all("Contact")) == 1


def test_draft_changed_then_finalized_later(provider: SevdeskAdapter) -> None:
    invoice_id = _invoice(provider, finalize=False, reference="ORDER-S-1")
    draft = provider.get_invoice(invoice_id)
    assert draft.status == "draft" and draft.provider_status == "100" and draft.open_amount is None
    line = InvoiceLineDraft(name="Workshop", unit_price=Decimal("500.00"), tax="reduced")
    assert draft.customer_id is not None
    changed = provider.update_invoice(invoice_id, InvoiceDraft(customer_id=draft.customer_id, lines=[line]))
    assert [x.name for x in changed.lines] == ["Workshop"] and changed.total_gross is not None
    assert changed.total_gross.amount == Decimal("535.00") and changed.reference == "ORDER-S-1"  # the key stays
    final = provider.finalize_invoice(invoice_id)
    assert final.status == "open" and final.number and provider.finalize_invoice(invoice_id) == final
    with pytest.raises(InvalidRecord, match="drafts only"):
        provider.update_invoice(invoice_id, InvoiceDraft(customer_id=draft.customer_id, lines=[line]))


def test_part_then_full_payment_from_the_bank_each_booked_once(
    provider: SevdeskAdapter, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    invoice_id = _invoice(provider)  # 1,190.00
    lines = _import(sevdesk, control, lines=[{"amount": "400.00", "paymtPurpose": "Teil"}, {"amount": "790.00"}])
    part = PaymentDraft(
        invoice_id=invoice_id, amount=Decimal(400), paid_on=TODAY, bank_transaction_id=str(lines[0]["transaction"])
    )
    booked = provider.record_payment(part)
    assert booked.kind == "bank" and provider.get_invoice(invoice_id).status == "partially_paid"
    with pytest.raises(InvalidRecord, match=r"bank_transaction_id.*already"):
        provider.record_payment(part)  # a rerun books nothing twice
    assert provider.get_invoice(invoice_id).open_amount.amount == Decimal(790)  # type: ignore[union-attr]
    with pytest.raises(InvalidRecord, match=r"amount.*more than the open amount"):
        provider.record_payment(part.model_copy(update={"amount": Decimal(800), "bank_transaction_id": None}))
    fault(control, "PUT /Invoice/{id}/bookAmount", "timeout_after_commit")
    rest = part.model_copy(update={"amount": Decimal(790), "bank_transaction_id": str(lines[1]["transaction"])})
    provider.record_payment(rest)
    assert fired(control)
    paid = provider.get_invoice(invoice_id)
    assert paid.status == "paid" and paid.open_amount is not None and paid.open_amount.amount == 0
    statuses = {provider.get_bank_transaction(str(x["transaction"])).status for x in lines}
    assert statuses == {"booked"}
    with pytest.raises(InvalidRecord, match="only open or partially paid"):
        provider.record_payment(part.model_copy(update={"bank_transaction_id": None}))


def test_payment_without_a_bank_line_goes_to_the_default_account(provider: SevdeskAdapter) -> None:
    invoice_id = _invoice(provider)
    provider.record_payment(PaymentDraft(invoice_id=invoice_id, amount=Decimal("1190.00"), paid_on=TODAY))
    assert provider.get_invoice(invoice_id).status == "paid"
    [tx] = list(provider.list_bank_transactions())
    assert tx.amount.amount == Decimal("1190.00") and tx.status == "booked"
    with pytest.raises(InvalidRecord, match="finalize a draft first"):
        provider.record_payment(
            PaymentDraft(invoice_id=_invoice(provider, finalize=False), amount=Decimal(1), paid_on=TODAY)
        )


def test_bank_transactions_read_with_filters(
    provider: SevdeskAdapter, control: httpx.Client, sevdesk: ServedSevdesk
) -> None:
    lines = _import(
        sevdesk,
        control,
        lines=[
            {"amount": "-12.50", "valueDate": (TODAY - dt.timedelta(days=10)).isoformat(), "payeePayerName": "Post"},
            {"amount": "250.00", "paymtPurpose": "RE-1001 Acme", "payeePayerName": "Acme GmbH"},
        ],
    )
    old, new = (str(x["transaction"]) for x in lines)
    got = provider.get_bank_transaction(new)
    assert got.amount.amount == Decimal(250) and got.remittance == "RE-1001 Acme" and got.status == "unbooked"
    assert got.counterparty_name == "Acme GmbH" and got.amount.currency == "EUR"
    assert provider.get_bank_transaction(old).amount.amount == Decimal("-12.50")  # money out is negative
    recent = [t.id for t in provider.list_bank_transactions(booked_from=TODAY - dt.timedelta(days=1))]
    assert recent == [new]
    assert old in [t.id for t in provider.list_bank_transactions(account_ref=got.account_ref)]
    with pytest.raises(RecordNotFound):
        provider.get_bank_transaction("99999999")


def test_no_token_means_the_embedded_sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from lexflow.providers import get_provider

    monkeypatch.delenv("SEVDESK_API_TOKEN", raising=False)
    monkeypatch.setenv("SEVDESK_SANDBOX_DB", str(tmp_path / "sevdesk.db"))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    provider = get_provider(name="sevdesk")
    assert isinstance(provider, SevdeskAdapter)
    try:
        assert "embedded sevDesk sandbox" in provider.client.backend_description
        assert provider.create_customer(CustomerDraft(name="Embedded GmbH")).provider == "sevdesk"
    finally:
        provider.close()
