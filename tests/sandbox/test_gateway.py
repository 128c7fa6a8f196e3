"""Auth, scopes, rate limit, tenancy, persistence, partner-only endpoints (docs/lexware.md#rate-limits, docs/lexware.md#errors, docs/lexware.md#transaction-assignment-hint)."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from lexflow.lexware.sandbox import ApiKeySpec, SandboxConfig, create_app
from tests.sandbox.helpers import company_contact, invoice_body

OTHER_ORG = "0b7c6d5e-4f3a-4b2c-8d1e-9f8a7b6c5d4e"


def _client(app, key):
    return TestClient(app, headers={"Authorization": f"Bearer {key}"})


def test_rate_limit_is_a_429_without_side_effect():
    app = create_app(SandboxConfig(rate_limit=2, rate_burst=2))
    with _client(app, "lexflow-sandbox-key") as http:
        codes = [http.post("/v1/contacts", json=company_contact(f"Firma {i}")).status_code for i in range(4)]
        assert codes[:2] == [200, 200] and codes[2:] == [429, 429]
        r = http.get("/v1/profile")
        assert r.status_code == 429 and set(r.json()) == {"message"} and int(r.headers["Retry-After"]) >= 1
        time.sleep(1.05)
        page = http.get("/v1/contacts").json()
        assert page["totalElements"] == 2


def test_rate_limit_is_per_key():
    app = create_app(SandboxConfig(rate_limit=1, rate_burst=1, api_keys=[ApiKeySpec(key="second")]))
    with _client(app, "lexflow-sandbox-key") as a, _client(app, "second") as b:
        assert a.get("/v1/profile").status_code == 200
        assert a.get("/v1/profile").status_code == 429
        assert b.get("/v1/profile").status_code == 200


def test_rate_limit_shared_by_the_organisation_when_so_configured():
    """Client authors measured the limit (docs/lexware.md#rate-limits) shared across the account: two keys of one organisation then share one bucket."""
    keys = [ApiKeySpec(key="second"), ApiKeySpec(key="other-org", organization_id=OTHER_ORG)]
    app = create_app(SandboxConfig(rate_limit=1, rate_burst=1, rate_limit_scope="organization", api_keys=keys))
    with _client(app, "lexflow-sandbox-key") as a, _client(app, "second") as b, _client(app, "other-org") as c:
        assert a.get("/v1/profile").status_code == 200
        assert b.get("/v1/profile").status_code == 429
        assert c.get("/v1/profile").status_code == 200


def test_scopes_and_tenancy():
    keys = [
        ApiKeySpec(key="readonly", scopes=frozenset({"contacts.read", "profile.read"})),
        ApiKeySpec(key="other-org", organization_id=OTHER_ORG),
    ]
    app = create_app(SandboxConfig(rate_limit=0, api_keys=keys))
    with (
        _client(app, "lexflow-sandbox-key") as full,
        _client(app, "readonly") as ro,
        _client(app, "other-org") as other,
    ):
        cid = full.post("/v1/contacts", json=company_contact()).json()["id"]
        assert ro.get(f"/v1/contacts/{cid}").status_code == 200
        r = ro.post("/v1/contacts", json=company_contact())
        assert r.status_code == 403 and "contacts.write" in r.json()["message"]
        assert ro.get("/v1/voucherlist", params={"voucherType": "any", "voucherStatus": "any"}).status_code == 403
        assert other.get(f"/v1/contacts/{cid}").status_code == 404
        assert other.get("/v1/profile").json()["organizationId"] == OTHER_ORG


def test_revoked_key_is_401():
    app = create_app(SandboxConfig(rate_limit=0))
    with _client(app, "lexflow-sandbox-key") as http:
        assert app.state.sandbox.revoke_key("lexflow-sandbox-key")
        assert http.get("/v1/profile").status_code == 401


def test_transaction_hint_only_for_oauth_tokens():
    app = create_app(SandboxConfig(rate_limit=0))
    state = app.state.sandbox
    state.keys.add("partner-token", scopes={"transaction-assignment-hint.write", "invoices.write"}, kind="oauth")
    with _client(app, "lexflow-sandbox-key") as plain, _client(app, "partner-token") as partner:
        iid = plain.post("/v1/invoices", json=invoice_body(), params={"finalize": "true"}).json()["id"]
        body = {"voucherId": iid, "externalReference": "pi_3Nx"}
        assert plain.post("/v1/transaction-assignment-hint", json=body).status_code == 403
        assert partner.post("/v1/transaction-assignment-hint", json=body).status_code == 201
        assert partner.post("/v1/transaction-assignment-hint", json=body).status_code == 406


def test_sqlite_persistence_across_restarts(tmp_path):
    db = tmp_path / "sandbox.db"
    app = create_app(SandboxConfig(rate_limit=0, db_path=db))
    with _client(app, "lexflow-sandbox-key") as http:
        cid = http.post("/v1/contacts", json=company_contact()).json()["id"]
        iid = http.post("/v1/invoices", json=invoice_body(cid), params={"finalize": "true"}).json()["id"]
        app.state.sandbox.clock.advance(days=3)
    app.state.sandbox.store.close()
    again = create_app(SandboxConfig(rate_limit=0, db_path=db))
    with _client(again, "lexflow-sandbox-key") as http:
        inv = http.get(f"/v1/invoices/{iid}").json()
        assert inv["address"]["contactId"] == cid and inv["voucherNumber"] == "RE1001"
        assert again.state.sandbox.clock.offset_days == 3
        second = http.post("/v1/invoices", json=invoice_body(cid), params={"finalize": "true"}).json()["id"]
        assert http.get(f"/v1/invoices/{second}").json()["voucherNumber"] == "RE1002"


def test_pending_ocr_survives_a_restart(tmp_path):
    db = tmp_path / "ocr.db"
    app = create_app(SandboxConfig(rate_limit=0, db_path=db, ocr_delay_seconds=0.2))
    with _client(app, "lexflow-sandbox-key") as http:
        up = http.post("/v1/files", files={"file": ("a.pdf", b"%PDF-1.4 x")}, data={"type": "voucher"}).json()
        assert http.get(f"/v1/vouchers/{up['voucherId']}").json()["voucherStatus"] == "blank"
    app.state.sandbox.store.close()
    time.sleep(0.25)
    again = create_app(SandboxConfig(rate_limit=0, db_path=db, ocr_delay_seconds=0.2))
    with _client(again, "lexflow-sandbox-key") as http:
        assert http.get(f"/v1/vouchers/{up['voucherId']}").json()["voucherStatus"] == "unchecked"


def test_two_processes_share_one_sqlite_file(tmp_path):
    db = tmp_path / "shared.db"
    first = create_app(SandboxConfig(rate_limit=0, db_path=db))
    second = create_app(SandboxConfig(rate_limit=0, db_path=db))
    with _client(first, "lexflow-sandbox-key") as a, _client(second, "lexflow-sandbox-key") as b:
        cid = a.post("/v1/contacts", json=company_contact()).json()["id"]
        assert b.get(f"/v1/contacts/{cid}").status_code == 200
        n1 = b.post("/v1/invoices", json=invoice_body(cid), params={"finalize": "true"}).json()["id"]
        n2 = a.post("/v1/invoices", json=invoice_body(cid), params={"finalize": "true"}).json()["id"]
        numbers = {
            a.get(f"/v1/invoices/{n1}").json()["voucherNumber"],
            b.get(f"/v1/invoices/{n2}").json()["voucherNumber"],
        }
        assert numbers == {"RE1001", "RE1002"}


def test_wrong_json_types_are_validation_failures_not_crashes():
    app = create_app(SandboxConfig(rate_limit=0))
    with _client(app, "lexflow-sandbox-key") as http:
        body = invoice_body(address="Musterstraße 1")
        body["lineItems"][0]["unitPrice"] = [19]
        r = http.post("/v1/invoices", json=body)
        assert r.status_code == 406
        assert {d["field"] for d in r.json()["details"]} == {"address", "lineItems[0].unitPrice"}
        r = http.post("/v1/contacts", json=company_contact(addresses={"billing": {"countryCode": "DE"}}))
        assert r.status_code == 406 and r.json()["IssueList"][0]["source"] == "addresses.billing"
        r = http.post("/v1/vouchers", json={"type": "purchaseinvoice", "voucherItems": {"amount": 1}})
        assert r.status_code == 406 and r.json()["IssueList"][0]["source"] == "voucherItems"
        assert http.post("/v1/contacts", json=[1, 2]).status_code == 400
