"""The Xero sandbox against the reference (docs/xero.md), section by section, over real HTTP."""

from __future__ import annotations

import threading

import pytest

from tests.xero.conftest import ALL, TENANT_A, TENANT_B, Api

# ------------------------------------------------------------------------------------------ OAuth


def test_code_exchange_gives_30_minute_tokens_and_a_refresh_token(api: Api) -> None:
    assert api.tokens["expires_in"] == 1800
    assert api.tokens["token_type"] == "Bearer"
    assert api.tokens["refresh_token"]
    assert set(api.tokens["scope"].split()) == set(ALL.split())


def test_a_code_works_once(api: Api) -> None:
    code = api.code(ALL)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/cb"}
    assert api.token(form).status_code == 200
    again = api.token(form)
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}


def test_wrong_client_secret_is_invalid_client(api: Api) -> None:
    answer = api.http.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=(api.sandbox.config.client_id, "wrong"),
    )
    assert answer.status_code == 401 and answer.json() == {"error": "invalid_client"}


def test_refresh_rotates_and_the_old_token_works_only_during_the_grace_period(api: Api) -> None:
    old = api.tokens["refresh_token"]
    first = api.token({"grant_type": "refresh_token", "refresh_token": old}).json()
    assert first["refresh_token"] != old and first["access_token"] != api.tokens["access_token"]
    assert api.token({"grant_type": "refresh_token", "refresh_token": old}).status_code == 200  # lost answer
    api.control("/clock", {"advanceSeconds": 1801})
    late = api.token({"grant_type": "refresh_token", "refresh_token": old})
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}


def test_access_token_expires_after_30_minutes(api: Api) -> None:
    assert api.call("GET", "/Contacts").status_code == 200
    api.control("/clock", {"advanceSeconds": 1801})
    answer = api.call("GET", "/Contacts")
    assert answer.status_code == 401
    assert answer.json()["Detail"].startswith("TokenExpired")


def test_without_offline_access_there_is_no_refresh_token(api: Api) -> None:
    tokens = api.authorise("openid accounting.contacts")
    assert "refresh_token" not in tokens


def test_revocation_ends_refresh_and_connections(api: Api) -> None:
    answer = api.http.post("/connect/revocation", data={"token": api.tokens["refresh_token"]}, headers=api.basic())
    assert answer.status_code == 200
    refused = api.token({"grant_type": "refresh_token", "refresh_token": api.tokens["refresh_token"]})
    assert refused.status_code == 400
    assert api.call("GET", "/Contacts").status_code == 401


# ------------------------------------------------------------------------------------------ scopes


def test_scopes_limit_resources_and_writes(api: Api) -> None:
    api.tokens = api.authorise("offline_access accounting.contacts.read")
    assert api.call("GET", "/Contacts").status_code == 200
    refused = api.call("PUT", "/Contacts", json={"Contacts": [{"Name": "X"}]})
    assert refused.status_code == 403 and refused.json()["Detail"] == "AuthorisationUnsuccessful"
    assert api.call("GET", "/Invoices").status_code == 403


def test_granular_scopes_of_new_apps(api: Api) -> None:
    api.tokens = api.authorise("offline_access accounting.invoices accounting.contacts")
    assert api.call("GET", "/Invoices").status_code == 200
    assert api.call("GET", "/Payments").status_code == 403


def test_unknown_scope_is_refused_at_authorisation(api: Api) -> None:
    answer = api.http.get(
        "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": api.sandbox.config.client_id,
            "scope": "accounting.everything",
            "redirect_uri": "http://localhost/cb",
            "state": "s",
        },
    )
    assert "error=invalid_scope" in answer.headers["location"]


# ------------------------------------------------------------------------------------------ tenancy


def test_connections_list_the_consented_tenants(api: Api) -> None:
    answer = api.http.get("/connections", headers={"Authorization": f"Bearer {api.tokens['access_token']}"})
    assert {c["tenantId"] for c in answer.json()} == {TENANT_A, TENANT_B}
    assert all(c["tenantType"] == "ORGANISATION" for c in answer.json())


