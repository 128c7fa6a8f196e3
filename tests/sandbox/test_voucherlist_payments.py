"""Voucherlist (docs/lexware.md#voucher-list, docs/lexware.md#paging) and payments (docs/lexware.md#payments), including the UI-only payment assignment on the state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lexflow.lexware.sandbox import DEFAULT_ORGANIZATION_ID
from tests.sandbox.helpers import company_contact, create, invoice_body, line

ORG = DEFAULT_ORGANIZATION_ID


@pytest.fixture
def world(sandbox_http, sandbox_app):
    cid = sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"]
    old = invoice_body(cid, [line(100)], voucherDate="2026-01-05T00:00:00.000+01:00")
    overdue = create(sandbox_http, "/v1/invoices", old, finalize="true")
    today = sandbox_app.state.sandbox.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    stamp = today.isoformat(timespec="milliseconds")
    ship = {"shippingType": "delivery", "shippingDate": stamp}
    fresh_body = invoice_body(cid, [line(50)], voucherDate=stamp, shippingConditions=ship)
    fresh = create(sandbox_http, "/v1/invoices", fresh_body, finalize="true")
    draft = create(sandbox_http, "/v1/invoices", invoice_body(cid, [line(10)]))
    return {"contact": cid, "overdue": overdue, "fresh": fresh, "draft": draft}


def items(http, **params):
    r = http.get("/v1/voucherlist", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_required_params_and_validation(sandbox_http, world):
    assert sandbox_http.get("/v1/voucherlist", params={"voucherType": "invoice"}).status_code == 400
    bad = sandbox_http.get("/v1/voucherlist", params={"voucherType": "dunning", "voucherStatus": "any"})
    assert bad.status_code == 400 and "details" in bad.json()
    combo = sandbox_http.get("/v1/voucherlist", params={"voucherType": "invoice", "voucherStatus": "open,overdue"})
    assert combo.status_code == 400
    r = sandbox_http.get(
        "/v1/voucherlist",
        params={"voucherType": "any", "voucherStatus": "any", "voucherDateFrom": "2026-01-01T00:00:00+01:00"},
    )
    assert r.status_code == 400 and "voucherDateFrom" in r.json()["message"]
    assert (
        sandbox_http.get(
            "/v1/voucherlist", params={"voucherType": "any", "voucherStatus": "any", "sort": "totalAmount,ASC"}
        ).status_code
        == 400
    )
    assert (
        sandbox_http.get(
            "/v1/voucherlist", params={"voucherType": "any", "voucherStatus": "any", "size": 251}
        ).status_code
        == 400
    )
    window = sandbox_http.get(
        "/v1/voucherlist", params={"voucherType": "any", "voucherStatus": "any", "size": 250, "page": 40}
    )
    assert window.status_code == 400 and "window" in window.json()["message"]


def test_derived_overdue_and_filters(sandbox_http, world):
    page = items(sandbox_http, voucherType="invoice", voucherStatus="overdue")
    assert [i["id"] for i in page["content"]] == [world["overdue"]["id"]]
    open_rows = items(sandbox_http, voucherType="invoice", voucherStatus="open")["content"]
    assert {i["voucherStatus"] for i in open_rows} == {"open", "overdue"}
    assert len(items(sandbox_http, voucherType="invoice", voucherStatus="draft")["content"]) == 1
    row = items(
        sandbox_http, voucherType="invoice", voucherStatus="any", voucherNumber=world["fresh"]["voucherNumber"].lower()
    )["content"]
    assert len(row) == 1 and row[0]["totalAmount"] == 59.5 and row[0]["openAmount"] == 59.5
    assert row[0]["contactName"] == "Müller & Söhne GmbH" and row[0]["currency"] == "EUR"
    ranged = items(
        sandbox_http, voucherType="any", voucherStatus="any", voucherDateFrom="2026-01-05", voucherDateTo="2026-01-05"
    )
    assert [i["id"] for i in ranged["content"]] == [world["overdue"]["id"]]
    assert items(sandbox_http, voucherType="any", voucherStatus="any", contactId=world["contact"])["totalElements"] == 3
    asc = items(sandbox_http, voucherType="invoice", voucherStatus="any", sort="voucherDate,ASC")
    assert asc["content"][0]["id"] == world["overdue"]["id"]
    assert asc["sort"][0]["property"] == "voucherdate"


def test_dunnings_are_not_listed(sandbox_http, world):
    create(sandbox_http, "/v1/dunnings", invoice_body(world["contact"]), precedingSalesVoucherId=world["overdue"]["id"])
    assert all(
        i["voucherType"] != "dunning" for i in items(sandbox_http, voucherType="any", voucherStatus="any")["content"]
    )


def test_payments_and_ui_assignment(sandbox_http, sandbox_app, world):
    assert sandbox_http.get(f"/v1/payments/{world['draft']['id']}").status_code == 406
    p = sandbox_http.get(f"/v1/payments/{world['fresh']['id']}").json()
    assert p == {
        "openAmount": 59.5,
        "currency": "EUR",
        "paymentStatus": "openRevenue",
        "voucherType": "invoice",
        "voucherStatus": "open",
        "paymentItems": [],
    }
    state = sandbox_app.state.sandbox
    state.assign_payment(ORG, world["fresh"]["id"], Decimal("58.31"), "bank")
    state.assign_payment(ORG, world["fresh"]["id"], "1.19", "cashDiscount")
    p = sandbox_http.get(f"/v1/payments/{world['fresh']['id']}").json()
    assert p["openAmount"] == 0 and p["paymentStatus"] == "balanced" and p["voucherStatus"] == "paid"
    assert [i["paymentItemType"] for i in p["paymentItems"]] == ["partPaymentFinancialTransaction", "cashDiscount"]
    assert "paidDate" in p
    types = [e.event_type for e in state.events.history]
    assert types.count("payment.changed") == 2 and "invoice.status.changed" in types
    state.void(ORG, world["overdue"]["id"])
    v = sandbox_http.get(f"/v1/payments/{world['overdue']['id']}").json()
    assert v["paymentStatus"] == "balanced" and v["openAmount"] == 0 and v["voucherStatus"] == "voided"


def test_payments_for_quotations_is_refused(sandbox_http, world):
    body = invoice_body(world["contact"], expirationDate="2026-04-01T00:00:00.000+02:00")
    del body["shippingConditions"]
    q = create(sandbox_http, "/v1/quotations", body, finalize="true")
    assert sandbox_http.get(f"/v1/payments/{q['id']}").status_code == 406
    assert sandbox_http.get("/v1/payments/6e8b1c7a-1111-4a2b-9c3d-000000000009").status_code == 404


def test_quotation_accept_and_delete_draft(sandbox_http, sandbox_app, world):
    state = sandbox_app.state.sandbox
    body = invoice_body(world["contact"], expirationDate="2026-04-01T00:00:00.000+02:00")
    del body["shippingConditions"]
    q = create(sandbox_http, "/v1/quotations", body, finalize="true")
    state.accept_quotation(ORG, q["id"])
    assert sandbox_http.get(f"/v1/quotations/{q['id']}").json()["voucherStatus"] == "accepted"
    state.delete_draft(ORG, "invoices", world["draft"]["id"])
    assert sandbox_http.get(f"/v1/invoices/{world['draft']['id']}").status_code == 404
    assert state.events.history[-1].event_type == "invoice.deleted"


def test_window_caps_total_elements(sandbox_http, sandbox_app):
    stamp = "2025-05-05T00:00:00.000+02:00"
    docs = [
        {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "type": "purchaseinvoice",
            "voucherStatus": "paid",
            "voucherNumber": f"E-{i}",
            "voucherDate": stamp,
            "createdDate": stamp,
            "updatedDate": stamp,
            "totalGrossAmount": 11.9,
            "totalTaxAmount": 1.9,
            "useCollectiveContact": True,
            "version": 1,
        }
        for i in range(10_050)
    ]
    sandbox_app.state.sandbox.store.put_many(ORG, "vouchers", docs)
    first = items(sandbox_http, voucherType="purchaseinvoice", voucherStatus="paid", size=250)
    assert first["totalElements"] == 10_000 and first["totalPages"] == 40
    last = items(sandbox_http, voucherType="purchaseinvoice", voucherStatus="paid", size=250, page=39)
    assert last["numberOfElements"] == 250 and last["last"] is True
    r = sandbox_http.get(
        "/v1/voucherlist", params={"voucherType": "purchaseinvoice", "voucherStatus": "paid", "size": 250, "page": 40}
    )
    assert r.status_code == 400 and r.json()["message"] == "Maximum search window size exceeded"
    narrowed = items(sandbox_http, voucherType="purchaseinvoice", voucherStatus="paid", voucherNumber="e-10049")
    assert narrowed["totalElements"] == 1 and narrowed["content"][0]["contactName"] == "Sammelkunde"


def test_dunnings_can_be_listed_when_configured():
    from starlette.testclient import TestClient

    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    app = create_app(SandboxConfig(rate_limit=0, list_dunnings=True))
    with TestClient(app, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http:
        cid = http.post("/v1/contacts", json=company_contact()).json()["id"]
        inv = http.post("/v1/invoices", json=invoice_body(cid), params={"finalize": "true"}).json()["id"]
        http.post("/v1/dunnings", json=invoice_body(cid), params={"precedingSalesVoucherId": inv})
        rows = items(http, voucherType="dunning", voucherStatus="draft")["content"]
        assert [r["voucherType"] for r in rows] == ["dunning"]


def test_boolean_filters_refuse_other_values(sandbox_http, world):
    base = {"voucherType": "invoice", "voucherStatus": "any"}
    r = sandbox_http.get("/v1/voucherlist", params={**base, "archived": "yes"})
    assert r.status_code == 400 and "'archived'" in r.json()["message"] and "details" in r.json()
    assert items(sandbox_http, **base, archived="false")["totalElements"] == 3
    assert items(sandbox_http, **base, archived="TRUE")["totalElements"] == 0
    r = sandbox_http.get("/v1/contacts", params={"customer": "1"})
    assert r.status_code == 400 and r.json()["IssueList"][0]["source"] == "customer"
