"""Conformance with the live API where third-party clients written against it tripped over the sandbox (issue 15).

Each test fails on the sandbox before the fix it names; the facts and their sources are in docs/lexware.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app
from tests.sandbox.helpers import TS, company_contact, create, invoice_body, line

OUTGO = "8f8664a4-fd86-11e1-a21f-0800200c9a66"  # Bürobedarf
PDF = b"%PDF-1.4\n% receipt\n"
EU = set("AT BE BG CY CZ DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())  # noqa: SIM905


def _client(**config: Any) -> Iterator[TestClient]:
    app = create_app(SandboxConfig(rate_limit=0, ocr_delay_seconds=None, base_url="http://sandbox.test", **config))
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}", "Accept": "application/json"}
    with TestClient(app, base_url="http://sandbox.test", headers=headers) as client:
        yield client


@pytest.fixture
def customer(sandbox_http) -> str:
    return str(sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"])


# ---------------------------------------------------------------------------------------------------- countries
def test_countries_are_the_full_iso_list_with_tax_classification(sandbox_http):
    rows = sandbox_http.get("/v1/countries").json()
    by_code = {r["countryCode"]: r for r in rows}
    assert len(rows) == len(by_code) >= 249  # every ISO 3166-1 code (live: about 257)
    assert {r["taxClassification"] for r in rows} == {"de", "intraCommunity", "thirdPartyCountry"}
    assert by_code["DE"]["taxClassification"] == "de"
    assert {c for c, r in by_code.items() if r["taxClassification"] == "intraCommunity"} == EU
    for code in ("BR", "IN", "AE", "KR", "GB", "CH", "ES_CN", "GR_69"):
        assert by_code[code]["taxClassification"] == "thirdPartyCountry", code
    assert by_code["KR"]["countryNameDE"] == "Südkorea" and by_code["BR"]["countryNameEN"] == "Brazil"


@pytest.mark.parametrize("code", ["BR", "IN", "AE", "KR"])
def test_any_iso_country_is_accepted_on_contacts_and_documents(sandbox_http, code):
    body = company_contact(addresses={"billing": [{"city": "Somewhere", "countryCode": code}]})
    contact = sandbox_http.post("/v1/contacts", json=body)
    assert contact.status_code == 200, contact.text
    address = {"name": "Overseas Ltd", "countryCode": code}
    inv = create(sandbox_http, "/v1/invoices", invoice_body(address=address, taxConditions={"taxType": "net"}))
    assert inv["address"]["countryCode"] == code
    refused = sandbox_http.post("/v1/invoices", json=invoice_body(address={"name": "X", "countryCode": "XX"}))
    assert refused.status_code == 406 and "countryCode" in refused.text


def test_tax_sub_type_follows_the_country_classification(sandbox_http):
    """docs/lexware.md#tax-conditions: distance sales / electronic services only for EU recipients, with net or gross."""
    eu = invoice_body(address={"name": "Client SARL", "countryCode": "FR"})
    eu["taxConditions"] = {"taxType": "gross", "taxSubType": "distanceSales"}
    eu["lineItems"] = [line(rate=19) | {"unitPrice": {"currency": "EUR", "grossAmount": 119, "taxRatePercentage": 19}}]
    assert sandbox_http.post("/v1/invoices", json=eu).status_code == 201
    for code in ("US", "DE", "ES_CN"):
        body = {**eu, "address": {"name": "Client", "countryCode": code}}
        r = sandbox_http.post("/v1/invoices", json=body)
        assert r.status_code == 406 and "taxConditions.taxSubType" in r.text, code


def test_posting_categories_keep_the_documented_income_ids(sandbox_http):
    cats = sandbox_http.get("/v1/posting-categories").json()
    assert len({c["id"] for c in cats}) == len(cats)
    assert {"income", "outgo"} == {c["type"] for c in cats}
    for cat in cats:
        assert set(cat) == {"id", "name", "type", "contactRequired", "splitAllowed", "groupName"}
    income = {c["id"] for c in cats if c["type"] == "income"}
    assert {"8f8664a8-fd86-11e1-a21f-0800200c9a66", "9075a4e3-66de-4795-a016-3889feca0d20"} <= income


# ---------------------------------------------------------------------------------------------------- vouchers
def _voucher() -> dict[str, Any]:
    return {
        "type": "purchaseinvoice",
        "voucherNumber": "ER-1",
        "voucherDate": "2026-03-02",
        "dueDate": "2026-03-16",
        "totalGrossAmount": 119,
        "totalTaxAmount": 19,
        "taxType": "gross",
        "useCollectiveContact": True,
        "contactName": "Bürohandel Schulze",
        "voucherItems": [{"amount": 119, "taxAmount": 19, "taxRatePercent": 19, "categoryId": OUTGO}],
    }