def test_tenant_header_is_required_and_must_be_connected(api: Api) -> None:
    no_header = api.http.get("/api.xro/2.0/Contacts", headers={"Authorization": f"Bearer {api.tokens['access_token']}"})
    assert no_header.status_code == 403 and no_header.json()["Detail"] == "AuthenticationUnsuccessful"
    api.tenant = "11111111-2222-3333-4444-555555555555"
    assert api.call("GET", "/Contacts").status_code == 403


def test_tenants_are_isolated(api: Api) -> None:
    contact = api.contact()
    api.tenant = TENANT_B
    assert api.call("GET", "/Contacts").json()["Contacts"] == []
    assert api.call("GET", f"/Contacts/{contact['ContactID']}").status_code == 404
    api.contact()  # the same name is free in another organisation


def test_disconnecting_one_tenant(api: Api) -> None:
    bearer = {"Authorization": f"Bearer {api.tokens['access_token']}"}
    conn = next(c for c in api.http.get("/connections", headers=bearer).json() if c["tenantId"] == TENANT_B)
    assert api.http.delete(f"/connections/{conn['id']}", headers=bearer).status_code == 204
    api.tenant = TENANT_B
    assert api.call("GET", "/Contacts").status_code == 403


# ------------------------------------------------------------------------------------------ limits


def test_limit_headers_count_down(api: Api) -> None:
    first = api.call("GET", "/Contacts")
    second = api.call("GET", "/Contacts")
    assert int(first.headers["X-MinLimit-Remaining"]) == 59
    assert int(second.headers["X-MinLimit-Remaining"]) == 58
    assert int(second.headers["X-DayLimit-Remaining"]) == 4998
    assert "X-AppMinLimit-Remaining" in second.headers


