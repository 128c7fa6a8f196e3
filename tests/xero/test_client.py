"""The Xero client against the served sandbox: exactly-once creates, tenants, token rotation, limits, errors."""

from __future__ import annotations

import tempfile
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from lexflow.transport.limits import DailyBudgetExhausted, rate_limit_dir
from lexflow.xero.client import (
    XeroClient,
    XeroOAuth,
    authorise_programmatically,
    idempotency_key,
    sandbox_settings,
    xero_limiter,
)
from lexflow.xero.errors import (
    XeroAmbiguousWrite,
    XeroAuthError,
    XeroIdempotencyConflict,
    XeroNotFound,
    XeroRateLimited,
    XeroValidationError,
)
from lexflow.xero.models import AccountRef, Contact, ContactRef, Invoice, InvoiceRef, LineItem, Payment
from lexflow.xero.sandbox import ServedXeroSandbox
from tests.xero.conftest import FAST, TENANT_A, TENANT_B, make_client


def _invoice(contact_id: str, reference: str | None = None, amount: str = "120", tax: str = "OUTPUT2") -> Invoice:
    return Invoice(
        type="ACCREC",
        contact=ContactRef(contact_id=contact_id),
        due_date="2026-03-16",
        status="AUTHORISED",
        reference=reference,
        line_items=[
            LineItem(
                description="Consulting",
                quantity=Decimal(10),
                unit_amount=Decimal(amount),
                account_code="200",
                tax_type=tax,
            )
        ],
    )


def _control(xero: ServedXeroSandbox, path: str, body: dict[str, object]) -> None:
    httpx.post(f"{xero.url}/_sandbox{path}", json=body).raise_for_status()


def test_create_and_read_typed_records(client: XeroClient) -> None:
    contact = client.create_contact(Contact(name="Acme GmbH", email_address="billing@acme.example"))
    invoice = client.create_invoice(_invoice(contact.contact_id or "", "lexflow:INV-1"))
    assert invoice.total == Decimal("1440") and invoice.status == "AUTHORISED"
    assert invoice.reference == "lexflow:INV-1" and invoice.invoice_number == "INV-0001"
    assert client.get_invoice(invoice.invoice_id or "").date == invoice.date
    assert [c.name for c in client.find_contacts(email="BILLING@acme.example")] == ["Acme GmbH"]


def test_idempotent_create_under_timeout_after_commit_makes_one_invoice(xero: ServedXeroSandbox) -> None:
    client = make_client(xero, timeout=0.5)
    contact = client.create_contact(Contact(name="Acme GmbH"))
    _control(xero, "/faults", {"route": "PUT /Invoices", "kind": "timeout_after_commit", "count": 1, "delay": 1.0})
    invoice = client.create_invoice(_invoice(contact.contact_id or "", "lexflow:INV-7"))
    stored = xero.state.books.invoices(TENANT_A)
    assert len(stored) == 1 and stored[0]["InvoiceID"] == invoice.invoice_id


def test_retry_with_the_same_key_is_deduplicated_by_the_sandbox_even_when_lookup_misses(
    xero: ServedXeroSandbox,
) -> None:
    """Lookup switched off: the second PUT carries the same Idempotency-Key, and the sandbox replays."""
    client = make_client(xero, timeout=0.5)
    contact = client.create_contact(Contact(name="Acme GmbH"))
    client.find_invoice = lambda *a, **k: None  # type: ignore[method-assign]
    _control(xero, "/faults", {"route": "PUT /Invoices", "kind": "timeout_after_commit", "count": 1, "delay": 1.0})
    client.create_invoice(_invoice(contact.contact_id or "", "lexflow:INV-8"))
    assert len(xero.state.books.invoices(TENANT_A)) == 1


def test_without_an_idempotency_key_a_blind_retry_would_duplicate(xero: ServedXeroSandbox) -> None:
    """Why the key matters: the same PUT sent twice without it creates two invoices."""
    client = make_client(xero)
    contact = client.create_contact(Contact(name="Acme GmbH"))
    body = {"Invoices": [_invoice(contact.contact_id or "", "R-1").to_body()]}
    client.request("PUT", "/Invoices", body=body)
    client.request("PUT", "/Invoices", body=body)
    assert len(xero.state.books.invoices(TENANT_A)) == 2


def test_a_write_without_key_or_lookup_is_reported_ambiguous(xero: ServedXeroSandbox) -> None:
    client = make_client(xero)
    _control(xero, "/faults", {"route": "PUT /Contacts", "kind": "504_after_commit"})
    with pytest.raises(XeroAmbiguousWrite, match="not repeated blind"):
        client.request("PUT", "/Contacts", body={"Contacts": [{"Name": "Ghost Ltd"}]})