def test_voucher_read_then_put_back_as_read(sandbox_http):
    """GET answers timestamps; PUTting the record back as read (read-merge-write) works, as it does live."""
    vid = sandbox_http.post("/v1/vouchers", json=_voucher()).json()["id"]
    read = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert read["voucherDate"] == "2026-03-02T00:00:00.000+01:00" and read["dueDate"].startswith("2026-03-16T")
    r = sandbox_http.put(f"/v1/vouchers/{vid}", json={**read, "remark": "geprüft"})
    assert r.status_code == 200, r.text
    again = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert (again["voucherDate"], again["dueDate"], again["remark"]) == (
        read["voucherDate"],
        read["dueDate"],
        "geprüft",
    )
    # a timestamp in another offset means its Berlin day; plain dates still work; anything else is refused
    utc = {**again, "voucherDate": "2026-03-04T23:30:00.000Z", "dueDate": "2026-03-20"}
    assert sandbox_http.put(f"/v1/vouchers/{vid}", json=utc).status_code == 200
    stored = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert stored["voucherDate"].startswith("2026-03-05T00:00:00.000") and stored["dueDate"].startswith("2026-03-20")
    bad = sandbox_http.put(f"/v1/vouchers/{vid}", json={**stored, "voucherDate": "2026-03-05T00:00:00"})
    assert bad.status_code == 406 and bad.json()["IssueList"][0]["source"] == "voucherDate"


def test_voucher_numbers_are_answered_as_floats(sandbox_http):
    vid = sandbox_http.post("/v1/vouchers", json=_voucher()).json()["id"]
    v = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    item = v["voucherItems"][0]
    for value in (
        v["totalGrossAmount"],
        v["totalTaxAmount"],
        item["amount"],
        item["taxAmount"],
        item["taxRatePercent"],
    ):
        assert isinstance(value, float)


def test_an_upload_is_an_unchecked_purchase_invoice_that_can_be_put_back(sandbox_http, sandbox_app):
    up = sandbox_http.post("/v1/files", files={"file": ("r.pdf", PDF, "application/pdf")}, data={"type": "voucher"})
    vid = up.json()["voucherId"]
    blank = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert blank["type"] == "purchaseinvoice" and blank["voucherStatus"] == "blank"
    assert sandbox_http.put(f"/v1/vouchers/{vid}", json={**blank, "remark": "Taxi"}).status_code == 200
    state = sandbox_app.state.sandbox
    state.finish_ocr(state.keys.lookup(DEFAULT_API_KEY).organization_id, vid, voucherNumber="T-1")
    read = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert (read["type"], read["voucherStatus"], read["files"]) == ("purchaseinvoice", "unchecked", [up.json()["id"]])
    r = sandbox_http.put(f"/v1/vouchers/{vid}", json={**read, "remark": "Taxi zum Kunden"})
    assert r.status_code == 200, r.text
    after = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert after["voucherStatus"] == "unchecked" and after["files"] == read["files"]
    # what stays refused: a status other than open or the unchanged unchecked
    assert sandbox_http.put(f"/v1/vouchers/{vid}", json={**after, "voucherStatus": "paid"}).status_code == 406


def test_a_paid_voucher_stays_editable_without_its_status(sandbox_http):
    """Clients strip the payment-derived status on read-merge-write and the PUT works live; echoing it is refused."""
    vid = sandbox_http.post("/v1/vouchers", json=_voucher()).json()["id"]
    assert sandbox_http.post(f"/_sandbox/vouchers/{vid}/payments", json={"kind": "bank"}).status_code == 200
    read = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert read["voucherStatus"] == "paid"
    assert sandbox_http.put(f"/v1/vouchers/{vid}", json=read).status_code == 406  # echoes "paid"
    for status in ("open", "unchecked"):
        assert sandbox_http.put(f"/v1/vouchers/{vid}", json={**read, "voucherStatus": status}).status_code == 406
    edit = {k: v for k, v in read.items() if k != "voucherStatus"} | {"remark": "Rechnung vom Lieferanten"}
    assert sandbox_http.put(f"/v1/vouchers/{vid}", json=edit).status_code == 200
    after = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert (after["voucherStatus"], after["remark"]) == ("paid", "Rechnung vom Lieferanten")


# ------------------------------------------------------------------------------------------- sales documents
def test_drafts_carry_a_voucher_number_by_default(sandbox_http):
    draft = create(sandbox_http, "/v1/invoices", invoice_body())
    final = create(sandbox_http, "/v1/invoices", invoice_body(), finalize="true")
    assert draft["voucherStatus"] == "draft" and draft["voucherNumber"] == "RE1001"
    assert final["voucherNumber"] == "RE1002"
    quote = create(sandbox_http, "/v1/quotations", {**invoice_body(), "expirationDate": TS})
    assert quote["voucherNumber"].startswith("AG")


def test_drafts_without_numbers_when_switched_off():
    for http in _client(draft_voucher_numbers=False):
        draft = create(http, "/v1/invoices", invoice_body())
        final = create(http, "/v1/invoices", invoice_body(), finalize="true")
        assert "voucherNumber" not in draft and final["voucherNumber"] == "RE1001"


