"""Profile and master data (§4.11), auth and gateway behaviour (§1, §7.2a)."""

from __future__ import annotations

import httpx

from lexflow.sandbox import DEFAULT_ORGANIZATION_ID


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