def test_same_business_key_with_other_content_is_refused(client: XeroClient) -> None:
    contact = client.create_contact(Contact(name="Acme GmbH"))
    client.create_invoice(_invoice(contact.contact_id or "", "lexflow:INV-9"))
    with pytest.raises(XeroIdempotencyConflict):
        client.create_invoice(_invoice(contact.contact_id or "", "lexflow:INV-9", amount="130"))


def test_idempotency_keys_are_stable_and_per_tenant() -> None:
    a = idempotency_key(TENANT_A, "invoice", "lexflow:INV-1")
    assert a == idempotency_key(TENANT_A.upper(), "invoice", "lexflow:INV-1")
    assert a != idempotency_key(TENANT_B, "invoice", "lexflow:INV-1")
    assert len(a) <= 128


def test_two_tenants_on_one_connection_are_never_mixed(client: XeroClient) -> None:
    other = client.for_tenant(TENANT_B)
    a = client.create_contact(Contact(name="Same Name Ltd"))
    b = other.create_contact(Contact(name="Same Name Ltd"))
    inv_a = client.create_invoice(_invoice(a.contact_id or "", "lexflow:X-1"))
    assert list(other.list_invoices()) == []
    with pytest.raises(XeroNotFound):
        other.get_invoice(inv_a.invoice_id or "")
    with pytest.raises(XeroValidationError, match="contact specified does not exist"):
        other.create_invoice(_invoice(a.contact_id or "", "lexflow:X-2"))  # tenant A's contact
    inv_b = other.create_invoice(
        _invoice(b.contact_id or "", "lexflow:X-1", tax="TAX001")
    )  # same key, other tenant: no clash
    assert inv_b.invoice_id != inv_a.invoice_id
    assert [i.invoice_id for i in client.list_invoices()] == [inv_a.invoice_id]


def test_expired_access_token_is_refreshed_with_rotation(xero: ServedXeroSandbox, client: XeroClient) -> None:
    before = client.oauth.store.load()
    assert before is not None and before.refresh_token is not None
    client.get_invoice  # noqa: B018
    _control(xero, "/clock", {"advanceSeconds": 1801})
    assert client.find_contacts(search="nobody") == []
    after = client.oauth.store.load()
    assert after is not None and after.refresh_token is not None
    assert after.refresh_token.get_secret_value() != before.refresh_token.get_secret_value()
    assert client.oauth.refreshes == 1


def test_concurrent_refreshers_spend_the_refresh_token_once(xero: ServedXeroSandbox, client: XeroClient) -> None:
    _control(xero, "/clock", {"advanceSeconds": 1801})
    _control(xero, "/limits", {"refreshGraceSeconds": 0})
    errors: list[Exception] = []

    def work() -> None:
        try:
            client.find_contacts(search="x")
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and client.oauth.refreshes == 1