def test_payment_term_label_template_is_answered(sandbox_http):
    inv = create(sandbox_http, "/v1/invoices", invoice_body())
    pc = inv["paymentConditions"]
    assert pc["paymentTermLabelTemplate"] == "Zahlbar innerhalb von {paymentRange} Tagen ohne Abzug."
    assert pc["paymentTermLabel"] == "Zahlbar innerhalb von 14 Tagen ohne Abzug."
    skonto = {"paymentTermDuration": 30, "paymentDiscountConditions": {"discountPercentage": 2, "discountRange": 10}}
    quote = create(
        sandbox_http, "/v1/quotations", {**invoice_body(), "expirationDate": TS, "paymentConditions": skonto}
    )
    pc = quote["paymentConditions"]
    assert "{discountRange}" in pc["paymentTermLabelTemplate"] and "{discount}" in pc["paymentTermLabelTemplate"]
    assert pc["paymentTermLabel"].endswith("innerhalb von 10 Tagen 2 % Skonto.")
    assert pc["paymentDiscountConditions"] == {"discountPercentage": 2.0, "discountRange": 10}
    # read-only: a template the client sends is ignored; its own label is kept and is the template
    own = {"paymentTermDuration": 7, "paymentTermLabel": "7 Tage netto", "paymentTermLabelTemplate": "{x}"}
    oc = create(sandbox_http, "/v1/order-confirmations", invoice_body(paymentConditions=own))
    assert oc["paymentConditions"]["paymentTermLabelTemplate"] == "7 Tage netto"


def test_sales_documents_have_the_live_shapes(sandbox_http, customer):
    inv = create(sandbox_http, "/v1/invoices", invoice_body(customer, [line(10, qty=2)]))
    item = inv["lineItems"][0]
    assert isinstance(item["quantity"], float) and item["quantity"] == 2.0
    assert item["discountPercentage"] == 0.0 and isinstance(item["discountPercentage"], float)
    assert isinstance(item["unitPrice"]["taxRatePercentage"], float)
    layouts = sandbox_http.get("/v1/print-layouts").json()
    assert inv["printLayoutId"] == next(p["id"] for p in layouts if p["default"])
    discounted = create(
        sandbox_http, "/v1/invoices", invoice_body(totalPrice={"currency": "EUR", "totalDiscountPercentage": 10})
    )
    assert isinstance(discounted["totalPrice"]["totalDiscountPercentage"], float)

    quote = create(sandbox_http, "/v1/quotations", {**invoice_body(customer), "expirationDate": TS})
    assert (quote["lineItems"][0]["optional"], quote["lineItems"][0]["alternative"]) == (False, False)
    for path in ("/v1/order-confirmations", "/v1/delivery-notes"):
        doc = create(sandbox_http, path, invoice_body(customer))
        assert "deliveryTerms" in doc and doc["deliveryTerms"] is None, path
    with_terms = create(sandbox_http, "/v1/order-confirmations", invoice_body(customer, deliveryTerms="frei Haus"))
    assert with_terms["deliveryTerms"] == "frei Haus"
    cn = create(sandbox_http, "/v1/credit-notes", invoice_body(customer))
    # credit notes have no line discounts (docs/lexware.md#credit-notes)
    assert "discountPercentage" not in cn["lineItems"][0]


# ---------------------------------------------------------------------------------------------------- contacts
def test_contacts_carry_no_created_or_updated_date(sandbox_http):
    created = sandbox_http.post("/v1/contacts", json=company_contact())
    # the action result has them (docs/lexware.md#action-results)
    assert {"createdDate", "updatedDate"} <= set(created.json())
    contact = sandbox_http.get(f"/v1/contacts/{created.json()['id']}").json()
    listed = sandbox_http.get("/v1/contacts").json()["content"][0]
    for record in (contact, listed):
        assert not {"createdDate", "updatedDate"} & set(record)
        assert {"id", "organizationId", "version", "roles", "company", "archived"} <= set(record)


# ---------------------------------------------------------------------------------------------------- ping
def test_ping_checks_the_credentials(sandbox_http):
    r = sandbox_http.get("/v1/ping")
    assert r.status_code == 200 and "@" in r.json()["userEmail"]
    assert sandbox_http.get("/v1/ping", headers={"Authorization": "Bearer wrong"}).status_code == 401
    for http in _client(ping_endpoint=False):
        off = http.get("/v1/ping")
        assert off.status_code == 403 and "message" in off.json()


def test_seeded_documents_have_the_same_shapes(sandbox_http):
    assert sandbox_http.post("/_sandbox/seed", json={"vouchers": 200, "seed": 7}).status_code == 200
    rows = sandbox_http.get("/v1/voucherlist", params={"voucherType": "invoice", "voucherStatus": "draft"}).json()
    assert rows["content"] and all(r["voucherNumber"] for r in rows["content"])
    inv = sandbox_http.get(f"/v1/invoices/{rows['content'][0]['id']}").json()
    assert inv["printLayoutId"] and inv["paymentConditions"]["paymentTermLabelTemplate"]
    assert all(isinstance(li["quantity"], float) for li in inv["lineItems"])