def test_minute_limit_is_60_per_tenant(api: Api) -> None:
    for _ in range(60):
        assert api.call("GET", "/Organisation").status_code == 200
    refused = api.call("GET", "/Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    api.tenant = TENANT_B
    assert api.call("GET", "/Organisation").status_code == 200  # another tenant has its own bucket
    api.tenant = TENANT_A
    api.control("/clock", {"advanceSeconds": 60})
    assert api.call("GET", "/Organisation").status_code == 200


def test_daily_limit(api: Api) -> None:
    api.control("/limits", {"dailyLimit": 3})
    for _ in range(3):
        assert api.call("GET", "/Organisation").status_code == 200
    refused = api.call("GET", "/Organisation")
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 3600


def test_concurrent_limit(api: Api) -> None:
    api.control("/limits", {"concurrentLimit": 2})
    api.control("/faults", {"route": "GET /Organisation", "kind": "latency", "count": 2, "delay": 0.5})
    results: list[int] = []

    def call() -> None:
        results.append(api.call("GET", "/Organisation").status_code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    import time

    time.sleep(0.2)
    third = api.call("GET", "/Contacts")
    for t in threads:
        t.join()
    assert results == [200, 200]
    assert third.status_code == 429 and third.headers["X-Rate-Limit-Problem"] == "concurrent"


# ------------------------------------------------------------------------------------------ idempotency


def test_idempotency_key_replays_the_first_answer(api: Api) -> None:
    contact = api.contact()
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact["ContactID"]},
                "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 10}],
            }
        ]
    }
    first = api.call("PUT", "/Invoices", json=body, headers={"Idempotency-Key": "k-1"})
    second = api.call("PUT", "/Invoices", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.json()["Invoices"][0]["InvoiceID"] == second.json()["Invoices"][0]["InvoiceID"]
    assert len(api.call("GET", "/Invoices").json()["Invoices"]) == 1
    other = api.call(
        "PUT",
        "/Invoices",
        json={**body, "Invoices": [{**body["Invoices"][0], "Reference": "R"}]},
        headers={"Idempotency-Key": "k-1"},
    )
    assert other.status_code == 400 and "different request" in other.json()["Message"]


def test_idempotency_window_is_six_minutes(api: Api) -> None:
    body = {"Contacts": [{"Name": "Window Ltd"}]}
    assert api.call("PUT", "/Contacts", json=body, headers={"Idempotency-Key": "k-2"}).status_code == 200
    api.control("/clock", {"advanceSeconds": 361})
    api.tokens = api.authorise(ALL)
    late = api.call("PUT", "/Contacts", json=body, headers={"Idempotency-Key": "k-2"})
    assert late.status_code == 400  # executed again: the name is now taken


def test_stored_errors_are_replayed_too(api: Api) -> None:
    bad = {"Contacts": [{"Name": ""}]}
    first = api.call("PUT", "/Contacts", json=bad, headers={"Idempotency-Key": "k-3"})
    again = api.call("PUT", "/Contacts", json=bad, headers={"Idempotency-Key": "k-3"})
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()


# ------------------------------------------------------------------------------------------ batches


def test_summarize_errors_refuses_the_whole_batch(api: Api) -> None:
    body = {"Contacts": [{"Name": "Good Ltd"}, {"Name": ""}]}
    answer = api.call("PUT", "/Contacts", json=body)
    assert answer.status_code == 400
    error = answer.json()
    assert error["Type"] == "ValidationException" and error["ErrorNumber"] == 10
    assert error["Elements"][0]["ValidationErrors"][0]["Message"]
    assert api.call("GET", "/Contacts").json()["Contacts"] == []


def test_summarize_errors_false_keeps_the_valid_elements(api: Api) -> None:
    body = {"Contacts": [{"Name": "Good Ltd"}, {"Name": ""}]}
    answer = api.call("PUT", "/Contacts", params={"summarizeErrors": "false"}, json=body)
    assert answer.status_code == 200
    statuses = [c.get("StatusAttributeString") for c in answer.json()["Contacts"]]
    assert statuses == [None, "ERROR"] or statuses[1] == "ERROR"
    assert [c["Name"] for c in api.call("GET", "/Contacts").json()["Contacts"]] == ["Good Ltd"]


# ------------------------------------------------------------------------------------------ contacts


def test_contact_names_are_unique_among_active_contacts(api: Api) -> None:
    first = api.contact("Acme GmbH")
    dup = api.call("PUT", "/Contacts", json={"Contacts": [{"Name": "ACME gmbh"}]})
    assert dup.status_code == 400
    assert "must be unique across all active contacts" in dup.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    archived = api.call("POST", f"/Contacts/{first['ContactID']}", json={"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    assert archived.json()["Contacts"][0]["ContactStatus"] == "ARCHIVED"
    api.contact("Acme GmbH")  # an archived contact does not block the name
    assert len(api.call("GET", "/Contacts").json()["Contacts"]) == 1
    assert len(api.call("GET", "/Contacts", params={"includeArchived": "true"}).json()["Contacts"]) == 2


def test_contact_with_outstanding_invoice_cannot_be_archived(api: Api) -> None:
    contact = api.contact()
    api.invoice(contact["ContactID"])
    answer = api.call("POST", f"/Contacts/{contact['ContactID']}", json={"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    assert answer.status_code == 400


def test_contact_search_where_and_search_term(api: Api) -> None:
    api.contact("Acme GmbH", EmailAddress="billing@acme.example", ContactNumber="CRM-42")
    api.contact("Beta Ltd", EmailAddress="beta@beta.example")
    by_mail = api.call("GET", "/Contacts", params={"where": 'EmailAddress=="BILLING@acme.example"'})
    assert [c["Name"] for c in by_mail.json()["Contacts"]] == ["Acme GmbH"]
    by_term = api.call("GET", "/Contacts", params={"searchTerm": "beta"})
    assert [c["Name"] for c in by_term.json()["Contacts"]] == ["Beta Ltd"]
    by_number = api.call("GET", "/Contacts/CRM-42")
    assert by_number.json()["Contacts"][0]["Name"] == "Acme GmbH"
    assert "Balances" in by_number.json()["Contacts"][0]
    contains = api.call("GET", "/Contacts", params={"where": 'Name.Contains("cme")'})
    assert len(contains.json()["Contacts"]) == 1


def test_contact_answer_has_placeholder_addresses_and_phones(api: Api) -> None:
    contact = api.contact()
    assert {a["AddressType"] for a in contact["Addresses"]} == {"POBOX", "STREET"}
    assert {p["PhoneType"] for p in contact["Phones"]} == {"DEFAULT", "DDI", "FAX", "MOBILE"}


# ------------------------------------------------------------------------------------------ invoices


@pytest.mark.parametrize(
    ("amount_types", "unit", "qty", "tax", "sub", "total"),
    [
        ("Exclusive", 120, 10, 240.0, 1200.0, 1440.0),
        ("Inclusive", 23.80, 1, 3.97, 19.83, 23.80),
        ("NoTax", 99.99, 3, 0.0, 299.97, 299.97),
        ("Exclusive", 0.125, 3, 0.08, 0.39, 0.47),  # without unitdp=4 the unit amount is rounded to 0.13 first
    ],
)
def test_line_and_total_rounding(
    api: Api, amount_types: str, unit: float, qty: int, tax: float, sub: float, total: float
) -> None:
    contact = api.contact()
    inv = api.invoice(
        contact["ContactID"],
        status="DRAFT",
        LineAmountTypes=amount_types,
        LineItems=[
            {"Description": "x", "Quantity": qty, "UnitAmount": unit, "AccountCode": "200", "TaxType": "OUTPUT2"}
        ],
    )
    assert (inv["TotalTax"], inv["SubTotal"], inv["Total"]) == (tax, sub, total)
    assert inv["AmountDue"] == total


def test_unitdp_4_keeps_four_decimals_on_unit_amounts(api: Api) -> None:
    contact = api.contact()
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact["ContactID"]},
                "LineItems": [
                    {"Description": "x", "Quantity": 3, "UnitAmount": 0.125, "AccountCode": "200", "TaxType": "OUTPUT2"}
                ],
            }
        ]
    }
    inv = api.call("PUT", "/Invoices", params={"unitdp": 4}, json=body).json()["Invoices"][0]
    assert inv["LineItems"][0]["UnitAmount"] == 0.125
    assert (inv["SubTotal"], inv["TotalTax"], inv["Total"]) == (0.38, 0.08, 0.46)  # 0.375 → 0.38 half away from 0


def test_unknown_tax_type_is_refused(api: Api) -> None:
    contact = api.contact()
    answer = api.call(
        "PUT",
        "/Invoices",
        json={
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [{"Description": "x", "UnitAmount": 1, "TaxType": "VAT19"}],
                }
            ]
        },
    )
    assert answer.status_code == 400
    assert "TaxType code 'VAT19'" in answer.json()["Elements"][0]["ValidationErrors"][0]["Message"]