def test_processes_sharing_a_token_file_follow_each_others_rotation(
    xero: ServedXeroSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEXFLOW_TOKEN_KEY", Fernet.generate_key().decode())
    settings = sandbox_settings(xero.url, minute_limit=0, token_file=tmp_path / "xero-tokens.json")
    first = XeroOAuth(settings, httpx.Client(timeout=5))
    authorise_programmatically(first)
    second = XeroOAuth(settings, httpx.Client(timeout=5))  # like another process: reads the same file
    assert (tmp_path / "xero-tokens.json").stat().st_mode & 0o777 == 0o600
    _control(xero, "/limits", {"refreshGraceSeconds": 0})
    first.refresh()
    _control(xero, "/clock", {"advanceSeconds": 1801})
    token = second.refresh()  # its in-memory refresh token is stale; the file has the rotated one
    assert token and second.refreshes == 1
    assert XeroClient(second, TENANT_A, retry=FAST).find_contacts(search="x") == []


def test_revoked_connection_asks_to_connect_again(xero: ServedXeroSandbox, client: XeroClient) -> None:
    client.oauth.revoke()
    with pytest.raises(XeroAuthError, match="Connect"):
        client.find_contacts(search="x")


def test_minute_429_is_waited_out_and_day_429_is_raised(xero: ServedXeroSandbox, client: XeroClient) -> None:
    _control(xero, "/faults", {"route": "GET /Contacts", "kind": "429", "count": 1})
    assert client.find_contacts(search="x") == []
    _control(xero, "/limits", {"dailyLimit": 1})
    with pytest.raises(XeroRateLimited) as caught:
        client.find_contacts(search="x")
    assert caught.value.problem == "day" and (caught.value.retry_after or 0) > 3600


def test_daily_budget_reported_as_used_up_is_not_spent(xero: ServedXeroSandbox, client: XeroClient) -> None:
    _control(xero, "/limits", {"dailyLimit": 2})
    client.find_contacts(search="x")
    client.find_contacts(search="x")  # X-DayLimit-Remaining: 0
    calls = client.calls
    with pytest.raises(DailyBudgetExhausted, match="daily budget of 5,000 calls per rolling 24 hours") as caught:
        client.find_contacts(search="x")
    assert client.calls == calls  # refused before sending
    assert caught.value.provider == "xero" and caught.value.resets_at > datetime.now(UTC)


def test_after_a_day_429_calls_are_refused_here(xero: ServedXeroSandbox, client: XeroClient) -> None:
    client.find_contacts(search="x")
    _control(xero, "/limits", {"dailyLimit": 1})
    with pytest.raises(XeroRateLimited):
        client.find_contacts(search="x")
    _control(xero, "/limits", {"dailyLimit": 0})  # the server would answer now, but it said when to come back
    calls = client.calls
    with pytest.raises(DailyBudgetExhausted) as caught:
        client.find_contacts(search="x")
    assert client.calls == calls and caught.value.resets_at > datetime.now(UTC) + timedelta(hours=23)


def test_small_configured_daily_budget_refuses_client_side(xero: ServedXeroSandbox, client: XeroClient) -> None:
    limiter = xero_limiter(
        client.oauth.settings.model_copy(update={"daily_limit": 3}),
        client.tenant_id,
        paced=False,
        directory=tempfile.mkdtemp(dir=rate_limit_dir()),
    )
    small = XeroClient(client.oauth, client.tenant_id, limiter=limiter)
    for _ in range(3):
        small.find_contacts(search="x")
    with pytest.raises(DailyBudgetExhausted, match="3 calls"):
        small.find_contacts(search="x")
    assert small.calls == 3
    assert client.find_contacts(search="x") == []  # the same tenant with another budget (its own directory) still runs


def test_payment_marks_paid_once_per_business_key(xero: ServedXeroSandbox, client: XeroClient) -> None:
    contact = client.create_contact(Contact(name="Acme GmbH"))
    invoice = client.create_invoice(_invoice(contact.contact_id or "", "lexflow:INV-2"))
    payment = Payment(
        invoice=InvoiceRef(invoice_id=invoice.invoice_id),
        account=AccountRef(code="090"),
        amount=Decimal("1440"),
        date="2026-03-10",
    )
    _control(xero, "/faults", {"route": "PUT /Payments", "kind": "504_after_commit"})
    paid = client.create_payment(payment, business_key="bank:line-17")
    assert paid.reference == "bank:line-17"
    assert client.get_invoice(invoice.invoice_id or "").status == "PAID"
    assert len(xero.state.store.all(TENANT_A, "payment")) == 1
    client.delete_payment(paid.payment_id or "")
    assert client.get_invoice(invoice.invoice_id or "").status == "AUTHORISED"


def test_validation_errors_carry_xeros_messages(client: XeroClient) -> None:
    client.create_contact(Contact(name="Acme GmbH"))
    with pytest.raises(XeroValidationError) as caught:
        client.update_contact(client.find_contacts(name="acme gmbh")[0].contact_id or "", Name="")
    assert caught.value.messages and caught.value.status == 400


def test_list_invoices_pages_and_filters(client: XeroClient) -> None:
    contact = client.create_contact(Contact(name="Acme GmbH"))
    for n in range(5):
        client.create_invoice(_invoice(contact.contact_id or "", f"lexflow:P-{n}"))
    listed = list(client.list_invoices(statuses=["AUTHORISED"], page_size=2))
    assert [i.reference for i in listed] == [f"lexflow:P-{n}" for n in range(5)]
    assert all(i.line_items for i in listed)


def test_email_and_pdf(client: XeroClient, xero: ServedXeroSandbox) -> None:
    contact = client.create_contact(Contact(name="Acme GmbH", email_address="billing@acme.example"))
    invoice = client.create_invoice(_invoice(contact.contact_id or "", "lexflow:INV-3"))
    client.email_invoice(invoice.invoice_id or "")
    assert client.get_invoice(invoice.invoice_id or "").sent_to_contact is True
    assert client.invoice_pdf(invoice.invoice_id or "").startswith(b"%PDF")


def test_without_credentials_the_embedded_sandbox_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XERO_CLIENT_ID", raising=False)
    client = XeroClient.connect()
    assert client.base.startswith("http://127.0.0.1:")
    assert client.organisation()["Name"]
