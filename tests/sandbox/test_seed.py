"""Seeding a realistic company: sizes, every invoice state, determinism, speed, and data the API accepts."""

from __future__ import annotations

import time
from typing import Any

from starlette.testclient import TestClient

from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app, sandbox_state
from lexflow.lexware.sandbox.seed import seed_company


def _client() -> TestClient:
    app = create_app(SandboxConfig(rate_limit=0, ocr_delay_seconds=None))
    return TestClient(app, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})


def _listed(http: TestClient, voucher_type: str, status: str) -> dict[str, Any]:
    r = http.get("/v1/voucherlist", params={"voucherType": voucher_type, "voucherStatus": status, "size": 250})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_seed_sizes_and_states_through_the_api() -> None:
    http = _client()
    counts = http.post("/_sandbox/seed", json={"vouchers": 1000, "seed": 3}).json()
    assert counts["total"] == 1000
    assert counts["invoices"] + counts["credit-notes"] + counts["quotations"] + counts["vouchers"] == 1000
    assert _listed(http, "any", "any")["totalElements"] == 1000
    for status in ("draft", "open", "paid", "voided", "overdue"):
        assert _listed(http, "invoice", status)["totalElements"] > 0, status
    part_paid = [r for r in _listed(http, "invoice", "open")["content"] if 0 < r["openAmount"] < r["totalAmount"]]
    assert part_paid
    paid = _listed(http, "invoice", "paid")["content"][0]
    payment = http.get(f"/v1/payments/{paid['id']}").json()
    assert payment["openAmount"] == 0 and payment["paymentItems"][0]["amount"] == paid["totalAmount"]
    invoice = http.get(f"/v1/invoices/{paid['id']}").json()
    assert invoice["address"]["contactId"] and invoice["totalPrice"]["totalGrossAmount"] == paid["totalAmount"]
    assert http.get(f"/v1/invoices/{paid['id']}/file").status_code == 200
    contacts = http.get("/v1/contacts", params={"size": 250}).json()
    assert contacts["totalElements"] == counts["contacts"]
    emails = [e.lower() for c in contacts["content"] for e in c.get("emailAddresses", {}).get("business", [])]
    assert len(emails) > len(set(emails))  # near-duplicates for the duplicate report
    assert any("vendor" in c["roles"] for c in contacts["content"])
    templates = http.get("/v1/recurring-templates").json()
    assert templates["totalElements"] == counts["recurring-templates"] >= 1
    before = _listed(http, "invoice", "any")["totalElements"]
    http.post("/_sandbox/clock/advance", json={"days": 400})  # every template is due at least once
    assert _listed(http, "invoice", "any")["totalElements"] > before


def test_seed_is_deterministic_by_seed() -> None:
    a, b, c = _client(), _client(), _client()
    for http, seed in ((a, 7), (b, 7), (c, 8)):
        http.post("/_sandbox/seed", json={"vouchers": 300, "seed": seed})
    rows = [_listed(h, "any", "any")["content"] for h in (a, b, c)]
    assert [r["id"] for r in rows[0]] == [r["id"] for r in rows[1]]
    assert rows[0] == rows[1] and [r["id"] for r in rows[0]] != [r["id"] for r in rows[2]]


def test_twenty_thousand_vouchers_in_a_few_seconds() -> None:
    app = create_app(SandboxConfig(rate_limit=0))
    state = sandbox_state(app)
    started = time.perf_counter()
    counts = seed_company(state, "org-big", vouchers=20_000, seed=1)
    elapsed = time.perf_counter() - started
    assert counts["total"] == 20_000 and elapsed < 15, elapsed
    assert state.store.count("org-big", "vouchers") == counts["vouchers"]


def test_seeded_vouchers_survive_a_get_then_put() -> None:
    """Seeded bookkeeping vouchers follow the API's own rules: outgo categories on purchases, shippingDate only on
    sales vouchers, unchecked never net, so a client can GET one and PUT it back (dates as plain dates)."""
    http = _client()
    http.post("/_sandbox/seed", json={"vouchers": 300, "seed": 5})
    for status in ("open", "unchecked"):
        rows = _listed(http, "purchaseinvoice,salesinvoice", status)["content"]
        assert rows, status
        for row in rows[:5]:
            v = http.get(f"/v1/vouchers/{row['id']}").json()
            for key in ("voucherDate", "shippingDate", "dueDate"):
                if v.get(key):
                    v[key] = v[key][:10]
            v.pop("voucherStatus")
            r = http.put(f"/v1/vouchers/{row['id']}", json=v)
            assert r.status_code == 200, (status, r.text)
