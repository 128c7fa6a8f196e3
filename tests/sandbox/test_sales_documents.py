"""Sales documents (docs/lexware.md#sales-documents, docs/lexware.md#totals, docs/lexware.md#files): validation, totals, finalize, pursue chains, files."""

from __future__ import annotations

import pytest

from tests.sandbox.helpers import TS, company_contact, create, invoice_body, line


@pytest.fixture
def customer(sandbox_http):
    return sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"]


def test_server_totals_ignore_client_totals(sandbox_http, customer):
    items = [line(13.40, qty=2, discountPercentage=50), line(8.32, rate=7), line(5.00, rate=0)]
    body = invoice_body(customer, items, totalPrice={"currency": "EUR", "totalGrossAmount": 1.0})
    inv = create(sandbox_http, "/v1/invoices", body, finalize="true")
    assert inv["totalPrice"]["totalNetAmount"] == 26.72
    assert inv["totalPrice"]["totalTaxAmount"] == 3.13
    assert inv["totalPrice"]["totalGrossAmount"] == 29.85
    assert inv["lineItems"][0]["lineItemAmount"] == 13.40
    assert inv["lineItems"][0]["unitPrice"]["grossAmount"] == 15.946
    assert inv["voucherStatus"] == "open" and inv["voucherNumber"].startswith("RE")
    assert inv["dueDate"].startswith("2026-03-16")
    assert inv["address"]["name"] == "Müller & Söhne GmbH" and inv["address"]["city"] == "München"


def test_gross_invoice_sample(sandbox_http):
    item = line(0, rate=19)
    item["unitPrice"] = {"currency": "EUR", "grossAmount": 720.00, "taxRatePercentage": 19}
    inv = create(sandbox_http, "/v1/invoices", invoice_body(items=[item], taxConditions={"taxType": "gross"}))
    assert inv["voucherStatus"] == "draft"
    assert (inv["totalPrice"]["totalNetAmount"], inv["totalPrice"]["totalTaxAmount"]) == (605.04, 114.96)


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-08-21",
        "2026-08-21T00:00:00",
        "2026-08-21T00:00:00Z",
        "2026-08-21T00:00:00.00+01:00",
        "2026-08-21 00:00:00.000+01:00",
    ],
)
def test_timestamp_format_is_strict(sandbox_http, stamp):
    r = sandbox_http.post("/v1/invoices", json=invoice_body(voucherDate=stamp))
    assert r.status_code == 406
    assert r.json()["details"][0]["field"] == "voucherDate"
    assert r.json()["path"] == "/v1/invoices"


def test_timestamps_come_back_in_berlin_time_and_filter_by_berlin_day(sandbox_http):
    utc = "2026-01-04T23:30:00.000Z"  # 00:30 on 5 January in Berlin
    ship = {"shippingType": "delivery", "shippingDate": utc}
    inv = create(sandbox_http, "/v1/invoices", invoice_body(voucherDate=utc, shippingConditions=ship), finalize="true")
    assert inv["voucherDate"] == inv["shippingConditions"]["shippingDate"] == "2026-01-05T00:30:00.000+01:00"
    assert inv["dueDate"].startswith("2026-01-19")
    day = {
        "voucherType": "invoice",
        "voucherStatus": "any",
        "voucherDateFrom": "2026-01-05",
        "voucherDateTo": "2026-01-05",
    }
    assert [r["id"] for r in sandbox_http.get("/v1/voucherlist", params=day).json()["content"]] == [inv["id"]]


def test_required_fields_and_line_rules(sandbox_http):
    body = invoice_body(items=[line(10, id="6e8b1c7a-1111-4a2b-9c3d-000000000001"), line(10, unitPrice=None)])
    del body["shippingConditions"]
    body["totalPrice"] = {"currency": "USD"}
    r = sandbox_http.post("/v1/invoices", json=body)
    assert r.status_code == 406
    fields = {d["field"]: d for d in r.json()["details"]}
    assert "shippingConditions" in fields
    assert "totalPrice.currency" in fields
    assert fields["lineItems[0].id"]["message"] == "Only line items of type 'material' or 'service' can contain an ID"
    assert "lineItems[1].unitPrice" in fields


def test_tax_rates_by_date(sandbox_http):
    reduced = "2020-08-01T00:00:00.000+02:00"
    ship = {"shippingType": "delivery", "shippingDate": reduced}
    ok = sandbox_http.post(
        "/v1/invoices", json=invoice_body(items=[line(10, rate=16)], voucherDate=reduced, shippingConditions=ship)
    )
    assert ok.status_code == 201
    bad = sandbox_http.post(
        "/v1/invoices", json=invoice_body(items=[line(10, rate=19)], voucherDate=reduced, shippingConditions=ship)
    )
    assert bad.status_code == 406
    assert bad.json()["details"][0]["field"] == "lineItems[0].unitPrice.taxRatePercentage"
    # the shipping date decides, not the voucher date
    r = sandbox_http.post("/v1/invoices", json=invoice_body(items=[line(10, rate=16)], shippingConditions=ship))
    assert r.status_code == 201