def test_sales_invoice_numbers_are_generated_and_unique(api: Api) -> None:
    contact = api.contact()
    a = api.invoice(contact["ContactID"])
    b = api.invoice(contact["ContactID"])
    assert (a["InvoiceNumber"], b["InvoiceNumber"]) == ("INV-0001", "INV-0002")
    dup = api.call(
        "PUT",
        "/Invoices",
        json={
            "Invoices": [
                {"Type": "ACCREC", "InvoiceNumber": "INV-0001", "Contact": {"ContactID": contact["ContactID"]}}
            ]
        },
    )
    assert dup.status_code == 400


def test_contact_by_name_is_found_or_created_and_marked(api: Api) -> None:
    api.invoice(None, Contact={"Name": "New Supplier Ltd"}, Type="ACCPAY", InvoiceNumber="R-1")  # type: ignore[arg-type]
    contacts = api.call("GET", "/Contacts").json()["Contacts"]
    assert [(c["Name"], c["IsSupplier"]) for c in contacts] == [("New Supplier Ltd", True)]


def test_dates_are_microsoft_json_with_string_twins(api: Api) -> None:
    inv = api.invoice(api.contact()["ContactID"])
    assert inv["Date"] == "/Date(1772409600000+0000)/" and inv["DateString"] == "2026-03-02T00:00:00"
    bad = api.call(
        "PUT",
        "/Invoices",
        json={"Invoices": [{"Type": "ACCREC", "Date": "2017-12-14 00:00:00", "Contact": {"Name": "X"}}]},
    )
    assert bad.status_code == 400 and bad.json()["Type"] == "PostDataInvalidException"


# ------------------------------------------------------------------------------------------ status machine

