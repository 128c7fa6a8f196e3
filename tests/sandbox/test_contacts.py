"""Contacts (docs/lexware.md#contacts): IssueList errors, company XOR person, single entries, numbers, search, 406 stale version."""

from __future__ import annotations

from tests.sandbox.helpers import company_contact


def test_create_assigns_numbers_and_location(sandbox_http):
    r = sandbox_http.post("/v1/contacts", json=company_contact(roles={"customer": {}, "vendor": {}}))
    assert r.status_code == 200
    assert r.headers["Location"].endswith(r.json()["id"])
    c = sandbox_http.get(f"/v1/contacts/{r.json()['id']}").json()
    assert c["roles"]["customer"]["number"] >= 10000 and c["roles"]["vendor"]["number"] >= 70000
    assert c["version"] == 1 and c["archived"] is False
    second = sandbox_http.post("/v1/contacts", json=company_contact("Zweite GmbH")).json()
    assert sandbox_http.get(f"/v1/contacts/{second['id']}").json()["roles"]["customer"]["number"] == (
        c["roles"]["customer"]["number"] + 1
    )


def test_company_xor_person_issue_list(sandbox_http):
    body = company_contact(person={"lastName": "Meier"})
    r = sandbox_http.post("/v1/contacts", json=body)
    assert r.status_code == 406
    issue = r.json()["IssueList"][0]
    assert issue["source"] == "company" and issue["type"] == "validation_failure"
    r = sandbox_http.post("/v1/contacts", json={"version": 0, "roles": {"customer": {}}})
    assert r.status_code == 406
    person = sandbox_http.post(
        "/v1/contacts",
        json={"version": 0, "roles": {"vendor": {}}, "person": {"firstName": "Jana", "lastName": "Roth"}},
    )
    got = sandbox_http.get(f"/v1/contacts/{person.json()['id']}").json()
    assert "company" not in got and got["person"]["lastName"] == "Roth"


def test_single_entries_on_write(sandbox_http):
    body = company_contact()
    body["addresses"]["billing"].append({"countryCode": "DE"})
    r = sandbox_http.post("/v1/contacts", json=body)
    assert r.status_code == 406
    assert r.json()["IssueList"][0]["source"] == "addresses.billing.size"
    assert r.json()["IssueList"][0]["i18nKey"] == "invalid_value"


def test_stale_version_is_406_with_source_version(sandbox_http):
    cid = sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"]
    c = sandbox_http.get(f"/v1/contacts/{cid}").json()
    c["note"] = "erste Änderung"
    assert sandbox_http.put(f"/v1/contacts/{cid}", json=c).status_code == 200
    c["note"] = "veraltet"
    r = sandbox_http.put(f"/v1/contacts/{cid}", json=c)
    assert r.status_code == 406
    assert r.json()["IssueList"][0]["source"] == "version"


def test_archived_is_read_only_and_put_replaces(sandbox_http):
    cid = sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"]
    c = sandbox_http.get(f"/v1/contacts/{cid}").json()
    c["archived"] = True
    del c["emailAddresses"]
    r = sandbox_http.put(f"/v1/contacts/{cid}", json=c)
    assert r.status_code == 200 and r.json()["version"] == 2
    after = sandbox_http.get(f"/v1/contacts/{cid}").json()
    assert after["archived"] is False
    assert "emailAddresses" not in after


def test_search_rules(sandbox_http):
    for name in ("Johnson & Partner", "Johnsen AG", "Schmidt KG"):
        sandbox_http.post("/v1/contacts", json=company_contact(name))
    r = sandbox_http.get("/v1/contacts", params={"name": "Jo"})
    assert r.status_code == 400 and "IssueList" in r.json()
    names = lambda **p: [c["company"]["name"] for c in sandbox_http.get("/v1/contacts", params=p).json()["content"]]  # noqa: E731
    assert names(name="johnson &amp; partner") == ["Johnson & Partner"]
    assert names(name="Johns_n") == ["Johnsen AG", "Johnson & Partner"]
    assert names(name="Sch%KG") == ["Schmidt KG"]
    assert len(names(email="rechnung@")) == 3
    page = sandbox_http.get("/v1/contacts", params={"size": 2}).json()
    assert page["totalElements"] == 3 and page["totalPages"] == 2 and page["numberOfElements"] == 2
    assert sandbox_http.get("/v1/contacts", params={"size": 251}).status_code == 400
    assert names(vendor="true") == []


def test_no_delete(sandbox_http):
    cid = sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"]
    assert sandbox_http.delete(f"/v1/contacts/{cid}").status_code == 403


def test_missing_json_content_type_is_415(sandbox_http):
    r = sandbox_http.post("/v1/contacts", content=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
