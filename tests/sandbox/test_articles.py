"""Articles (docs/lexware.md#articles): price derivation, 409 on a stale version, list size rules, delete."""

from __future__ import annotations

ARTICLE = {
    "title": "Montagestunde",
    "type": "SERVICE",
    "unitName": "Stunde",
    "price": {"leadingPrice": "GROSS", "grossPrice": 11.90, "taxRate": 19},
}


def test_gross_leading_price_derives_net(sandbox_http):
    r = sandbox_http.post("/v1/articles", json=ARTICLE)
    assert r.status_code == 201
    a = sandbox_http.get(f"/v1/articles/{r.json()['id']}").json()
    assert a["price"]["netPrice"] == 10.0 and a["price"]["grossPrice"] == 11.9


def test_stale_version_is_409(sandbox_http):
    aid = sandbox_http.post("/v1/articles", json=ARTICLE).json()["id"]
    a = sandbox_http.get(f"/v1/articles/{aid}").json()
    a["title"] = "Neu"
    assert sandbox_http.put(f"/v1/articles/{aid}", json=a).status_code == 200
    r = sandbox_http.put(f"/v1/articles/{aid}", json=a)
    assert r.status_code == 409
    assert r.json()["status"] == 409 and "details" in r.json()


def test_validation_uses_details_body(sandbox_http):
    r = sandbox_http.post("/v1/articles", json={**ARTICLE, "price": {"leadingPrice": "NET", "taxRate": 16}})
    assert r.status_code == 406
    fields = {d["field"] for d in r.json()["details"]}
    assert {"price.taxRate", "price.netPrice"} <= fields


def test_list_size_limits_and_delete(sandbox_http):
    aid = sandbox_http.post("/v1/articles", json=ARTICLE).json()["id"]
    assert sandbox_http.get("/v1/articles", params={"size": 10}).status_code == 400
    assert sandbox_http.get("/v1/articles", params={"size": 300}).status_code == 400
    assert sandbox_http.get("/v1/articles", params={"type": "SERVICE"}).json()["totalElements"] == 1
    assert sandbox_http.delete(f"/v1/articles/{aid}").status_code == 204
    assert sandbox_http.get(f"/v1/articles/{aid}").status_code == 404
    assert sandbox_http.delete(f"/v1/articles/{aid}").status_code == 404