ALLOWED = {
    ("DRAFT", "SUBMITTED"),
    ("DRAFT", "AUTHORISED"),
    ("DRAFT", "DELETED"),
    ("SUBMITTED", "DRAFT"),
    ("SUBMITTED", "AUTHORISED"),
    ("SUBMITTED", "DELETED"),
    ("AUTHORISED", "VOIDED"),
}


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (a, b)
        for a in ("DRAFT", "SUBMITTED", "AUTHORISED")
        for b in ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED")
        if a != b
    ],
)
def test_status_transitions(api: Api, start: str, target: str) -> None:
    inv = api.invoice(api.contact()["ContactID"], status=start)
    answer = api.call("POST", f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{"Status": target}]})
    if (start, target) in ALLOWED:
        assert answer.status_code == 200, answer.text
        assert answer.json()["Invoices"][0]["Status"] == target
    else:
        assert answer.status_code == 400


def test_created_status_and_terminal_states(api: Api) -> None:
    contact = api.contact()
    paid = api.call(
        "PUT",
        "/Invoices",
        json={"Invoices": [{"Type": "ACCREC", "Status": "PAID", "Contact": {"ContactID": contact["ContactID"]}}]},
    )
    assert paid.status_code == 400
    inv = api.invoice(contact["ContactID"], status="DRAFT")
    api.call("POST", f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{"Status": "DELETED"}]})
    revived = api.call("POST", f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{"Status": "DRAFT"}]})
    assert revived.status_code == 400
    assert api.call("GET", "/Invoices").json()["Invoices"] == []  # deleted ones are not listed


def test_approval_needs_account_codes_and_due_date(api: Api) -> None:
    contact = api.contact()
    answer = api.call(
        "PUT",
        "/Invoices",
        json={
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Status": "AUTHORISED",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [{"Description": "x", "UnitAmount": 5}],
                }
            ]
        },
    )
    assert answer.status_code == 400


def test_update_replaces_lines_and_keeps_echoed_ids(api: Api) -> None:
    inv = api.invoice(api.contact()["ContactID"], status="DRAFT")
    line = inv["LineItems"][0]
    answer = api.call(
        "POST",
        f"/Invoices/{inv['InvoiceID']}",
        json={
            "Invoices": [
                {"LineItems": [{**line, "Quantity": 1}, {"Description": "new", "UnitAmount": 5, "AccountCode": "200"}]}
            ]
        },
    )
    lines = answer.json()["Invoices"][0]["LineItems"]
    assert lines[0]["LineItemID"] == line["LineItemID"] and lines[1]["LineItemID"] != line["LineItemID"]
    assert answer.json()["Invoices"][0]["SubTotal"] == 125.0


# ------------------------------------------------------------------------------------------ lists


def test_paging_and_summaries(api: Api) -> None:
    contact = api.contact()
    for _ in range(5):
        api.invoice(contact["ContactID"])
    page = api.call("GET", "/Invoices", params={"page": 3, "pageSize": 2}).json()
    assert page["pagination"] == {"page": 3, "pageSize": 2, "pageCount": 3, "itemCount": 5}
    assert len(page["Invoices"]) == 1 and page["Invoices"][0]["LineItems"]
    unpaged = api.call("GET", "/Invoices").json()
    assert len(unpaged["Invoices"]) == 5 and "pagination" not in unpaged
    assert all("LineItems" not in i for i in unpaged["Invoices"])


