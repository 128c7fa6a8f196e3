"""The sevDesk sandbox against the API facts in docs/sevdesk.md, section by section (auth, envelope, paging,
contacts, invoices and their status machine, bank, vouchers, errors), over a real socket."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from lexflow.sevdesk.sandbox import (
    DEFAULT_TOKEN,
    ServedSevdesk,
    SevdeskSandboxConfig,
    banking,
    contacts,
    create_app,
    invoices,
    vouchers,
)
from tests.sevdesk.conftest import draft_body, get, new_contact, new_invoice, ref


# ------------------------------------------------------------------------------------------ auth (docs/sevdesk.md#auth)
def test_auth_takes_the_raw_token_only(sevdesk: ServedSevdesk) -> None:
    with httpx.Client(base_url=sevdesk.url, timeout=5) as http:
        missing = http.get("/Contact")
        bearer = http.get("/Contact", headers={"Authorization": f"Bearer {sevdesk.token}"})
        wrong = http.get("/Contact", headers={"Authorization": "0" * 32})
        right = http.get("/Contact", headers={"Authorization": sevdesk.token})
    for answer in (missing, bearer, wrong):
        assert answer.status_code == 401
        body = answer.json()
        assert body["objects"] is None and body["error"]["message"] and body["error"]["code"] is None
    assert "Bearer" in bearer.json()["error"]["message"]
    assert right.status_code == 200 and right.json() == {"objects": []}


def test_token_is_blocked_after_repeated_failures_when_configured() -> None:
    app = create_app(SevdeskSandboxConfig(block_after_failures=3))
    with TestClient(app) as http:
        good = {"Authorization": DEFAULT_TOKEN}
        for _ in range(3):
            assert http.get("/api/v1/Invoice/1", headers=good).status_code == 404
        blocked = http.get("/api/v1/Contact", headers=good)
        assert blocked.status_code == 401 and "blocked" in blocked.json()["error"]["message"]
        assert http.post("/_sandbox/unblock", headers=good).status_code == 204
        assert http.get("/api/v1/Contact", headers=good).status_code == 200


def test_successes_reset_the_failure_count() -> None:
    app = create_app(SevdeskSandboxConfig(block_after_failures=2))
    with TestClient(app) as http:
        good = {"Authorization": DEFAULT_TOKEN}
        for _ in range(3):
            assert http.get("/api/v1/Invoice/1", headers=good).status_code == 404
            assert http.get("/api/v1/Contact", headers=good).status_code == 200


# ---------------------------------------------------------------------------------- envelope (docs/sevdesk.md#envelope)
def test_envelope_strings_and_single_get_arrays(api: httpx.Client) -> None:
    created = new_contact(api, defaultTimeToPay=14)
    assert isinstance(created, dict) and isinstance(created["id"], str)
    assert created["defaultTimeToPay"] == "14" and created["status"] == "1000"
    assert created["category"] == {"id": "3", "objectName": "Category"}
    assert created["sevClient"]["objectName"] == "SevClient"
    single = api.get(f"/Contact/{created['id']}").json()
    assert isinstance(single["objects"], list) and len(single["objects"]) == 1
    assert single["objects"][0]["id"] == created["id"]


def test_references_need_an_object_name(api: httpx.Client) -> None:
    answer = api.post("/Contact", json={"name": "X", "category": {"id": 3}})
    assert answer.status_code == 400
    assert "expected array with 'id' and 'objectName'" in answer.json()["error"]["message"]


def test_paging_limit_offset_count_all(api: httpx.Client) -> None:
    ids = [new_contact(api, f"Firma {i:02d}")["id"] for i in range(7)]
    page = api.get("/Contact", params={"limit": 3, "offset": 2, "countAll": "true"}).json()
    assert page["total"] == "7" and [c["id"] for c in page["objects"]] == ids[2:5]
    assert "total" not in api.get("/Contact", params={"limit": 3}).json()
    assert api.get("/Contact", params={"limit": 1001}).status_code == 400


def test_unknown_filters_are_ignored(api: httpx.Client) -> None:
    new_contact(api, "Acme GmbH")
    new_contact(api, "Beta AG")
    assert len(api.get("/Contact", params={"nmae": "Acme"}).json()["objects"]) == 2


# ---------------------------------------------------------------------------------- contacts (docs/sevdesk.md#contacts)
def test_contact_filters_and_customer_numbers(api: httpx.Client) -> None:
    acme = new_contact(api, "Acme GmbH")
    new_contact(api, "Beta AG", customerNumber="2000")
    person = api.post(
        "/Contact",
        json={
            "surename": "Eva",
            "familyname": "Acme",
            "category": ref(3, "Category"),
            "parent": ref(acme["id"], "Contact"),
        },
    ).json()["objects"]
    assert person["customerNumber"] == acme["customerNumber"]  # persons inherit the organisation's number
    names = lambda params: [c["id"] for c in api.get("/Contact", params=params).json()["objects"]]  # noqa: E731
    assert names({"name": "acme"}) == [acme["id"]]
    assert set(names({"name": "acme", "depth": 1})) == {acme["id"], person["id"]}
    assert names({"customerNumber": "2000"}) != [] and names({"customerNumber": "9999"}) == []
    taken = api.post("/Contact", json={"name": "C", "category": ref(3, "Category"), "customerNumber": "2000"})
    assert taken.status_code == 400 and "2000" in taken.json()["error"]["message"]
    assert api.get("/Contact/Factory/getNextCustomerNumber").json() == {"objects": "2001"}
    assert (
        api.get("/Contact/Mapper/checkCustomerNumberAvailability", params={"customerNumber": "2000"}).json()["objects"]
        is False
    )
    assert api.get("/Contact/Mapper/checkCustomerNumberAvailability").status_code == 500
    assert api.post("/Contact", json={"name": "No category"}).status_code == 400


def test_contact_update_is_partial_and_delete_is_refused_while_referenced(
    api: httpx.Client, control: httpx.Client
) -> None:
    acme = new_contact(api, vatNumber="DE123456789")
    changed = api.put(f"/Contact/{acme['id']}", json={"status": 500}).json()["objects"]
    assert changed["status"] == "500" and changed["vatNumber"] == "DE123456789" and changed["name"] == "Acme GmbH"
    new_invoice(api, acme["id"])
    refused = api.delete(f"/Contact/{acme['id']}")
    assert refused.status_code == 409
    lonely = new_contact(api, "Lonely AG")
    assert api.delete(f"/Contact/{lonely['id']}").json() == {"objects": [None]}
    assert api.get(f"/Contact/{lonely['id']}").status_code == 404


def test_updated_after_polls_contact_changes(api: httpx.Client, control: httpx.Client) -> None:
    old = new_contact(api, "Old AG")
    clock = control.post("/clock", json={"advanceSeconds": 120}).json()["now"]
    cutoff = int(dt.datetime.fromisoformat(clock).timestamp()) - 1
    fresh = new_contact(api, "Fresh AG")
    assert [c["id"] for c in api.get("/Contact", params={"updateAfter": cutoff}).json()["objects"]] == [fresh["id"]]
    api.put(f"/Contact/{old['id']}", json={"description": "changed"})
    assert {c["id"] for c in api.get("/Contact", params={"updateAfter": cutoff}).json()["objects"]} == {
        old["id"],
        fresh["id"],
    }


def test_communication_ways_and_addresses(api: httpx.Client) -> None:
    acme = new_contact(api)
    beta = new_contact(api, "Beta AG")
    for contact, value in ((acme, "billing@acme.example"), (beta, "info@beta.example")):
        body = {
            "contact": ref(contact["id"], "Contact"),
            "type": "EMAIL",
            "value": value,
            "key": ref(8, "CommunicationWayKey"),
            "main": True,
        }
        created = api.post("/CommunicationWay", json=body)
        assert created.status_code == 201 and created.json()["objects"]["main"] == "1"
    phone = {
        "contact": ref(acme["id"], "Contact"),
        "type": "PHONE",
        "value": "+49 30 1234",
        "key": ref(2, "CommunicationWayKey"),
    }
    assert api.post("/CommunicationWay", json=phone).status_code == 201
    ways = api.get(
        "/CommunicationWay", params={"contact[id]": acme["id"], "contact[objectName]": "Contact", "type": "EMAIL"}
    ).json()["objects"]
    assert [w["value"] for w in ways] == ["billing@acme.example"]
    # no server-side value filter: the parameter is ignored and every EMAIL way comes back
    everything = api.get("/CommunicationWay", params={"type": "EMAIL", "value": "billing@acme.example"}).json()[
        "objects"
    ]
    assert len(everything) == 2
    assert api.post("/CommunicationWay", json={**phone, "type": "FAX"}).status_code == 400
    address = {
        "contact": ref(acme["id"], "Contact"),
        "street": "Hauptstr. 1",
        "zip": "10115",
        "city": "Berlin",
        "country": ref(1, "StaticCountry"),
    }
    assert api.post("/ContactAddress", json=address).status_code == 201
    listed = api.get("/ContactAddress", params={"contact[id]": acme["id"]}).json()["objects"]
    assert [(a["street"], a["city"]) for a in listed] == [("Hauptstr. 1", "Berlin")]


# ---------------------------------------------------------------------------------- invoices (docs/sevdesk.md#invoices)
def test_save_invoice_computes_sums_numbers_and_address(api: httpx.Client) -> None:
    acme = new_contact(api)
    api.post(
        "/ContactAddress",
        json={
            "contact": ref(acme["id"], "Contact"),
            "street": "Hauptstr. 1",
            "zip": "10115",
            "city": "Berlin",
            "country": ref(1, "StaticCountry"),
        },
    )
    answer = api.post("/Invoice/Factory/saveInvoice", json=draft_body(api, acme["id"], note="ext:INV-7781"))
    assert answer.status_code == 201
    saved = answer.json()["objects"]
    invoice = saved["invoice"]
    assert (invoice["sumNet"], invoice["sumTax"], invoice["sumGross"]) == ("1200", "228", "1428")
    assert invoice["status"] == "100" and invoice["invoiceNumber"].startswith("RE-")
    assert invoice["address"] == "Acme GmbH\nHauptstr. 1\n10115 Berlin"
    assert invoice["customerInternalNote"] == "ext:INV-7781"
    assert [p["sumGross"] for p in saved["invoicePos"]] == ["1428"] and saved["filename"] is None
    second = new_invoice(api, acme["id"])
    assert second["invoiceNumber"] != invoice["invoiceNumber"]


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        ({"status": 200}, 400, "draft"),
        ({"currency": None}, 400, "Currency is required."),
        ({"objectName": None}, 400, "objectName"),
        ({"contactPerson": {"id": 1}}, 400, "expected array with 'id' and 'objectName'"),
    ],
)
def test_save_invoice_refusals(api: httpx.Client, change: dict, status: int, text: str) -> None:
    body = draft_body(api, new_contact(api)["id"])
    body["invoice"].update(change)
    answer = api.post("/Invoice/Factory/saveInvoice", json=body)
    assert answer.status_code == status and text in answer.json()["error"]["message"]


def test_tax_rule_and_rate_must_fit_with_a_422(api: httpx.Client) -> None:
    body = draft_body(api, new_contact(api)["id"], rule=11, rate=19)
    answer = api.post("/Invoice/Factory/saveInvoice", json=body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"] == "Tax rate 19 is not allowed for tax rule 11" and len(error["exceptionUUID"]) == 36
    assert (
        api.post(
            "/Invoice/Factory/saveInvoice", json=draft_body(api, new_contact(api, "B")["id"], rule=11, rate=0)
        ).status_code
        == 201
    )


def test_positions_are_required_and_drafts_can_be_edited(api: httpx.Client) -> None:
    body = draft_body(api, new_contact(api)["id"])
    assert (
        "at least one position"
        in api.post("/Invoice/Factory/saveInvoice", json={**body, "invoicePosSave": []}).json()["error"]["message"]
    )
    saved = api.post("/Invoice/Factory/saveInvoice", json=body).json()["objects"]
    invoice, first = saved["invoice"], saved["invoicePos"][0]
    update = {
        "invoice": {"id": int(invoice["id"]), "objectName": "Invoice", "mapAll": True, "header": "Neu"},
        "invoicePosSave": [
            {
                "objectName": "InvoicePos",
                "mapAll": True,
                "quantity": 1,
                "price": 50,
                "name": "Extra",
                "unity": ref(1, "Unity"),
                "taxRate": 7,
            }
        ],
        "invoicePosDelete": [ref(first["id"], "InvoicePos")],
    }
    edited = api.post("/Invoice/Factory/saveInvoice", json=update).json()["objects"]
    assert edited["invoice"]["header"] == "Neu" and edited["invoice"]["sumGross"] == "53.5"
    assert [p["name"] for p in edited["invoicePos"]] == ["Extra"]
    api.put(f"/Invoice/{invoice['id']}/sendBy", json={"sendType": "VPDF", "sendDraft": False})
    refused = api.post("/Invoice/Factory/saveInvoice", json=update)
    assert refused.status_code == 400 and "draft" in refused.json()["error"]["message"]


# ---------------------------------------------------------------------- status machine (docs/sevdesk.md#invoice-status)
def test_send_by_finalizes_unless_send_draft(api: httpx.Client) -> None:
    invoice = new_invoice(api)
    path = f"/Invoice/{invoice['id']}/sendBy"
    assert api.put(path, json={"sendType": "VPDF"}).status_code == 400
    kept = api.put(path, json={"sendType": "VPR", "sendDraft": True}).json()["objects"]
    assert kept["status"] == "100" and kept["sendType"] == "VPR"
    sent = api.put(path, json={"sendType": "VPDF", "sendDraft": False}).json()["objects"]
    assert sent["status"] == "200" and sent["sendDate"]


def test_get_pdf_marks_sent_unless_prevent_send_by(api: httpx.Client) -> None:
    invoice = new_invoice(api)
    pdf = api.get(f"/Invoice/{invoice['id']}/getPdf", params={"download": "true", "preventSendBy": "true"}).json()[
        "objects"
    ]
    assert pdf["mimeType"] == "application/pdf" and pdf["base64encoded"] is True
    assert base64.b64decode(pdf["content"]).startswith(b"%PDF")
    assert get(api, f"/Invoice/{invoice['id']}")["status"] == "100"
    api.get(f"/Invoice/{invoice['id']}/getPdf")
    assert get(api, f"/Invoice/{invoice['id']}")["status"] == "200"


def test_send_via_email(api: httpx.Client, control: httpx.Client) -> None:
    invoice = new_invoice(api)
    path = f"/Invoice/{invoice['id']}/sendViaEmail"
    assert api.post(path, json={"toEmail": "billing@acme.example", "subject": "Rechnung"}).status_code == 400
    answer = api.post(path, json={"toEmail": "billing@acme.example", "subject": "Rechnung", "text": "<p>Hallo</p>"})
    assert answer.status_code == 201
    email = answer.json()["objects"]
    assert email["objectName"] == "Email" and email["to"] == "billing@acme.example"
    after = get(api, f"/Invoice/{invoice['id']}")
    assert (after["status"], after["sendType"]) == ("200", "VM")
    assert [e["to"] for e in control.get("/emails").json()["emails"]] == ["billing@acme.example"]


def _standard(api: httpx.Client) -> dict:
    return next(a for a in api.get("/CheckAccount").json()["objects"] if a["defaultAccount"] == "1")


def test_book_amount_partial_then_full_and_reset_to_open(api: httpx.Client) -> None:
    invoice = new_invoice(api)
    iid = invoice["id"]
    standard = ref(_standard(api)["id"], "CheckAccount")
    booking = {"amount": 428, "date": 1773100800, "type": "N", "checkAccount": standard}
    assert api.put(f"/Invoice/{iid}/bookAmount", json=booking).status_code == 400  # drafts cannot be paid
    api.put(f"/Invoice/{iid}/sendBy", json={"sendType": "VPDF", "sendDraft": False})
    log = api.put(f"/Invoice/{iid}/bookAmount", json=booking).json()["objects"]
    assert (log["objectName"], log["fromStatus"], log["toStatus"], log["ammountPayed"]) == (
        "InvoiceLog",
        "200",
        "750",
        "428",
    )
    assert api.get(f"/Invoice/{iid}/getIsPartiallyPaid").json()["objects"] is True
    assert api.get("/Invoice", params={"status": 750}).json()["objects"][0]["id"] == iid
    too_much = api.put(f"/Invoice/{iid}/bookAmount", json={**booking, "amount": 5000})
    assert too_much.status_code == 400
    api.put(f"/Invoice/{iid}/bookAmount", json={**booking, "amount": 1000, "type": "FULL_PAYMENT"})
    paid = get(api, f"/Invoice/{iid}")
    assert paid["status"] == "1000" and paid["paidAmount"] == 1428 and paid["payDate"]
    auto = api.get("/CheckAccountTransaction", params={"checkAccount[id]": standard["id"]}).json()["objects"]
    assert sorted(t["amount"] for t in auto) == ["1000", "428"]  # the Standard account creates its transactions
    assert api.put(f"/Invoice/{iid}/resetToDraft").status_code == 400  # only from 200
    reopened = api.put(f"/Invoice/{iid}/resetToOpen").json()["objects"]
    assert reopened["status"] == "200" and reopened["paidAmount"] == 0
    assert api.get("/CheckAccountTransaction", params={"checkAccount[id]": standard["id"]}).json()["objects"] == []
    assert api.put(f"/Invoice/{iid}/resetToDraft").json()["objects"]["status"] == "100"


def test_enshrined_invoices_cannot_be_reset(api: httpx.Client) -> None:
    invoice = new_invoice(api)
    iid = invoice["id"]
    assert api.put(f"/Invoice/{iid}/enshrine").status_code == 400  # drafts cannot be enshrined
    api.put(f"/Invoice/{iid}/sendBy", json={"sendType": "VPDF", "sendDraft": False})
    assert api.put(f"/Invoice/{iid}/enshrine").json() == {"objects": None}
    assert api.put(f"/Invoice/{iid}/resetToDraft").status_code == 400


def test_cancel_creates_a_paid_cancellation_invoice(api: httpx.Client) -> None:
    invoice = new_invoice(api)
    iid = invoice["id"]
    assert api.post(f"/Invoice/{iid}/cancelInvoice").status_code == 400  # drafts are deleted, not cancelled
    api.put(f"/Invoice/{iid}/sendBy", json={"sendType": "VPDF", "sendDraft": False})
    storno = api.post(f"/Invoice/{iid}/cancelInvoice").json()["objects"]
    assert (storno["invoiceType"], storno["status"], storno["sumGross"]) == ("SR", "1000", "-1428")
    assert storno["origin"] == {"id": iid, "objectName": "Invoice"}
    assert get(api, f"/Invoice/{iid}")["status"] == "500"
    assert api.delete(f"/Invoice/{iid}").status_code == 400


def test_delinquent_follows_the_clock_and_update_after(api: httpx.Client, control: httpx.Client) -> None:
    invoice = new_invoice(api)
    api.put(f"/Invoice/{invoice['id']}/sendBy", json={"sendType": "VPDF", "sendDraft": False})
    # invoiceDate 02.03.2026 + 14 days is long past: overdue
    assert [i["id"] for i in api.get("/Invoice", params={"delinquent": "true"}).json()["objects"]] == [invoice["id"]]
    draft = new_invoice(api)
    assert draft["id"] not in [i["id"] for i in api.get("/Invoice", params={"delinquent": "true"}).json()["objects"]]
    cutoff = (
        int(dt.datetime.fromisoformat(control.post("/clock", json={"advanceDays": 1}).json()["now"]).timestamp()) - 1
    )
    api.get(f"/Invoice/{draft['id']}/getPdf")  # marks sent: a change
    changed = api.get("/Invoice", params={"updateAfter": cutoff}).json()["objects"]
    assert [i["id"] for i in changed] == [draft["id"]]


# -------------------------------------------------------- bank (docs/sevdesk.md#bank, docs/sevdesk.md#booking-payments)
def test_bank_import_and_transaction_filters(api: httpx.Client, control: httpx.Client) -> None:
    seeded = control.post("/seed").json()
    open_id = seeded["invoices"]["open"][0]
    imported = control.post(
        "/bank-import",
        json={"payInvoices": [{"invoice": open_id}], "lines": [{"amount": -49.9, "payeePayerName": "Telekom"}]},
    )
    assert imported.status_code == 201
    lines = imported.json()["transactions"]
    assert [line["invoice"] for line in lines] == [None, open_id] or [line["invoice"] for line in lines] == [
        open_id,
        None,
    ]
    account = seeded["checkAccounts"]["import"]
    query = {"checkAccount[id]": account, "checkAccount[objectName]": "CheckAccount"}
    assert len(api.get("/CheckAccountTransaction", params={**query, "isBooked": "false"}).json()["objects"]) == 2
    credit = api.get("/CheckAccountTransaction", params={**query, "onlyCredit": "true"}).json()["objects"]
    assert len(credit) == 1 and credit[0]["status"] == "100" and credit[0]["paymtPurpose"].startswith("RE-")
    assert control.get("/bank-truth").json()["transactions"]


def test_book_amount_on_an_import_account_needs_and_links_the_transaction(
    api: httpx.Client, control: httpx.Client
) -> None:
    seeded = control.post("/seed").json()
    iid = seeded["invoices"]["open"][0]
    invoice = get(api, f"/Invoice/{iid}")
    account = ref(seeded["checkAccounts"]["import"], "CheckAccount")
    tx_id = control.post("/bank-import", json={"payInvoices": [{"invoice": iid}]}).json()["transactions"][0][
        "transaction"
    ]
    booking = {
        "amount": float(invoice["sumGross"]),
        "date": 1773100800,
        "type": "FULL_PAYMENT",
        "checkAccount": account,
    }
    missing = api.put(f"/Invoice/{iid}/bookAmount", json=booking)
    assert missing.status_code == 400 and "checkAccountTransaction" in missing.json()["error"]["message"]
    linked = api.put(
        f"/Invoice/{iid}/bookAmount", json={**booking, "checkAccountTransaction": ref(tx_id, "CheckAccountTransaction")}
    )
    assert linked.status_code == 200 and linked.json()["objects"]["toStatus"] == "1000"
    assert get(api, f"/CheckAccountTransaction/{tx_id}")["status"] == "400"
    other = seeded["invoices"]["overdue"][0]
    again = api.put(
        f"/Invoice/{other}/bookAmount",
        json={**booking, "amount": 1, "checkAccountTransaction": ref(tx_id, "CheckAccountTransaction")},
    )
    assert again.status_code == 400 and "already booked" in again.json()["error"]["message"]
    api.put(f"/Invoice/{iid}/resetToOpen")
    assert get(api, f"/CheckAccountTransaction/{tx_id}")["status"] == "100"  # unlinked, still there


def test_transactions_can_only_be_created_on_online_accounts(api: httpx.Client, control: httpx.Client) -> None:
    seeded = control.post("/seed").json()
    line = {"valueDate": "2026-03-10T00:00:00+01:00", "amount": 10, "payeePayerName": "X"}
    standard = api.post(
        "/CheckAccountTransaction",
        json={**line, "checkAccount": ref(seeded["checkAccounts"]["standard"], "CheckAccount")},
    )
    assert standard.status_code == 400
    online = api.post(
        "/CheckAccountTransaction",
        json={**line, "checkAccount": ref(seeded["checkAccounts"]["import"], "CheckAccount")},
    )
    assert online.status_code == 201 and online.json()["objects"]["amount"] == "10"


def test_seed_covers_every_invoice_state(api: httpx.Client, control: httpx.Client) -> None:
    seeded = control.post("/seed").json()
    statuses = {kind: {get(api, f"/Invoice/{i}")["status"] for i in ids} for kind, ids in seeded["invoices"].items()}
    assert statuses == {"draft": {"100"}, "open": {"200"}, "overdue": {"200"}, "partial": {"750"}, "paid": {"1000"}}
    emails = api.get("/CommunicationWay", params={"type": "EMAIL"}).json()["objects"]
    assert len(emails) == len(seeded["customers"])


# ---------------------------------------------------------------------------------- vouchers (docs/sevdesk.md#vouchers)
def _voucher(filename: str | None, account: int = 4711, rate: float = 19, rule: int = 9, **extra: object) -> dict:
    return {
        "voucher": {
            "objectName": "Voucher",
            "mapAll": True,
            "voucherDate": "11.03.2026",
            "supplierName": "Office Supplies Ltd",
            "description": "R-2026-0311",
            "status": 100,
            "creditDebit": "C",
            "voucherType": "VOU",
            "currency": "EUR",
            "taxRule": ref(rule, "TaxRule"),
            "taxType": "default",
            **extra,
        },
        "voucherPosSave": [
            {
                "objectName": "VoucherPos",
                "mapAll": True,
                "accountDatev": ref(account, "AccountDatev"),
                "taxRate": rate,
                "net": False,
                "sumGross": 23.80,
                "comment": "Druckerpapier",
            }
        ],
        "voucherPosDelete": None,
        "filename": filename,
    }


def test_voucher_with_receipt(api: httpx.Client) -> None:
    upload = api.post(
        "/Voucher/Factory/uploadTempFile", files={"file": ("receipt.pdf", b"%PDF-1.4 receipt", "application/pdf")}
    )
    assert upload.status_code == 201
    temp = upload.json()["objects"]
    assert temp["filename"].endswith(".pdf") and temp["originMimeType"] == "application/pdf"
    saved = api.post("/Voucher/Factory/saveVoucher", json=_voucher(temp["filename"]))
    assert saved.status_code == 201
    voucher = saved.json()["objects"]["voucher"]
    assert (voucher["status"], voucher["sumNet"], voucher["sumTax"], voucher["sumGross"]) == (
        "100",
        "20",
        "3.8",
        "23.8",
    )
    assert voucher["document"]["objectName"] == "Document"
    listed = api.get("/Voucher", params={"descriptionLike": "0311", "creditDebit": "C"}).json()["objects"]
    assert [v["id"] for v in listed] == [voucher["id"]]
    assert api.get("/ReceiptGuidance/forExpense").json()["objects"][0]["accountDatevId"] == "4711"


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"account": 9999}, 422),
        ({"account": 4801}, 422),  # a revenue account on an expense
        ({"rule": 10, "rate": 19}, 422),
        ({"status": 1000}, 400),
    ],
)
def test_voucher_refusals(api: httpx.Client, kwargs: dict, status: int) -> None:
    extra = {"status": kwargs.pop("status")} if "status" in kwargs else {}
    assert api.post("/Voucher/Factory/saveVoucher", json=_voucher(None, **kwargs, **extra)).status_code == status


def test_upload_needs_a_file(api: httpx.Client) -> None:
    assert api.post("/Voucher/Factory/uploadTempFile", files={"other": ("a.pdf", b"x")}).status_code == 400


# -------------------------------------------------------------------------------------------- errors, OpenAPI, storage
def test_not_found_and_unknown_routes_use_the_error_body(api: httpx.Client) -> None:
    for answer in (api.get("/Invoice/424242"), api.get("/NoSuchThing"), api.get("/Invoice/abc")):
        assert answer.status_code in (400, 404)
        assert answer.json()["objects"] is None and answer.json()["error"]["message"]


def test_openapi_lists_the_served_surface(sevdesk: ServedSevdesk) -> None:
    document = httpx.get(sevdesk.root + "/_sandbox/openapi.json").json()
    served = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    for expected in [
        ("POST", "/api/v1/Invoice/Factory/saveInvoice"),
        ("PUT", "/api/v1/Invoice/{invoiceId}/bookAmount"),
        ("GET", "/api/v1/CheckAccountTransaction"),
        ("POST", "/api/v1/Voucher/Factory/uploadTempFile"),
        ("GET", "/api/v1/Contact"),
    ]:
        assert expected in served
    contact_params = {p["name"] for p in document["paths"]["/api/v1/Contact"]["get"]["parameters"]}
    assert {"name", "customerNumber", "updateAfter", "limit", "offset", "countAll"} <= contact_params
    routes = {
        (m, "/api/v1" + r.path)
        for module in (contacts, invoices, banking, vouchers)
        for r in module.router.routes
        for m in r.methods  # type: ignore[attr-defined]
    }
    assert len(routes) > 40 and routes <= served


def test_state_survives_a_restart_with_sqlite(tmp_path: Path) -> None:
    config = SevdeskSandboxConfig(db_path=tmp_path / "sevdesk.db")
    headers = {"Authorization": DEFAULT_TOKEN}
    with TestClient(create_app(config)) as http:
        created = http.post(
            "/api/v1/Contact", json={"name": "Persist AG", "category": ref(3, "Category")}, headers=headers
        )
        contact_id = created.json()["objects"]["id"]
    with TestClient(create_app(config)) as http:
        again = http.get(f"/api/v1/Contact/{contact_id}", headers=headers).json()["objects"][0]
        assert again["name"] == "Persist AG"
        assert len(http.get("/api/v1/CheckAccount", headers=headers).json()["objects"]) == 1  # baseline not doubled


# -------------------------------------------------------------------------- credit notes (docs/sevdesk.md#credit-notes)
def test_credit_note_from_invoice_and_its_refund(api: httpx.Client) -> None:
    invoice = new_invoice(api)
    iid = invoice["id"]
    source = {"invoice": ref(iid, "Invoice")}
    assert api.post("/CreditNote/Factory/createFromInvoice", json=source).status_code == 400  # drafts have none
    api.put(f"/Invoice/{iid}/sendBy", json={"sendType": "VPDF", "sendDraft": False})
    created = api.post("/CreditNote/Factory/createFromInvoice", json=source)
    assert created.status_code == 201
    note = created.json()["objects"]["creditNote"]
    assert (note["status"], note["sumGross"]) == ("100", "1428")
    assert [p["sumGross"] for p in created.json()["objects"]["creditNotePos"]] == ["1428"]
    cid = note["id"]
    assert (
        api.put(f"/CreditNote/{cid}/sendBy", json={"sendType": "VPDF", "sendDraft": False}).json()["objects"]["status"]
        == "200"
    )
    standard = _standard(api)
    booking = {
        "amount": 1428,
        "date": 1773100800,
        "type": "FULL_PAYMENT",
        "checkAccount": ref(standard["id"], "CheckAccount"),
    }
    assert api.put(f"/CreditNote/{cid}/bookAmount", json=booking).json()["objects"]["toStatus"] == "1000"
    refunds = api.get("/CheckAccountTransaction", params={"checkAccount[id]": standard["id"]}).json()["objects"]
    assert [t["amount"] for t in refunds] == ["-1428"]  # money going out
    assert api.get("/CreditNote", params={"status": 1000}).json()["objects"][0]["id"] == cid
    assert api.put(f"/CreditNote/{cid}/resetToOpen").json()["objects"]["status"] == "200"


# -------------------------------------------------------------------------------------------- answer shapes
# Field names of the answers shown in sevDesk's OpenAPI description (https://api.sevdesk.de/openapi.yaml).
CONTACT_FIELDS = set(
    [
        "id",
        "objectName",
        "additionalInformation",
        "create",
        "update",
        "name",
        "status",
        "customerNumber",
        "surename",
        "familyname",
        "titel",
        "category",
        "description",
        "academicTitle",
        "gender",
        "sevClient",
        "name2",
        "birthday",
        "vatNumber",
        "bankAccount",
        "bankNumber",
        "defaultCashbackTime",
        "defaultCashbackPercent",
        "defaultTimeToPay",
        "taxNumber",
        "taxOffice",
        "exemptVat",
        "defaultDiscountAmount",
        "defaultDiscountPercentage",
        "buyerReference",
        "governmentAgency",
    ]
)
INVOICE_FIELDS = set(
    [
        "id",
        "objectName",
        "invoiceNumber",
        "contact",
        "create",
        "update",
        "sevClient",
        "invoiceDate",
        "header",
        "timeToPay",
        "discount",
        "address",
        "addressCountry",
        "payDate",
        "deliveryDate",
        "status",
        "contactPerson",
        "taxRate",
        "taxRule",
        "taxText",
        "taxType",
        "sendDate",
        "invoiceType",
        "currency",
        "sumNet",
        "sumTax",
        "sumGross",
        "sumDiscounts",
        "paidAmount",
        "showNet",
        "enshrined",
        "sendType",
        "customerInternalNote",
    ]
)
POSITION_FIELDS = set(
    [
        "id",
        "objectName",
        "invoice",
        "quantity",
        "price",
        "name",
        "unity",
        "positionNumber",
        "taxRate",
        "sumNet",
        "sumGross",
    ]
)
TRANSACTION_FIELDS = set(
    [
        "id",
        "objectName",
        "create",
        "update",
        "sevClient",
        "valueDate",
        "entryDate",
        "paymtPurpose",
        "amount",
        "payeePayerName",
        "payeePayerAcctNo",
        "payeePayerBankCode",
        "gvCode",
        "entryText",
        "primaNotaNo",
        "checkAccount",
        "status",
        "sourceTransaction",
        "targetTransaction",
        "enshrined",
    ]
)
LOG_FIELDS = set(
    [
        "id",
        "objectName",
        "additionalInformation",
        "create",
        "creditNote",
        "fromStatus",
        "toStatus",
        "ammountPayed",
        "bookingDate",
        "sevClient",
    ]
)
EMAIL_FIELDS = set(["id", "objectName", "from", "to", "subject", "text", "object", "cc", "bcc", "arrived"])
WAY_FIELDS = set(["id", "objectName", "contact", "type", "value", "key", "main"])
TEMP_FILE_FIELDS = set(["pages", "mimeType", "originMimeType", "filename", "contentHash", "content"])


def test_answers_carry_the_documented_fields(api: httpx.Client, control: httpx.Client) -> None:
    seeded = control.post("/seed").json()
    contact = get(api, f"/Contact/{seeded['customers'][0]}")
    assert contact.keys() >= CONTACT_FIELDS
    way = api.get("/CommunicationWay", params={"contact[id]": contact["id"]}).json()["objects"][0]
    assert way.keys() >= WAY_FIELDS
    invoice_id = seeded["invoices"]["open"][0]
    assert get(api, f"/Invoice/{invoice_id}").keys() >= INVOICE_FIELDS
    assert api.get(f"/Invoice/{invoice_id}/getPositions").json()["objects"][0].keys() >= POSITION_FIELDS
    tx = control.post("/bank-import", json={"payInvoices": [{"invoice": invoice_id}]}).json()["transactions"][0]
    assert get(api, f"/CheckAccountTransaction/{tx['transaction']}").keys() >= TRANSACTION_FIELDS
    booking = {
        "amount": 1,
        "date": 1773100800,
        "type": "N",
        "checkAccount": ref(seeded["checkAccounts"]["import"], "CheckAccount"),
        "checkAccountTransaction": ref(tx["transaction"], "CheckAccountTransaction"),
    }
    assert api.put(f"/Invoice/{invoice_id}/bookAmount", json=booking).json()["objects"].keys() >= LOG_FIELDS
    mail = {"toEmail": "a@b.example", "subject": "S", "text": "T"}
    assert (
        api.post(f"/Invoice/{seeded['invoices']['draft'][0]}/sendViaEmail", json=mail).json()["objects"].keys()
        >= EMAIL_FIELDS
    )
    upload = api.post("/Voucher/Factory/uploadTempFile", files={"file": ("r.pdf", b"%PDF-1.4", "application/pdf")})
    assert upload.json()["objects"].keys() >= TEMP_FILE_FIELDS
    assert api.get("/Tools/bookkeepingSystemVersion").json() == {"objects": {"version": "2.0"}}


def test_wrong_tokens_do_not_block_the_owner() -> None:
    app = create_app(SevdeskSandboxConfig(block_after_failures=2))
    with TestClient(app) as http:
        for _ in range(5):
            assert http.get("/api/v1/Contact", headers={"Authorization": "f" * 32}).status_code == 401
        assert http.get("/api/v1/Contact", headers={"Authorization": DEFAULT_TOKEN}).status_code == 200
