"""The neutral writes on Lexware never write twice: the answer of a committed write is lost (504 after commit),
then the same call runs again. Business keys (reference, e-mail, voucher number) settle it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from lexflow.actions import Profile, run
from lexflow.audit import Actor, AuditTrail

ALL = Profile(name="dev", scopes=["*"], approval_for=[])
PDF = "JVBERi0xLjQKJSVFT0YK"  # %PDF-1.4 %%EOF


@pytest.fixture
def lexware(sandbox_app, tmp_path) -> Iterator[tuple[Any, Any]]:
    from starlette.testclient import TestClient

    from lexflow.lexware.client import LexwareClient, RetryPolicy
    from lexflow.lexware.sandbox import DEFAULT_API_KEY
    from lexflow.testing.sandbox_control import SandboxControl
    from lexflow.transport.bridge import SyncASGITransport

    transport = SyncASGITransport(sandbox_app)
    fast = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05)
    with (
        TestClient(sandbox_app, base_url="http://sandbox.test") as http,
        LexwareClient(
            api_key=DEFAULT_API_KEY,
            base_url="http://sandbox.test",
            rate_limit=0,
            transport=transport,
            retry=fast,
            settle_delay=0,
        ) as client,
    ):
        trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")

        def act(name: str, data: dict) -> Any:
            return run(name, data, actor=Actor.agent("pytest"), profile=ALL, client=client, trail=trail)

        control = SandboxControl(http, DEFAULT_API_KEY)
        yield control, act
        assert all(f["fired"] == 1 for f in control.list_faults()["content"]), "the lost answer never happened"
    transport.close()


def test_customer_once_when_the_create_answer_is_lost(lexware):
    control, act = lexware
    control.faults("POST /v1/contacts", "504_after_commit", count=1, latency_ms=0)
    first = act("create_customer", {"name": "Verloren GmbH", "email": "post@verloren.de"})
    again = act("create_customer", {"name": "Verloren GmbH", "email": "post@verloren.de"})
    assert again.already_existed and again.customer.id == first.customer.id
    assert len(act("search_customers", {"name": "Verloren"}).items) == 1


def test_invoice_once_when_the_create_answer_is_lost(lexware):
    control, act = lexware
    cid = act("create_customer", {"name": "Rechnung AG", "email": "re@rechnung-ag.de"}).customer.id
    body = {
        "customer_id": cid,
        "finalize": True,
        "reference": "ORDER-LOST-1",
        "lines": [{"name": "Wartung", "unit_price": "50.00", "tax": "standard"}],
    }
    control.faults("POST /v1/invoices", "504_after_commit", count=1, latency_ms=0)
    first = act("create_invoice", body)
    again = act("create_invoice", body)
    assert again.already_existed and again.invoice.id == first.invoice.id
    assert first.invoice.reference == "ORDER-LOST-1" and first.invoice.total_gross.amount == Decimal("59.50")
    assert [i.id for i in act("list_invoices", {"customer_id": cid}).items] == [first.invoice.id]


def test_expense_once_when_the_upload_answer_is_lost(lexware):
    control, act = lexware
    body = {
        "supplier_name": "Toner KG",
        "number": "TK-5501",
        "issue_date": date.today().isoformat(),
        "items": [{"amount": "23.80", "tax": "standard", "category": "Bürobedarf"}],
        "receipt": {"filename": "tk-5501.pdf", "content_base64": PDF},
    }
    control.faults("POST /v1/files", "504_after_commit", count=1, latency_ms=0)
    first = act("create_expense", body)
    again = act("create_expense", body)
    assert again.id == first.id and first.status == "open"
    numbers = [e.number for e in act("list_expenses", {"issued_from": date.today().isoformat()}).items]
    assert numbers.count("TK-5501") == 1