def test_statuses_where_and_if_modified_since(api: Api) -> None:
    contact = api.contact()
    draft = api.invoice(contact["ContactID"], status="DRAFT", Reference="PO-1")
    api.invoice(contact["ContactID"], DueDate="2026-04-30")
    assert [i["InvoiceID"] for i in api.call("GET", "/Invoices", params={"Statuses": "DRAFT"}).json()["Invoices"]] == [
        draft["InvoiceID"]
    ]
    overdue = api.call(
        "GET",
        "/Invoices",
        params={"where": 'Type=="ACCREC" AND Status=="AUTHORISED" AND DueDate < DateTime(2026, 04, 01)'},
    ).json()["Invoices"]
    assert overdue == []
    by_ref = api.call("GET", "/Invoices", params={"searchTerm": "po-1"}).json()["Invoices"]
    assert [i["InvoiceID"] for i in by_ref] == [draft["InvoiceID"]]
    api.control("/clock", {"advanceSeconds": 600})
    api.tokens = api.authorise(ALL)
    cut = api.call("GET", "/Organisation").json()["DateTimeUTC"]
    since = int(cut[6:-2]) // 1000
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(since - 1, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    api.call("POST", f"/Invoices/{draft['InvoiceID']}", json={"Invoices": [{"Reference": "PO-2"}]})
    changed = api.call("GET", "/Invoices", headers={"If-Modified-Since": stamp}).json()["Invoices"]
    assert [i["InvoiceID"] for i in changed] == [draft["InvoiceID"]]


def test_bad_where_is_a_query_parse_exception(api: Api) -> None:
    answer = api.call("GET", "/Invoices", params={"where": 'Status=="AUTHORISED" AND ('})
    assert answer.status_code == 400 and answer.json()["Type"] == "QueryParseException"


def test_unknown_id_is_404(api: Api) -> None:
    answer = api.call("GET", "/Invoices/4ab9fc9a-2a0f-4c0e-8d1f-2e1b6f1e3a10")
    assert answer.status_code == 404


# ------------------------------------------------------------------------------------------ payments


def test_payments_part_pay_then_pay_then_delete(api: Api) -> None:
    inv = api.invoice(api.contact()["ContactID"])
    iid = inv["InvoiceID"]

    def pay(amount: float) -> object:
        return api.call(
            "PUT",
            "/Payments",
            json={
                "Payments": [
                    {"Invoice": {"InvoiceID": iid}, "Account": {"Code": "090"}, "Date": "2026-03-10", "Amount": amount}
                ]
            },
        )

    first = pay(440)
    assert first.status_code == 200  # type: ignore[attr-defined]
    assert api.call("GET", f"/Invoices/{iid}").json()["Invoices"][0]["Status"] == "AUTHORISED"
    assert pay(1000.01).status_code == 400  # type: ignore[attr-defined]
    second = pay(1000).json()["Payments"][0]  # type: ignore[attr-defined]
    assert second["Invoice"]["Status"] == "PAID"
    got = api.call("GET", f"/Invoices/{iid}").json()["Invoices"][0]
    assert got["AmountDue"] == 0 and got["AmountPaid"] == 1440 and got["FullyPaidOnDate"]
    void = api.call("POST", f"/Invoices/{iid}", json={"Invoices": [{"Status": "VOIDED"}]})
    assert void.status_code == 400
    deleted = api.call("POST", f"/Payments/{second['PaymentID']}", json={"Payments": [{"Status": "DELETED"}]})
    assert deleted.json()["Payments"][0]["Status"] == "DELETED"
    back = api.call("GET", f"/Invoices/{iid}").json()["Invoices"][0]
    assert back["Status"] == "AUTHORISED" and back["AmountDue"] == 1000


def test_payment_only_against_authorised_and_to_bank_accounts(api: Api) -> None:
    draft = api.invoice(api.contact()["ContactID"], status="DRAFT")
    answer = api.call(
        "PUT",
        "/Payments",
        json={"Payments": [{"Invoice": {"InvoiceID": draft["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 1}]},
    )
    assert "Authorised documents" in answer.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    api.call("POST", f"/Invoices/{draft['InvoiceID']}", json={"Invoices": [{"Status": "AUTHORISED"}]})
    wrong = api.call(
        "PUT",
        "/Payments",
        json={"Payments": [{"Invoice": {"InvoiceID": draft["InvoiceID"]}, "Account": {"Code": "200"}, "Amount": 1}]},
    )
    assert wrong.status_code == 400


# ------------------------------------------------------------------------------------------ credit notes and payments


def test_credit_note_allocation_pays_the_invoice(api: Api) -> None:
    contact = api.contact()
    inv = api.invoice(contact["ContactID"])
    cn = api.call(
        "PUT",
        "/CreditNotes",
        json={
            "CreditNotes": [
                {
                    "Type": "ACCRECCREDIT",
                    "Status": "AUTHORISED",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [
                        {
                            "Description": "Cancel",
                            "Quantity": 10,
                            "UnitAmount": 120,
                            "AccountCode": "200",
                            "TaxType": "OUTPUT2",
                        }
                    ],
                }
            ]
        },
    ).json()["CreditNotes"][0]
    assert cn["CreditNoteNumber"] == "CN-0001" and cn["RemainingCredit"] == 1440
    alloc = api.call(
        "PUT",
        f"/CreditNotes/{cn['CreditNoteID']}/Allocations",
        json={"Allocations": [{"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": 1440}]},
    )
    assert alloc.status_code == 200, alloc.text
    got = api.call("GET", f"/Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert got["Status"] == "PAID" and got["AmountCredited"] == 1440
    assert api.call("GET", f"/CreditNotes/{cn['CreditNoteID']}").json()["CreditNotes"][0]["Status"] == "PAID"


def test_spend_money_bank_transaction(api: Api) -> None:
    answer = api.call(
        "PUT",
        "/BankTransactions",
        json={
            "BankTransactions": [
                {
                    "Type": "SPEND",
                    "Contact": {"Name": "Office Supplies Ltd"},
                    "BankAccount": {"Code": "090"},
                    "LineAmountTypes": "Inclusive",
                    "LineItems": [
                        {"Description": "Paper", "UnitAmount": 23.80, "AccountCode": "429", "TaxType": "INPUT2"}
                    ],
                }
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    bt = answer.json()["BankTransactions"][0]
    assert bt["Total"] == 23.8 and bt["Status"] == "AUTHORISED"
    listed = api.call("GET", "/BankTransactions", params={"where": 'Type=="SPEND"'}).json()["BankTransactions"]
    assert len(listed) == 1
    gone = api.call(
        "POST", f"/BankTransactions/{bt['BankTransactionID']}", json={"BankTransactions": [{"Status": "DELETED"}]}
    )
    assert gone.json()["BankTransactions"][0]["Status"] == "DELETED"


# ------------------------------------------------------------------------------------------ files, e-mail


def test_attachments_pdf_and_email(api: Api) -> None:
    contact = api.contact(EmailAddress="billing@acme.example")
    inv = api.invoice(contact["ContactID"], status="DRAFT")
    iid = inv["InvoiceID"]
    up = api.call(
        "PUT",
        f"/Invoices/{iid}/Attachments/receipt.pdf",
        content=b"%PDF-1.4 test",
        headers={"Content-Type": "application/pdf"},
    )
    assert up.status_code == 200 and up.json()["Attachments"][0]["ContentLength"] == 13
    again = api.call("PUT", f"/Invoices/{iid}/Attachments/receipt.pdf", content=b"x")
    assert again.status_code == 400
    assert api.call("GET", f"/Invoices/{iid}/Attachments/receipt.pdf").content == b"%PDF-1.4 test"
    for pdf in (
        api.call("GET", f"/Invoices/{iid}/pdf"),
        api.call("GET", f"/Invoices/{iid}", headers={"Accept": "application/pdf"}),
    ):
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert api.call("POST", f"/Invoices/{iid}/Email", json={}).status_code == 400  # not for drafts
    api.call("POST", f"/Invoices/{iid}", json={"Invoices": [{"Status": "AUTHORISED"}]})
    assert api.call("POST", f"/Invoices/{iid}/Email", json={}).status_code == 204
    assert api.call("GET", f"/Invoices/{iid}").json()["Invoices"][0]["SentToContact"] is True
    assert api.http.get("/_sandbox/emails").json()["emails"][0]["to"] == ["billing@acme.example"]


# ------------------------------------------------------------------------------------------ faults


def test_timeout_after_commit_fault_commits_the_write(api: Api) -> None:
    api.control("/faults", {"route": "PUT /Contacts", "kind": "504_after_commit"})
    answer = api.call("PUT", "/Contacts", json={"Contacts": [{"Name": "Ghost Ltd"}]})
    assert answer.status_code == 504
    assert [c["Name"] for c in api.call("GET", "/Contacts").json()["Contacts"]] == ["Ghost Ltd"]


def test_oversized_body_is_413_not_a_hang(api: Api) -> None:
    answer = api.call("PUT", "/Contacts", content=b"{" + b" " * (10 * 1024 * 1024) + b"}")
    assert answer.status_code == 413


def test_long_where_is_refused_quickly(api: Api) -> None:
    answer = api.call("GET", "/Contacts", params={"where": "(" * 5000 + 'Name=="x"' + ")" * 5000})
    assert answer.status_code == 400 and answer.json()["Type"] == "QueryParseException"
