"""Bookkeeping vouchers (docs/lexware.md#bookkeeping-vouchers) and their files (docs/lexware.md#files): checked totals, measured error codes, status rules."""

from __future__ import annotations

import pytest

from tests.sandbox.helpers import company_contact

OUTGO = "8f8664a4-fd86-11e1-a21f-0800200c9a66"  # Bürobedarf
INCOME = "8f8664a8-fd86-11e1-a21f-0800200c9a66"  # Warenverkäufe
PDF = b"%PDF-1.4\n% sandbox test\n"


def voucher(**extra):
    body = {
        "type": "purchaseinvoice",
        "voucherNumber": "ER-2026-001",
        "voucherDate": "2026-03-02",
        "totalGrossAmount": 119.00,
        "totalTaxAmount": 19.00,
        "taxType": "gross",
        "useCollectiveContact": True,
        "contactName": "Bürohandel Schulze",
        "voucherItems": [{"amount": 119.00, "taxAmount": 19.00, "taxRatePercent": 19, "categoryId": OUTGO}],
    }
    body.update(extra)
    return body


def issues(r):
    return {i["source"]: i["i18nKey"] for i in r.json()["IssueList"]}


def test_create_and_read_back_as_timestamps(sandbox_http):
    r = sandbox_http.post("/v1/vouchers", json=voucher())
    assert r.status_code == 200, r.text
    v = sandbox_http.get(f"/v1/vouchers/{r.json()['id']}").json()
    assert v["voucherStatus"] == "open"
    assert v["voucherDate"].startswith("2026-03-02T00:00:00.000+01:00")
    assert v["dueDate"] == v["voucherDate"]


def test_totals_are_checked_not_computed(sandbox_http):
    r = sandbox_http.post("/v1/vouchers", json=voucher(totalGrossAmount=120.00))
    assert r.status_code == 406 and issues(r)["totalGrossAmount"] == "invalid_total_amount"
    items = [{"amount": 119.00, "taxAmount": 7.00, "taxRatePercent": 19, "categoryId": OUTGO}]
    r = sandbox_http.post("/v1/vouchers", json=voucher(totalTaxAmount=7.00, voucherItems=items))
    assert issues(r)["voucherItems[0].taxAmount"] == "invalid_taxamount"
    net_items = [{"amount": 100.00, "taxAmount": 19.00, "taxRatePercent": 19, "categoryId": OUTGO}]
    assert sandbox_http.post("/v1/vouchers", json=voucher(taxType="net", voucherItems=net_items)).status_code == 200


def test_contact_rules(sandbox_http):
    cid = sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"]
    r = sandbox_http.post("/v1/vouchers", json=voucher(useCollectiveContact=False, contactId=cid))
    assert issues(r)["contactName"] == "custom_contact_name_for_referenced_contact_not_allowed"
    r = sandbox_http.post("/v1/vouchers", json=voucher(useCollectiveContact=False, contactName=None))
    assert issues(r)["contactId"] == "Missing_ContactId"
    r = sandbox_http.post(
        "/v1/vouchers", json=voucher(voucherItems=[{**voucher()["voucherItems"][0], "categoryId": INCOME}])
    )
    assert issues(r)["voucherItems[0].categoryId"] == "invalid_value"


def test_unchecked_rules_and_booking(sandbox_http):
    r = sandbox_http.post("/v1/vouchers", json=voucher(voucherStatus="unchecked", taxType="net"))
    assert issues(r)["taxType"] == "invalid_value"
    vid = sandbox_http.post(
        "/v1/vouchers",
        json={
            "type": "purchaseinvoice",
            "voucherStatus": "unchecked",
            "taxType": "gross",
            "useCollectiveContact": True,
        },
    ).json()["id"]
    v = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert v["voucherStatus"] == "unchecked"
    v.update({k: val for k, val in voucher().items() if k != "voucherStatus"})
    v["voucherStatus"] = "paid"
    assert issues(sandbox_http.put(f"/v1/vouchers/{vid}", json=v))["voucherStatus"] == "invalid_value"
    v["voucherStatus"] = "open"
    assert sandbox_http.put(f"/v1/vouchers/{vid}", json=v).status_code == 200
    assert sandbox_http.get(f"/v1/vouchers/{vid}").json()["voucherStatus"] == "open"
    r = sandbox_http.put(f"/v1/vouchers/{vid}", json=v)  # stale version now
    assert r.status_code == 409


def test_find_by_number(sandbox_http):
    sandbox_http.post("/v1/vouchers", json=voucher())
    page = sandbox_http.get("/v1/vouchers", params={"voucherNumber": "ER-2026-001"}).json()
    assert page["totalElements"] == 1
    assert sandbox_http.get("/v1/vouchers", params={"voucherNumber": "ER-2026"}).json()["totalElements"] == 0


