"""The sandbox against the QuickBooks reference (docs/quickbooks.md), section by section, over real HTTP."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from lexflow.quickbooks.sandbox import QuickBooksSandboxConfig, ServedQuickBooks, serve_in_thread
from tests.quickbooks.conftest import Api, fault_code, unique

# ------------------------------------------------------------------------------------------------ OAuth


def _basic(cfg: QuickBooksSandboxConfig) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{cfg.client_id}:{cfg.client_secret}".encode()).decode()}


def _authorize(qbo: ServedQuickBooks, realm: str | None = None) -> dict[str, list[str]]:
    cfg = qbo.config
    params = {
        "client_id": cfg.client_id,
        "response_type": "code",
        "redirect_uri": cfg.redirect_uris[0],
        "scope": "com.intuit.quickbooks.accounting openid",
        "state": "s1",
    }
    if realm:
        params["realm"] = realm
    r = httpx.get(f"{qbo.url}/connect/oauth2", params=params)
    assert r.status_code == 302
    return parse_qs(urlsplit(r.headers["location"]).query)


def _token(qbo: ServedQuickBooks, **form: str) -> httpx.Response:
    return httpx.post(f"{qbo.url}/oauth2/v1/tokens/bearer", data=form, headers=_basic(qbo.config))


def test_oauth_code_exchange_carries_the_realm_and_one_hour_tokens(qbo: ServedQuickBooks) -> None:
    cb = _authorize(qbo, realm="4620816365187345210")
    assert cb["state"] == ["s1"] and cb["realmId"] == ["4620816365187345210"]
    r = _token(qbo, grant_type="authorization_code", code=cb["code"][0], redirect_uri=qbo.config.redirect_uris[0])
    body = r.json()
    assert r.status_code == 200 and body["expires_in"] == 3600 and body["x_refresh_token_expires_in"] > 0
    # the code is single use
    again = _token(qbo, grant_type="authorization_code", code=cb["code"][0], redirect_uri=qbo.config.redirect_uris[0])
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}
    # the token works for its own realm only
    h = {"Authorization": f"Bearer {body['access_token']}"}
    assert httpx.get(f"{qbo.url}/v3/company/4620816365187345210/customer/1", headers=h).status_code != 401
    wrong = httpx.get(f"{qbo.url}/v3/company/{qbo.realm}/customer/1", headers=h)
    assert wrong.status_code == 403 and wrong.json()["Fault"]["type"] == "AuthorizationFault"


def test_oauth_wrong_client_and_missing_scope(qbo: ServedQuickBooks) -> None:
    r = httpx.post(
        f"{qbo.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        headers={"Authorization": "Basic " + base64.b64encode(b"a:b").decode()},
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    cfg = qbo.config
    r = httpx.get(
        f"{qbo.url}/connect/oauth2",
        params={
            "client_id": cfg.client_id,
            "response_type": "code",
            "redirect_uri": cfg.redirect_uris[0],
            "scope": "openid",
        },
    )
    assert "error=invalid_scope" in r.headers["location"]


def test_refresh_rotates_and_the_old_token_dies_once_the_new_one_is_used(qbo: ServedQuickBooks) -> None:
    first = qbo.control("connect")
    second = _token(qbo, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    # until the new one is used, the old one still works (a lost answer must not lock the app out)
    third = _token(qbo, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert third.status_code == 200
    stale = _token(qbo, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"


def test_access_token_expires_after_an_hour(qbo: ServedQuickBooks) -> None:
    api = Api(qbo)
    assert api.get("/companyinfo/" + qbo.realm).status_code == 200
    qbo.control("clock", advance_seconds=3601)
    try:
        r = api.get("/companyinfo/" + qbo.realm)
        assert r.status_code == 401 and r.json()["Fault"]["type"] == "AuthenticationFault"
        assert fault_code(r) == "3200"
    finally:
        qbo.control("clock", advance_seconds=-3601)


def test_revoke_disconnects_every_token(qbo: ServedQuickBooks) -> None:
    api = Api(qbo)
    tokens = qbo.control("connect")
    api.token = tokens["access_token"]
    r = httpx.post(
        f"{qbo.url}/v2/oauth2/tokens/revoke", json={"token": tokens["refresh_token"]}, headers=_basic(qbo.config)
    )
    assert r.status_code == 200
    assert api.get("/companyinfo/" + qbo.realm).status_code == 401
    assert _token(qbo, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 400


def test_minorversion_below_75_is_served_and_garbage_refused(api: Api) -> None:
    assert api.http.get("/companyinfo/x", params={"minorversion": 4}, headers=api.headers()).status_code == 200
    r = api.http.get("/companyinfo/x", params={"minorversion": "abc"}, headers=api.headers())
    assert r.status_code == 400 and fault_code(r) == "2010"


# ------------------------------------------------------------------------------------------------ Customer


def test_customer_create_read_shape(api: Api) -> None:
    c = api.customer(PrimaryEmailAddr={"Address": "billing@acme.example"}, CompanyName="Acme")
    assert c["SyncToken"] == "0" and c["Active"] is True and c["domain"] == "QBO" and c["Id"].isdigit()
    assert c["FullyQualifiedName"] == c["DisplayName"] and "CreateTime" in c["MetaData"]
    r = api.get(f"/customer/{c['Id']}")
    assert r.json()["Customer"] == c and "time" in r.json()


def test_display_name_unique_across_name_lists_including_inactive(api: Api, qbo: ServedQuickBooks) -> None:
    name = unique("Dup")
    api.customer(DisplayName=name)
    r = api.post("/customer", {"DisplayName": name.upper()})
    assert r.status_code == 400 and fault_code(r) == "6240"
    assert r.json()["Fault"]["type"] == "ValidationFault"
    vendor, employee, inactive = unique("Vendor"), unique("Employee"), unique("Gone")
    qbo.control("seed", vendors=[{"DisplayName": vendor}], employees=[{"DisplayName": employee}])
    assert fault_code(api.post("/customer", {"DisplayName": vendor})) == "6240"
    assert fault_code(api.post("/customer", {"DisplayName": employee})) == "6240"
    gone = api.customer(DisplayName=inactive)
    api.post("/customer", {"Id": gone["Id"], "SyncToken": gone["SyncToken"], "sparse": True, "Active": False})
    assert fault_code(api.post("/customer", {"DisplayName": inactive})) == "6240"


def test_customer_sparse_update_keeps_and_full_update_clears(api: Api) -> None:
    c = api.customer(Notes="keep me", CompanyName="Co")
    r = api.post("/customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "New Co"})
    sparse = r.json()["Customer"]
    assert sparse["CompanyName"] == "New Co" and sparse["Notes"] == "keep me" and sparse["SyncToken"] == "1"
    full = api.post("/customer", {"Id": c["Id"], "SyncToken": "1", "DisplayName": c["DisplayName"]}).json()
    assert "Notes" not in full["Customer"] and "CompanyName" not in full["Customer"]


def test_stale_sync_token_is_5010(api: Api) -> None:
    c = api.customer()
    api.post("/customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Notes": "a"})
    r = api.post("/customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Notes": "b"})
    assert r.status_code == 400 and fault_code(r) == "5010"
    assert api.get(f"/customer/{c['Id']}").json()["Customer"]["Notes"] == "a"


def test_deactivated_customer_is_hidden_from_queries_unless_asked(api: Api) -> None:
    c = api.customer()
    api.post("/customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    name = c["DisplayName"]
    assert api.query(f"SELECT * FROM Customer WHERE DisplayName = '{name}'").json()["QueryResponse"] == {}
    found = api.query(f"SELECT * FROM Customer WHERE DisplayName = '{name}' AND Active IN (true, false)").json()
    assert [x["Id"] for x in found["QueryResponse"]["Customer"]] == [c["Id"]]


def test_customer_needs_a_name_and_unknown_is_610(api: Api) -> None:
    r = api.post("/customer", {"Notes": "no name"})
    assert r.status_code == 400 and fault_code(r) == "2020"
    r = api.get("/customer/999999")
    assert r.status_code == 400 and fault_code(r) == "610"


# ------------------------------------------------------------------------------------------------ Invoice


def test_invoice_is_final_on_creation_with_totals_and_subtotal_line(api: Api) -> None:
    c = api.customer()
    line = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 1200,
        "SalesItemLineDetail": {"Qty": 10, "UnitPrice": 120, "TaxCodeRef": {"value": "1"}},
    }
    r = api.post(
        "/invoice",
        {
            "CustomerRef": {"value": c["Id"]},
            "Line": [line],
            "TxnDate": "2026-03-02",
            "GlobalTaxCalculation": "TaxExcluded",
        },
    )
    inv = r.json()["Invoice"]
    assert inv["TotalAmt"] == 1428.0 and inv["Balance"] == 1428.0 and inv["TxnTaxDetail"]["TotalTax"] == 228.0
    assert inv["Line"][-1]["DetailType"] == "SubTotalLineDetail" and inv["Line"][-1]["Amount"] == 1200.0
    assert inv["DueDate"] == "2026-04-01" and inv["CustomerRef"]["name"] == c["DisplayName"]
    assert inv["LinkedTxn"] == [] and inv["EmailStatus"] == "NotSet" and "status" not in inv


def test_invoice_amount_must_equal_qty_times_price_and_needs_customer(api: Api) -> None:
    c = api.customer()
    bad = {"DetailType": "SalesItemLineDetail", "Amount": 5, "SalesItemLineDetail": {"Qty": 2, "UnitPrice": 3}}
    r = api.post("/invoice", {"CustomerRef": {"value": c["Id"]}, "Line": [bad]})
    assert r.status_code == 400 and fault_code(r) == "6000"
    assert fault_code(api.post("/invoice", {"Line": [bad]})) == "2020"
    assert fault_code(api.post("/invoice", {"CustomerRef": {"value": c["Id"]}, "Line": []})) == "2020"


def test_invoice_sparse_update_keeps_omitted_fields_full_update_clears_them(api: Api) -> None:
    c = api.customer()
    inv = api.invoice(c["Id"], PrivateNote="internal", BillEmail={"Address": "a@b.example"}, DueDate="2026-12-31")
    r = api.post(
        "/invoice",
        {"Id": inv["Id"], "SyncToken": inv["SyncToken"], "sparse": True, "CustomerMemo": {"value": "Thanks"}},
    )
    sparse = r.json()["Invoice"]
    assert sparse["PrivateNote"] == "internal" and sparse["BillEmail"] == {"Address": "a@b.example"}
    assert sparse["DueDate"] == "2026-12-31" and sparse["CustomerMemo"] == {"value": "Thanks"}
    full_body = {
        "Id": inv["Id"],
        "SyncToken": sparse["SyncToken"],
        "CustomerRef": {"value": c["Id"]},
        "Line": sparse["Line"],
    }  # the server's subtotal line sent back is dropped, not doubled
    full = api.post("/invoice", full_body).json()["Invoice"]
    for cleared in ("PrivateNote", "BillEmail", "DueDate", "CustomerMemo"):
        assert cleared not in full, cleared
    assert sum(1 for line in full["Line"] if line["DetailType"] == "SubTotalLineDetail") == 1
    assert full["TotalAmt"] == inv["TotalAmt"]


def test_invoice_full_update_without_lines_is_refused(api: Api) -> None:
    inv = api.invoice(api.customer()["Id"])
    r = api.post("/invoice", {"Id": inv["Id"], "SyncToken": "0", "CustomerRef": inv["CustomerRef"]})
    assert r.status_code == 400 and fault_code(r) == "2020"


def test_void_zeroes_amounts_and_keeps_the_record(api: Api) -> None:
    inv = api.invoice(api.customer()["Id"], 50)
    r = api.post("/invoice", {"Id": inv["Id"], "SyncToken": "0"}, operation="void")
    voided = r.json()["Invoice"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0 and voided["PrivateNote"].startswith("Voided")
    assert api.get(f"/invoice/{inv['Id']}").status_code == 200
    stale = api.post("/invoice", {"Id": inv["Id"], "SyncToken": "0"}, operation="void")
    assert fault_code(stale) == "5010"


def test_delete_removes_the_invoice(api: Api) -> None:
    inv = api.invoice(api.customer()["Id"])
    r = api.post("/invoice", {"Id": inv["Id"], "SyncToken": "0"}, operation="delete")
    assert r.json()["Invoice"] == {"Id": inv["Id"], "status": "Deleted", "domain": "QBO"}
    assert fault_code(api.get(f"/invoice/{inv['Id']}")) == "610"


# ------------------------------------------------------------------------------------------------ Payment


def test_payment_part_pays_then_pays_with_linked_txn(api: Api) -> None:
    c = api.customer()
    inv = api.invoice(c["Id"], 100)
    link = [{"TxnId": inv["Id"], "TxnType": "Invoice"}]
    p1 = api.post(
        "/payment", {"CustomerRef": {"value": c["Id"]}, "TotalAmt": 40, "Line": [{"Amount": 40, "LinkedTxn": link}]}
    ).json()["Payment"]
    part = api.get(f"/invoice/{inv['Id']}").json()["Invoice"]
    assert part["Balance"] == 60 and part["LinkedTxn"] == [{"TxnId": p1["Id"], "TxnType": "Payment"}]
    assert part["SyncToken"] == "1"
    over = api.post(
        "/payment", {"CustomerRef": {"value": c["Id"]}, "TotalAmt": 70, "Line": [{"Amount": 70, "LinkedTxn": link}]}
    )
    assert over.status_code == 400 and fault_code(over) == "6000"
    p2 = api.post(
        "/payment", {"CustomerRef": {"value": c["Id"]}, "TotalAmt": 80, "Line": [{"Amount": 60, "LinkedTxn": link}]}
    ).json()["Payment"]
    assert p2["UnappliedAmt"] == 20
    paid = api.get(f"/invoice/{inv['Id']}").json()["Invoice"]
    assert paid["Balance"] == 0 and len(paid["LinkedTxn"]) == 2
    unpaid = api.query(f"SELECT * FROM Invoice WHERE CustomerRef = '{c['Id']}' AND Balance > '0'").json()
    assert unpaid["QueryResponse"] == {}


def test_voiding_or_deleting_a_payment_reopens_the_invoice(api: Api) -> None:
    c = api.customer()
    inv = api.invoice(c["Id"], 100)
    link = [{"TxnId": inv["Id"], "TxnType": "Invoice"}]
    pays = [
        api.post(
            "/payment", {"CustomerRef": {"value": c["Id"]}, "TotalAmt": 30, "Line": [{"Amount": 30, "LinkedTxn": link}]}
        ).json()["Payment"]
        for _ in range(2)
    ]
    assert api.get(f"/invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 40
    voided = api.post(
        "/payment", {"Id": pays[0]["Id"], "SyncToken": "0", "sparse": True}, operation="update", include="void"
    ).json()["Payment"]
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"].startswith("Voided")
    api.post("/payment", {"Id": pays[1]["Id"], "SyncToken": "0"}, operation="delete")
    reopened = api.get(f"/invoice/{inv['Id']}").json()["Invoice"]
    assert reopened["Balance"] == 100 and reopened["LinkedTxn"] == []


def test_credit_memo_applied_through_a_zero_payment(api: Api) -> None:
    c = api.customer()
    inv = api.invoice(c["Id"], 100)
    line = {"Amount": 30, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"Qty": 1, "UnitPrice": 30}}
    cm = api.post("/creditmemo", {"CustomerRef": {"value": c["Id"]}, "Line": [line]}).json()["CreditMemo"]
    assert cm["Balance"] == 30
    r = api.post(
        "/payment",
        {
            "CustomerRef": {"value": c["Id"]},
            "TotalAmt": 0,
            "Line": [
                {"Amount": 30, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]},
                {"Amount": 30, "LinkedTxn": [{"TxnId": cm["Id"], "TxnType": "CreditMemo"}]},
            ],
        },
    )
    assert r.status_code == 200, r.text
    assert api.get(f"/invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 70
    assert api.get(f"/creditmemo/{cm['Id']}").json()["CreditMemo"]["Balance"] == 0


# ------------------------------------------------------------------------------------------------ query endpoint


def test_query_endpoint_get_and_post_and_errors(api: Api) -> None:
    c = api.customer()
    r = api.http.post(
        "/query",
        content=f"select * from Customer where Id = '{c['Id']}'",
        headers={**api.headers(), "Content-Type": "application/text"},
    )
    assert r.json()["QueryResponse"]["Customer"][0]["Id"] == c["Id"]
    bad = api.query("SELECT * FROM Customer WHERE DisplayName = 'a' OR Id = '1'")
    assert bad.status_code == 400 and fault_code(bad) == "4000"
    assert api.query("SELECT count(*) FROM Customer").json()["QueryResponse"]["totalCount"] >= 1


def test_paging_startposition_is_one_based(api: Api) -> None:
    c = api.customer()
    made = [api.invoice(c["Id"], 10 + i)["Id"] for i in range(3)]
    base = f"SELECT * FROM Invoice WHERE CustomerRef = '{c['Id']}'"
    pages = [api.query(f"{base} STARTPOSITION {s} MAXRESULTS 2").json()["QueryResponse"] for s in (1, 3)]
    assert [i["Id"] for p in pages for i in p["Invoice"]] == made
    assert pages[0]["maxResults"] == 2 and pages[1]["startPosition"] == 3


# ------------------------------------------------------------------------------------------------ requestid


def test_repeated_requestid_returns_the_first_result(api: Api, qbo: ServedQuickBooks) -> None:
    c = api.customer()
    body = {
        "CustomerRef": {"value": c["Id"]},
        "Line": [{"Amount": 5, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"Qty": 1, "UnitPrice": 5}}],
    }
    first = api.post("/invoice", body, requestid="rid-replay-1").json()["Invoice"]
    second = api.post("/invoice", {**body, "PrivateNote": "changed"}, requestid="rid-replay-1").json()["Invoice"]
    assert second["Id"] == first["Id"] and "PrivateNote" not in second
    count = api.query(f"SELECT count(*) FROM Invoice WHERE CustomerRef = '{c['Id']}'").json()
    assert count["QueryResponse"]["totalCount"] == 1
    assert fault_code(api.post("/invoice", body, requestid="x" * 51)) == "2050"


def test_timeout_after_commit_then_replay_gives_one_invoice(api: Api, qbo: ServedQuickBooks) -> None:
    c = api.customer()
    body = {
        "CustomerRef": {"value": c["Id"]},
        "Line": [{"Amount": 7, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"Qty": 1, "UnitPrice": 7}}],
    }
    qbo.control("faults", method="POST", path="/invoice", mode="timeout_after_commit")
    with pytest.raises(httpx.ReadTimeout):
        api.http.post("/invoice", params={"requestid": "rid-tac-1"}, json=body, headers=api.headers(), timeout=0.3)
    again = api.post("/invoice", body, requestid="rid-tac-1")
    assert again.status_code == 200
    count = api.query(f"SELECT count(*) FROM Invoice WHERE CustomerRef = '{c['Id']}'").json()
    assert count["QueryResponse"]["totalCount"] == 1


# ------------------------------------------------------------------------------------------------ limits


@pytest.fixture(scope="module")
def tight() -> Iterator[ServedQuickBooks]:
    served = serve_in_thread(
        QuickBooksSandboxConfig(requests_per_minute=3, requests_per_second=0, concurrent_requests=1, hang_seconds=0.6)
    )
    yield served
    served.stop()


def test_minute_limit_answers_429_with_xml_even_for_json(tight: ServedQuickBooks) -> None:
    tight.state.reset()
    api = Api(tight)
    statuses = [api.get(f"/companyinfo/{tight.realm}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    r = api.get(f"/companyinfo/{tight.realm}")
    assert r.headers["content-type"].startswith("application/xml") and "ThrottleExceeded" in r.text
    assert 'code="3001"' in r.text and "Retry-After" not in r.headers
    tight.state.limits.minute.clear()
    assert api.get(f"/companyinfo/{tight.realm}").status_code == 200


def test_concurrency_limit_per_realm(tight: ServedQuickBooks) -> None:
    tight.state.reset()
    api = Api(tight)
    tight.control("faults", method="GET", path="/companyinfo", mode="timeout")
    held = threading.Thread(target=lambda: api.get(f"/companyinfo/{tight.realm}"))
    held.start()
    time.sleep(0.2)
    try:
        assert api.get(f"/companyinfo/{tight.realm}").status_code == 429
    finally:
        held.join()
    tight.state.limits.minute.clear()
    assert api.get(f"/companyinfo/{tight.realm}").status_code == 200


def test_batch_answers_each_item_with_faults_inside_a_200(api: Api) -> None:
    name = unique("Batch")
    r = api.post(
        "/batch",
        {
            "BatchItemRequest": [
                {"bId": "b1", "operation": "create", "Customer": {"DisplayName": name}},
                {"bId": "b2", "operation": "create", "Customer": {"DisplayName": name}},
                {"bId": "b3", "Query": f"SELECT * FROM Customer WHERE DisplayName = '{name}'"},
                {"bId": "b4", "Query": "SELECT * FROM Customer WHERE Id = '1' OR Id = '2'"},
            ]
        },
    )
    assert r.status_code == 200
    items = {i["bId"]: i for i in r.json()["BatchItemResponse"]}
    assert items["b1"]["Customer"]["DisplayName"] == name
    assert items["b2"]["Fault"]["Error"][0]["code"] == "6240"
    assert items["b3"]["QueryResponse"]["Customer"][0]["Id"] == items["b1"]["Customer"]["Id"]
    assert items["b4"]["Fault"]["Error"][0]["code"] == "4000"
    too_many = api.post(
        "/batch", {"BatchItemRequest": [{"bId": str(i), "Query": "SELECT * FROM Customer"} for i in range(31)]}
    )
    assert too_many.status_code == 400


# ------------------------------------------------------------------------------------------------ CDC


def test_cdc_lists_changes_and_deletions_since(api: Api, qbo: ServedQuickBooks) -> None:
    since = qbo.state.now().isoformat()
    c = api.customer()
    inv = api.invoice(c["Id"])
    gone = api.invoice(c["Id"])
    api.post("/invoice", {"Id": gone["Id"], "SyncToken": "0"}, operation="delete")
    r = api.get("/cdc", entities="Invoice,Customer", changedSince=since)
    blocks = r.json()["CDCResponse"][0]["QueryResponse"]
    invoices = {i["Id"]: i for i in blocks[0]["Invoice"]}
    assert invoices[inv["Id"]]["TotalAmt"] == inv["TotalAmt"] and invoices[gone["Id"]]["status"] == "Deleted"
    assert c["Id"] in [x["Id"] for x in blocks[1]["Customer"]]
    old = api.get("/cdc", entities="Invoice", changedSince="2000-01-01T00:00:00Z")
    assert old.status_code == 400


def test_send_and_pdf(api: Api, qbo: ServedQuickBooks) -> None:
    c = api.customer()
    inv = api.invoice(c["Id"])
    r = api.http.post(
        f"/invoice/{inv['Id']}/send", headers={**api.headers(), "Content-Type": "application/octet-stream"}
    )
    assert r.status_code == 400 and fault_code(r) == "6000"  # no BillEmail and no sendTo
    r = api.http.post(f"/invoice/{inv['Id']}/send", params={"sendTo": "x@y.example"}, headers=api.headers())
    sent = r.json()["Invoice"]
    assert sent["EmailStatus"] == "EmailSent" and sent["DeliveryInfo"]["DeliveryType"] == "Email"
    assert {"realm": qbo.realm, "invoice": inv["Id"], "to": "x@y.example"} in qbo.control("outbox")["sent"]
    pdf = api.http.get(f"/invoice/{inv['Id']}/pdf", headers={**api.headers(), "Accept": "application/pdf"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_sqlite_state_and_request_ids_survive_a_restart(tmp_path: Path) -> None:
    config = QuickBooksSandboxConfig(db_path=tmp_path / "qbo.db")
    with serve_in_thread(config) as first:
        api = Api(first)
        c = api.customer()
        inv = api.post(
            "/invoice",
            {
                "CustomerRef": {"value": c["Id"]},
                "Line": [
                    {
                        "Amount": 3,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"Qty": 1, "UnitPrice": 3},
                    }
                ],
            },
            requestid="survives",
        ).json()["Invoice"]
    with serve_in_thread(config) as second:
        api = Api(second)
        assert api.get(f"/customer/{c['Id']}").json()["Customer"]["DisplayName"] == c["DisplayName"]
        again = api.post("/invoice", {"CustomerRef": {"value": c["Id"]}, "Line": []}, requestid="survives")
        assert again.json()["Invoice"]["Id"] == inv["Id"]
