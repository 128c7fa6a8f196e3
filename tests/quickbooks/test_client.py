"""The client end to end against the served sandbox: exactly-once writes, sparse updates, conflicts, throttling."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from lexflow.quickbooks import client as qb
from lexflow.quickbooks.client import DuplicateName, QuickBooksClient, QuickBooksSettings, connect_sandbox
from lexflow.quickbooks.models import CustomerInput, InvoiceInput, SalesLine
from lexflow.quickbooks.sandbox import ServedQuickBooks
from lexflow.transport import errors
from tests.quickbooks.conftest import unique


def _invoice(customer_id: str, amount: str = "100", **fields: object) -> InvoiceInput:
    line = SalesLine(SalesItemLineDetail={"Qty": 1, "UnitPrice": Decimal(amount)})  # type: ignore[arg-type]
    return InvoiceInput(CustomerRef={"value": customer_id}, Line=[line], **fields)  # type: ignore[arg-type]


def _count(qbo: ServedQuickBooks, customer_id: str) -> int:
    return sum(1 for d in qbo.state.store.iter(qbo.realm, "Invoice") if d["CustomerRef"]["value"] == customer_id)


def test_customer_round_trip_and_search_by_name_and_email(client: QuickBooksClient) -> None:
    name = unique("O'Brien & Söhne")
    made = client.create_customer(
        CustomerInput(DisplayName=name, PrimaryEmailAddr={"Address": "ob@x.example"}), business_key=f"cust:{name}"
    )
    assert client.get_customer(made.Id).DisplayName == name
    assert [c.Id for c in client.find_customers(display_name=name)] == [made.Id]
    assert made.Id in [c.Id for c in client.find_customers(name_contains="O'Brien")]
    assert made.Id in [c.Id for c in client.find_customers(email="ob@x.example")]


def test_duplicate_name_is_a_typed_error(client: QuickBooksClient) -> None:
    name = unique("Twice")
    client.create_customer(CustomerInput(DisplayName=name), business_key="k1-" + name)
    with pytest.raises(DuplicateName) as err:
        client.create_customer(CustomerInput(DisplayName=name), business_key="k2-" + name)
    assert err.value.issues[0].code == "6240"


def test_same_business_key_creates_once(client: QuickBooksClient, qbo: ServedQuickBooks) -> None:
    c = client.create_customer(CustomerInput(DisplayName=unique()), business_key=unique("key"))
    key = unique("invoice-key")
    first = client.create_invoice(_invoice(c.Id), business_key=key)
    second = client.create_invoice(_invoice(c.Id), business_key=key)
    assert first.Id == second.Id and _count(qbo, c.Id) == 1


def test_timeout_after_commit_retried_with_requestid_gives_one_invoice(
    client: QuickBooksClient, qbo: ServedQuickBooks
) -> None:
    c = client.create_customer(CustomerInput(DisplayName=unique()), business_key=unique("key"))
    qbo.control("faults", method="POST", path="/invoice", mode="timeout_after_commit")
    inv = client.create_invoice(_invoice(c.Id, "42"), business_key=unique("tac"))
    assert inv.TotalAmt == Decimal("42") and _count(qbo, c.Id) == 1


def test_sparse_update_keeps_fields_the_change_leaves_out(client: QuickBooksClient) -> None:
    c = client.create_customer(
        CustomerInput(DisplayName=unique(), Notes="keep", CompanyName="Co"), business_key=unique("key")
    )
    updated = client.update_customer(c.Id, CustomerInput(CompanyName="New Co"), business_key=unique("upd"))
    assert updated.CompanyName == "New Co" and updated.Notes == "keep"
    inv = client.create_invoice(
        _invoice(c.Id, PrivateNote="internal", DueDate=date(2027, 1, 31)), business_key=unique("inv")
    )
    changed = client.update_invoice(inv.Id, InvoiceInput(DocNumber="A-1"), business_key=unique("upd"))
    assert changed.DocNumber == "A-1" and changed.PrivateNote == "internal" and changed.DueDate == date(2027, 1, 31)


def test_sync_token_conflict_is_reread_and_reapplied(client: QuickBooksClient, qbo: ServedQuickBooks) -> None:
    c = client.create_customer(CustomerInput(DisplayName=unique()), business_key=unique("key"))
    inv = client.create_invoice(_invoice(c.Id), business_key=unique("inv"))
    other = connect_sandbox(qbo, QuickBooksSettings(requests_per_minute=0))
    real_get = client._get
    raced = []

    def racing_get(entity, id_, model):  # type: ignore[no-untyped-def]
        seen = real_get(entity, id_, model)
        if not raced:  # someone else changes the invoice between our read and our write
            raced.append(other.update_invoice(inv.Id, InvoiceInput(PrivateNote="theirs"), business_key="other"))
        return seen

    client._get = racing_get  # type: ignore[method-assign]
    mine = client.update_invoice(inv.Id, InvoiceInput(DocNumber="MINE"), business_key=unique("mine"))
    assert raced and mine.DocNumber == "MINE" and mine.PrivateNote == "theirs" and mine.SyncToken == "2"
    other.close()


def test_payment_marks_part_paid_then_paid(client: QuickBooksClient) -> None:
    c = client.create_customer(CustomerInput(DisplayName=unique()), business_key=unique("key"))
    inv = client.create_invoice(_invoice(c.Id, "100"), business_key=unique("inv"))
    client.mark_paid(inv.Id, business_key=unique("pay"), amount=Decimal("30"))
    assert client.get_invoice(inv.Id).is_part_paid
    assert inv.Id in [i.Id for i in client.open_invoices()]
    key = unique("pay")
    client.mark_paid(inv.Id, business_key=key)
    paid = client.get_invoice(inv.Id)
    assert paid.is_paid and len(paid.LinkedTxn) == 2
    assert inv.Id not in [i.Id for i in client.open_invoices()]


def test_overdue_invoices(client: QuickBooksClient) -> None:
    c = client.create_customer(CustomerInput(DisplayName=unique()), business_key=unique("key"))
    old = client.create_invoice(
        _invoice(c.Id, TxnDate=date(2020, 1, 1), DueDate=date(2020, 1, 31)), business_key=unique("inv")
    )
    assert old.is_overdue(date(2020, 2, 1))
    assert old.Id in [i.Id for i in client.open_invoices(overdue_on=date(2020, 2, 1))]
    assert old.Id not in [i.Id for i in client.open_invoices(overdue_on=date(2020, 1, 15))]


def test_void_send_pdf(client: QuickBooksClient, qbo: ServedQuickBooks) -> None:
    c = client.create_customer(CustomerInput(DisplayName=unique()), business_key=unique("key"))
    inv = client.create_invoice(_invoice(c.Id, BillEmail={"Address": "to@x.example"}), business_key=unique("i"))
    assert client.send_invoice(inv.Id, business_key=unique("send")).EmailStatus == "EmailSent"
    assert client.invoice_pdf(inv.Id).startswith(b"%PDF-")
    voided = client.void_invoice(inv.Id, business_key=unique("void"))
    assert voided.TotalAmt == 0 and voided.Balance == 0


def test_throttle_xml_becomes_rate_limited(qbo: ServedQuickBooks) -> None:
    settings = QuickBooksSettings(throttle_wait_seconds=0, max_retries=1, requests_per_minute=0)
    with connect_sandbox(qbo, settings) as c:
        qbo.control("faults", method="GET", path="/companyinfo", mode="throttle", times=2)
        with pytest.raises(errors.RateLimited) as err:
            c._request("GET", f"companyinfo/{c.realm_id}")
        assert err.value.status == 429 and err.value.issues[0].code == "3001"
        qbo.control("faults", method="GET", path="/companyinfo", mode="throttle", times=1)
        assert c._request("GET", f"companyinfo/{c.realm_id}").status_code == 200  # waited and retried


def test_expired_access_token_is_refreshed_and_rotation_stored(qbo: ServedQuickBooks) -> None:
    stored: list[str] = []
    with connect_sandbox(
        qbo,
        QuickBooksSettings(requests_per_minute=0),
        on_tokens=lambda t: stored.append(t.refresh_token.get_secret_value()),
    ) as c:
        c.session.tokens = c.session.tokens.model_copy(update={"expires_at": 10**12})  # we believe it is fresh
        qbo.control("clock", advance_seconds=3700)
        try:
            assert c.get_customer(c.create_customer(CustomerInput(DisplayName=unique()), unique("k")).Id)
        finally:
            qbo.control("clock", advance_seconds=-3700)
        assert len(stored) == 2 and stored[0] != stored[1]


def test_bad_input_is_refused_before_sending(client: QuickBooksClient) -> None:
    with pytest.raises(errors.InvalidRequest):
        client.get_invoice("1 OR 1=1")
    with pytest.raises(errors.InvalidRequest):
        client.create_customer(CustomerInput(Notes="nameless"), business_key="x")
    with pytest.raises(ValueError, match="Qty"):
        SalesLine(Amount=Decimal(5), SalesItemLineDetail={"Qty": 2, "UnitPrice": 3})  # type: ignore[arg-type]


def test_without_credentials_the_embedded_sandbox_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("QUICKBOOKS_CLIENT_ID", "QUICKBOOKS_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    with qb.connect(QuickBooksSettings(_env_file=None)) as c:  # type: ignore[call-arg]
        assert c.sandbox is not None and c.realm_id == c.sandbox.realm
        made = c.create_customer(CustomerInput(DisplayName=unique()), business_key=unique("emb"))
        assert c.get_customer(made.Id).Id == made.Id
        assert httpx.get(c.sandbox.url + "/v3/company/x/customer/1").status_code == 401


def test_default_pacing_stays_within_the_per_second_limit() -> None:
    """Two clients of one company in one process share the pace: a burst of calls meets no 429 (retries off)."""
    import threading

    from lexflow.quickbooks.sandbox import QuickBooksSandboxConfig, serve_in_thread

    with serve_in_thread(QuickBooksSandboxConfig(requests_per_second=10, concurrent_requests=10)) as served:
        settings = QuickBooksSettings(max_retries=0)
        clients = [connect_sandbox(served, settings) for _ in range(2)]
        failures: list[Exception] = []

        def burst(c: QuickBooksClient) -> None:
            for _ in range(7):
                try:
                    c._request("GET", f"companyinfo/{c.realm_id}")
                except errors.LexwareError as exc:
                    failures.append(exc)

        threads = [threading.Thread(target=burst, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        for c in clients:
            c.close()


def test_change_data_capture_in_one_request(client: QuickBooksClient, qbo: ServedQuickBooks) -> None:
    from datetime import UTC, datetime

    since = qbo.state.now()
    c = client.create_customer(CustomerInput(DisplayName=unique()), business_key=unique("cdc"))
    inv = client.create_invoice(_invoice(c.Id), business_key=unique("cdc"))
    changed = client.changes(["Invoice", "Customer", "Payment"], since)
    assert inv.Id in [r["Id"] for r in changed["Invoice"]] and c.Id in [r["Id"] for r in changed["Customer"]]
    assert changed["Payment"] == []
    with pytest.raises(errors.InvalidRequest):
        client.changes(["Invoice"], datetime(2026, 1, 1))  # naive
    with pytest.raises(errors.ValidationFailed):
        client.changes(["Invoice"], datetime(2000, 1, 1, tzinfo=UTC))  # more than 30 days back