def test_upload_blank_then_unchecked_and_dedup(sandbox_http, sandbox_app):
    files = {"file": ("beleg.pdf", PDF, "application/pdf")}
    r = sandbox_http.post("/v1/files", files=files, data={"type": "voucher"})
    assert r.status_code == 202
    body = r.json()
    assert set(body) == {"id", "voucherId"}
    assert sandbox_http.get(f"/v1/vouchers/{body['voucherId']}").json()["voucherStatus"] == "blank"
    again = sandbox_http.post("/v1/files", files=files, data={"type": "voucher"}).json()
    assert again == body
    state = sandbox_app.state.sandbox
    state.finish_ocr(state.keys.lookup("lexflow-sandbox-key").organization_id, body["id"], voucherNumber="R-77")
    v = sandbox_http.get(f"/v1/vouchers/{body['voucherId']}").json()
    assert v["voucherStatus"] == "unchecked" and v["voucherNumber"] == "R-77" and v["files"] == [body["id"]]
    assert [e.event_type for e in state.events.history].count("voucher.created") == 1


def test_automatic_ocr_after_delay():
    from starlette.testclient import TestClient

    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    app = create_app(SandboxConfig(rate_limit=0, ocr_delay_seconds=0))
    with TestClient(app, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http:
        r = http.post("/v1/files", files={"file": ("a.png", b"\x89PNG\r\n", "image/png")}, data={"type": "voucher"})
        assert http.get(f"/v1/vouchers/{r.json()['voucherId']}").json()["voucherStatus"] == "unchecked"


@pytest.mark.parametrize(
    ("name", "content", "data", "status", "key"),
    [
        ("a.gif", b"GIF89a", {"type": "voucher"}, 406, "inacceptable_file_extension"),
        ("a.pdf", b"%PDF" + b"x" * (5 * 1024 * 1024 - 3), {"type": "voucher"}, 406, "max_file_size_exceeded"),
        ("a.xml", b"<root/>", {"type": "voucher"}, 406, "invalid_xrechnung"),
        ("a.pdf", b"not a pdf", {"type": "voucher"}, 406, "invalid_file_content"),
    ],
)
def test_upload_refusals(sandbox_http, name, content, data, status, key):
    r = sandbox_http.post("/v1/files", files={"file": (name, content)}, data=data)
    assert r.status_code == status
    assert r.json()["IssueList"][0]["i18nKey"] == key


def test_exactly_5_mib_is_accepted_and_type_is_required(sandbox_http):
    content = b"%PDF" + b"x" * (5 * 1024 * 1024 - 4)
    assert (
        sandbox_http.post("/v1/files", files={"file": ("a.pdf", content)}, data={"type": "voucher"}).status_code == 202
    )
    r = sandbox_http.post("/v1/files", files={"file": ("b.pdf", PDF)})
    assert r.status_code == 400 and r.json() == "Invalid or missing upload type."
    assert sandbox_http.post("/v1/files", data={"type": "voucher"}, files={"other": ("x", b"1")}).status_code == 500


def test_voucher_files_accept_matrix_and_put_removes_files(sandbox_http):
    vid = sandbox_http.post("/v1/vouchers", json=voucher()).json()["id"]
    r = sandbox_http.post(f"/v1/vouchers/{vid}/files", files={"file": ("scan.png", b"\x89PNG\r\n\x1a\n")})
    assert r.status_code == 202 and set(r.json()) == {"id"}
    fid = r.json()["id"]
    assert (
        sandbox_http.post(f"/v1/vouchers/{vid}/files", files={"file": ("s2.png", b"\x89PNG\r\n\x1a\n")}).json()["id"]
        == fid
    )
    got = sandbox_http.get(f"/v1/files/{fid}", headers={"Accept": "application/pdf"})
    assert got.headers["content-type"] == "image/png" and got.headers["content-disposition"].endswith(f'{fid}.png"')
    assert sandbox_http.get(f"/v1/files/{fid}", headers={"Accept": "application/xml"}).status_code == 404
    assert sandbox_http.get(f"/v1/files/{fid}", headers={"Accept": "text/plain"}).status_code == 406
    v = sandbox_http.get(f"/v1/vouchers/{vid}").json()
    assert v["files"] == [fid]
    del v["files"]
    # writes take plain dates, reads return timestamps (docs/lexware.md#timestamps)
    v["voucherDate"] = v["dueDate"] = "2026-03-02"
    assert sandbox_http.put(f"/v1/vouchers/{vid}", json=v).status_code == 200
    assert sandbox_http.get(f"/v1/files/{fid}").status_code == 404


def test_xml_e_invoice_download(sandbox_http):
    xml = b'<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
    fid = sandbox_http.post("/v1/files", files={"file": ("e.xml", xml)}, data={"type": "voucher"}).json()["id"]
    assert sandbox_http.get(f"/v1/files/{fid}", headers={"Accept": "*/*"}).content == xml
    assert sandbox_http.get(f"/v1/files/{fid}", headers={"Accept": "application/pdf"}).content.startswith(b"%PDF")