def test_vat_free_types(sandbox_http, customer):
    r = sandbox_http.post(
        "/v1/invoices", json=invoice_body(items=[line(10, rate=19)], taxConditions={"taxType": "intraCommunitySupply"})
    )
    assert r.status_code == 406
    fields = {d["field"] for d in r.json()["details"]}
    assert {"address.contactId", "lineItems[0].unitPrice.taxRatePercentage"} <= fields
    ok = sandbox_http.post(
        "/v1/invoices",
        json=invoice_body(customer, [line(10, rate=0)], taxConditions={"taxType": "intraCommunitySupply"}),
    )
    assert ok.status_code == 201


def test_no_put_delete_or_list_on_sales_documents(sandbox_http):
    iid = sandbox_http.post("/v1/invoices", json=invoice_body()).json()["id"]
    assert sandbox_http.put(f"/v1/invoices/{iid}", json={}).status_code == 403
    assert sandbox_http.delete(f"/v1/invoices/{iid}").status_code == 403
    assert sandbox_http.get("/v1/invoices").status_code == 403


def test_measured_404_for_put_is_configurable():
    from starlette.testclient import TestClient

    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    app = create_app(SandboxConfig(rate_limit=0, unsupported_method_status=404))
    with TestClient(app, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http:
        iid = http.post("/v1/invoices", json=invoice_body()).json()["id"]
        assert http.put(f"/v1/invoices/{iid}", json={}).status_code == 404


def test_credit_note_pursued_from_invoice_pays_it_off(sandbox_http, customer, sandbox_app):
    inv = create(sandbox_http, "/v1/invoices", invoice_body(customer, [line(100)]), finalize="true")
    draft_inv = create(sandbox_http, "/v1/invoices", invoice_body(customer))
    cn_body = invoice_body(customer, [line(100)])
    del cn_body["shippingConditions"]
    r = sandbox_http.post(
        "/v1/credit-notes", json=cn_body, params={"precedingSalesVoucherId": draft_inv["id"], "finalize": "true"}
    )
    assert r.status_code == 406
    cn = create(sandbox_http, "/v1/credit-notes", cn_body, precedingSalesVoucherId=inv["id"], finalize="true")
    assert cn["voucherStatus"] == "paidoff"
    after = sandbox_http.get(f"/v1/invoices/{inv['id']}").json()
    assert after["voucherStatus"] == "paid"
    assert {"id": cn["id"], "voucherNumber": cn["voucherNumber"], "voucherType": "creditnote"} in after[
        "relatedVouchers"
    ]
    again = sandbox_http.post("/v1/credit-notes", json=cn_body, params={"precedingSalesVoucherId": inv["id"]})
    assert again.status_code == 406
    events = [e.event_type for e in sandbox_app.state.sandbox.events.history]
    assert "credit-note.created" in events and "payment.changed" in events and "invoice.status.changed" in events


def test_partial_credit_note_reduces_open_amount(sandbox_http, customer):
    inv = create(sandbox_http, "/v1/invoices", invoice_body(customer, [line(100)]), finalize="true")
    cn_body = invoice_body(customer, [line(40)])
    del cn_body["shippingConditions"]
    create(sandbox_http, "/v1/credit-notes", cn_body, precedingSalesVoucherId=inv["id"], finalize="true")
    pay = sandbox_http.get(f"/v1/payments/{inv['id']}").json()
    assert pay["openAmount"] == 71.4 and pay["voucherStatus"] == "open"
    assert pay["paymentItems"][0]["paymentItemType"] == "partPaymentCreditNote"


def test_pursue_chain_and_its_406s(sandbox_http, customer):
    q_body = invoice_body(customer, expirationDate=TS)
    del q_body["shippingConditions"]
    q_draft = create(sandbox_http, "/v1/quotations", q_body)
    oc_body = invoice_body(customer)
    assert (
        sandbox_http.post(
            "/v1/order-confirmations", json=oc_body, params={"precedingSalesVoucherId": q_draft["id"]}
        ).status_code
        == 406
    )
    q = create(sandbox_http, "/v1/quotations", q_body, finalize="true")
    oc = create(sandbox_http, "/v1/order-confirmations", oc_body, precedingSalesVoucherId=q["id"], finalize="true")
    dn = create(sandbox_http, "/v1/delivery-notes", oc_body, precedingSalesVoucherId=oc["id"])
    assert dn["voucherStatus"] == "draft" and "totalPrice" not in dn
    inv = create(sandbox_http, "/v1/invoices", oc_body, precedingSalesVoucherId=oc["id"], finalize="true")
    assert inv["relatedVouchers"][0]["voucherType"] == "orderconfirmation"
    # a delivery note cannot become a quotation's predecessor / credit notes only follow invoices
    assert (
        sandbox_http.post("/v1/credit-notes", json=q_body, params={"precedingSalesVoucherId": q["id"]}).status_code
        == 406
    )
    # draft delivery note cannot be pursued
    assert (
        sandbox_http.post("/v1/invoices", json=oc_body, params={"precedingSalesVoucherId": dn["id"]}).status_code == 406
    )
    opt_q = create(
        sandbox_http, "/v1/quotations", {**q_body, "lineItems": [line(10), line(5, optional=True)]}, finalize="true"
    )
    assert opt_q["totalPrice"]["totalNetAmount"] == 10.0
    assert (
        sandbox_http.post(
            "/v1/order-confirmations", json=oc_body, params={"precedingSalesVoucherId": opt_q["id"]}
        ).status_code
        == 406
    )


def test_dunning_is_always_draft(sandbox_http, customer):
    inv = create(sandbox_http, "/v1/invoices", invoice_body(customer), finalize="true")
    assert sandbox_http.post("/v1/dunnings", json=invoice_body(customer)).status_code == 406
    d = create(sandbox_http, "/v1/dunnings", invoice_body(customer), precedingSalesVoucherId=inv["id"], finalize="true")
    assert d["voucherStatus"] == "draft" and "voucherNumber" not in d
    # dunnings are always drafts, yet the reference documents 200 for their /document and /file
    assert sandbox_http.get(f"/v1/dunnings/{d['id']}/document").status_code == 200
    pdf = sandbox_http.get(f"/v1/dunnings/{d['id']}/file", headers={"Accept": "*/*"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert sandbox_http.get(f"/v1/invoices/{inv['id']}").json()["relatedVouchers"][0]["voucherType"] == "dunning"


def test_document_and_file_rules(sandbox_http, customer):
    draft = create(sandbox_http, "/v1/invoices", invoice_body(customer))
    assert sandbox_http.get(f"/v1/invoices/{draft['id']}/document").status_code == 406
    assert sandbox_http.get(f"/v1/invoices/{draft['id']}/file").status_code == 409
    inv = create(sandbox_http, "/v1/invoices", invoice_body(customer), finalize="true")
    doc = sandbox_http.get(f"/v1/invoices/{inv['id']}/document").json()
    pdf = sandbox_http.get(f"/v1/files/{doc['documentFileId']}", headers={"Accept": "*/*"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    r = sandbox_http.get(f"/v1/invoices/{inv['id']}/file", headers={"Accept": "application/pdf"})
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert inv["voucherNumber"] in r.headers["content-disposition"]
    assert sandbox_http.get(f"/v1/invoices/{inv['id']}/file", headers={"Accept": "application/xml"}).status_code == 404
    assert sandbox_http.get(f"/v1/invoices/{inv['id']}/file", headers={"Accept": "text/html"}).status_code == 406


def test_xrechnung_invoice_gives_xml_for_any_accept(sandbox_http):
    body = company_contact(xRechnung={"buyerReference": "04011000-12345-34", "vendorNumberAtCustomer": "K-4711"})
    cid = sandbox_http.post("/v1/contacts", json=body).json()["id"]
    inv = create(sandbox_http, "/v1/invoices", invoice_body(cid), finalize="true")
    assert inv["electronicDocumentProfile"] == "XRechnung"
    r = sandbox_http.get(f"/v1/invoices/{inv['id']}/file", headers={"Accept": "*/*"})
    assert r.headers["content-type"].startswith("application/xml")
    assert b"04011000-12345-34" in r.content and b"<cbc:PayableAmount" in r.content
    pdf = sandbox_http.get(f"/v1/invoices/{inv['id']}/file", headers={"Accept": "application/pdf"})
    assert pdf.content.startswith(b"%PDF")
    plain = create(sandbox_http, "/v1/invoices", invoice_body(cid, xRechnung={"buyerReference": ""}), finalize="true")
    assert plain["electronicDocumentProfile"] == "NONE"


def test_pdf_shows_number_address_lines_tax_and_totals(sandbox_http, customer):
    items = [line(13.40, qty=2, discountPercentage=50), line(8.32, rate=7, name="Versandpauschale"), line(5.00, rate=0)]
    inv = create(sandbox_http, "/v1/invoices", invoice_body(customer, items), finalize="true")
    pdf = sandbox_http.get(f"/v1/invoices/{inv['id']}/file", headers={"Accept": "application/pdf"}).content
    for text in (inv["voucherNumber"], "München", "Versandpauschale", "Umsatzsteuer 19", "29,85 EUR", "26,72 EUR"):
        assert text.encode("latin-1") in pdf, text
