"""Profile and master data (docs/lexware.md#master-data), auth and gateway behaviour (docs/lexware.md#gateway-errors)."""

from __future__ import annotations

import httpx

from lexflow.lexware.sandbox import DEFAULT_ORGANIZATION_ID


def test_profile(sandbox_http):
    r = sandbox_http.get("/v1/profile")
    assert r.status_code == 200
    body = r.json()
    assert body["organizationId"] == DEFAULT_ORGANIZATION_ID
    assert body["taxType"] in {"net", "gross", "vatfree"}
    assert "BOOKKEEPING" in body["businessFeatures"]


def test_master_data_are_bare_arrays(sandbox_http):
    for path in ("/v1/countries", "/v1/payment-conditions", "/v1/posting-categories", "/v1/print-layouts"):
        r = sandbox_http.get(path)
        assert r.status_code == 200, path
        assert isinstance(r.json(), list) and r.json(), path
    cats = {c["id"]: c for c in sandbox_http.get("/v1/posting-categories").json()}
    assert cats["8f8664a8-fd86-11e1-a21f-0800200c9a66"]["name"] == "Warenverkäufe"
    assert cats["7a1efa0e-6283-4cbf-9583-8e88d3ba5960"]["type"] == "income"
    de = next(c for c in sandbox_http.get("/v1/countries").json() if c["countryCode"] == "DE")
    assert de == {
        "countryCode": "DE",
        "countryNameEN": "Germany",
        "countryNameDE": "Deutschland",
        "taxClassification": "de",
    }
    assert sum(1 for p in sandbox_http.get("/v1/print-layouts").json() if p["default"]) == 1


def test_bad_key_is_401_gateway_body(sandbox_http):
    r = sandbox_http.get("/v1/profile", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json() == {"message": "Unauthorized"}
    r = sandbox_http.get("/v1/profile", headers={"Authorization": ""})
    assert r.status_code == 401


def test_unknown_route_and_method_are_gateway_403(sandbox_http):
    for method, path in (("GET", "/v1/nothing"), ("DELETE", "/v1/profile"), ("POST", "/v1/countries")):
        r = sandbox_http.request(method, path)
        assert r.status_code == 403, (method, path)
        assert set(r.json()) == {"message"}
        assert "lexflow-sandbox-key" not in r.text


def test_served_sandbox_over_real_http(served_sandbox):
    served_sandbox.reset()
    r = httpx.get(f"{served_sandbox.url}/v1/profile", headers={"Authorization": f"Bearer {served_sandbox.api_key}"})
    assert r.status_code == 200
    assert r.json()["organizationId"] == DEFAULT_ORGANIZATION_ID


def test_openapi_lists_the_surface(sandbox_http):
    doc = sandbox_http.get("/_sandbox/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "get" in doc["paths"]["/v1/profile"]


DOCUMENTED = """
POST /v1/articles|GET /v1/articles/{id}|PUT /v1/articles/{id}|DELETE /v1/articles/{id}|GET /v1/articles
POST /v1/contacts|GET /v1/contacts/{id}|PUT /v1/contacts/{id}|GET /v1/contacts|GET /v1/countries
POST /v1/credit-notes|GET /v1/credit-notes/{id}|GET /v1/credit-notes/{id}/document|GET /v1/credit-notes/{id}/file
POST /v1/delivery-notes|GET /v1/delivery-notes/{id}|GET /v1/delivery-notes/{id}/document|GET /v1/delivery-notes/{id}/file
POST /v1/dunnings|GET /v1/dunnings/{id}|GET /v1/dunnings/{id}/document|GET /v1/dunnings/{id}/file
GET /v1/down-payment-invoices/{id}|GET /v1/down-payment-invoices/{id}/file
POST /v1/files|GET /v1/files/{id}
POST /v1/invoices|GET /v1/invoices/{id}|GET /v1/invoices/{id}/document|GET /v1/invoices/{id}/file
POST /v1/order-confirmations|GET /v1/order-confirmations/{id}|GET /v1/order-confirmations/{id}/document
GET /v1/order-confirmations/{id}/file|GET /v1/payments/{id}|GET /v1/payment-conditions|GET /v1/posting-categories
GET /v1/print-layouts|GET /v1/profile
POST /v1/quotations|GET /v1/quotations/{id}|GET /v1/quotations/{id}/document|GET /v1/quotations/{id}/file
GET /v1/recurring-templates/{id}|GET /v1/recurring-templates|GET /v1/voucherlist
POST /v1/vouchers|GET /v1/vouchers/{id}|PUT /v1/vouchers/{id}|GET /v1/vouchers|POST /v1/vouchers/{id}/files
POST /v1/event-subscriptions|GET /v1/event-subscriptions/{id}|GET /v1/event-subscriptions
DELETE /v1/event-subscriptions/{id}
"""


def test_every_documented_operation_is_routed(sandbox_app):
    """docs/lexware.md#operations: 55 operations (the 4 event-subscription ones come from the webhooks module)."""
    wanted = {op.strip() for line in DOCUMENTED.strip().splitlines() for op in line.split("|")}
    assert len(wanted) == 55
    routed = {f"{r.method} {r.path}" for r in sandbox_app.state.api_routes}
    assert wanted <= routed, sorted(wanted - routed)
    assert routed - wanted == {"POST /v1/transaction-assignment-hint", "GET /v1/ping"}  # both beyond the 55


def test_openapi_names_scopes_codes_and_error_styles(sandbox_http):
    doc = sandbox_http.get("/_sandbox/openapi.json").json()
    create = doc["paths"]["/v1/invoices"]["post"]
    assert create["x-scope"] == "invoices.write" and "201" in create["responses"]
    assert create["responses"]["406"]["content"]["application/json"]["schema"]["$ref"].endswith("RegularError")
    contact = doc["paths"]["/v1/contacts"]["post"]
    assert "200" in contact["responses"] and contact["responses"]["406"]["content"]["application/json"]["schema"][
        "$ref"
    ].endswith("IssueList")
    assert "204" in doc["paths"]["/v1/articles/{id}"]["delete"]["responses"]
    assert "202" in doc["paths"]["/v1/files"]["post"]["responses"]
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
