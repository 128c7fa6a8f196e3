"""Every change emits its webhook event; every response timestamp has milliseconds and an offset (docs/lexware.md#timestamps)."""

from __future__ import annotations

import re

from tests.sandbox.helpers import company_contact, invoice_body

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")
OUTGO = "8f8664a4-fd86-11e1-a21f-0800200c9a66"


def test_events_for_every_change(sandbox_http, sandbox_app):
    seen: list[tuple[str, str]] = []
    sandbox_app.state.sandbox.events.subscribe(lambda e: seen.append((e.event_type, e.resource_id)))
    cid = sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"]
    c = sandbox_http.get(f"/v1/contacts/{cid}").json()
    sandbox_http.put(f"/v1/contacts/{cid}", json=c)
    article = {
        "title": "Kabel",
        "type": "PRODUCT",
        "unitName": "m",
        "price": {"leadingPrice": "NET", "netPrice": 2, "taxRate": 19},
    }
    aid = sandbox_http.post("/v1/articles", json=article).json()["id"]
    a = sandbox_http.get(f"/v1/articles/{aid}").json()
    sandbox_http.put(f"/v1/articles/{aid}", json=a)
    sandbox_http.delete(f"/v1/articles/{aid}")
    iid = sandbox_http.post("/v1/invoices", json=invoice_body(cid), params={"finalize": "true"}).json()["id"]
    voucher = {
        "type": "purchaseinvoice",
        "voucherStatus": "unchecked",
        "taxType": "gross",
        "useCollectiveContact": True,
        "voucherItems": [{"amount": 11.9, "taxAmount": 1.9, "taxRatePercent": 19, "categoryId": OUTGO}],
        "totalGrossAmount": 11.9,
        "totalTaxAmount": 1.9,
    }
    vid = sandbox_http.post("/v1/vouchers", json=voucher).json()["id"]
    v = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    v.update({"voucherStatus": "open", "voucherNumber": "E-1", "voucherDate": "2026-03-01"})
    v.pop("dueDate", None)
    assert sandbox_http.put(f"/v1/vouchers/{vid}", json=v).status_code == 200
    assert seen == [
        ("contact.created", cid),
        ("contact.changed", cid),
        ("article.created", aid),
        ("article.changed", aid),
        ("article.deleted", aid),
        ("invoice.created", iid),
        ("voucher.created", vid),
        ("voucher.changed", vid),
        ("voucher.status.changed", vid),
    ]
    event = sandbox_app.state.sandbox.events.history[-1]
    assert set(event.payload()) == {"organizationId", "eventType", "resourceId", "eventDate"}
    assert STAMP.match(event.payload()["eventDate"])


def test_response_timestamps_have_milliseconds_and_offset(sandbox_http):
    cid = sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"]
    r = sandbox_http.post("/v1/invoices", json=invoice_body(cid), params={"finalize": "true"})
    for key in ("createdDate", "updatedDate"):
        assert STAMP.match(r.json()[key]), r.json()[key]
    inv = sandbox_http.get(f"/v1/invoices/{r.json()['id']}").json()
    for key in ("createdDate", "updatedDate", "voucherDate", "dueDate"):
        assert STAMP.match(inv[key]), (key, inv[key])
    err = sandbox_http.post("/v1/invoices", json=invoice_body(voucherDate="2026-01-01")).json()
    assert STAMP.match(err["timestamp"]) and err["status"] == 406 and err["error"] == "Not Acceptable"
