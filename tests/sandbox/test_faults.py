"""Fault injection over real sockets: 504 after commit, dropped connections, 429 bursts, 5xx, latency, reset."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from .helpers import company_contact


@pytest.fixture
def served(served_sandbox: Any) -> Any:
    served_sandbox.reset()
    return served_sandbox


def _http(served: Any) -> httpx.Client:
    return httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {served.api_key}"}, timeout=10)


def test_504_after_commit_really_committed(served: Any) -> None:
    served.control.faults(route="POST /v1/contacts", kind="504_after_commit", count=1)
    with _http(served) as http:
        r = http.post("/v1/contacts", json=company_contact("Zeitüberschreitung KG"))
        assert r.status_code == 504 and r.json() == {"message": "Endpoint request timed out"}
        found = http.get("/v1/contacts", params={"name": "Zeitüberschreitung"}).json()
        assert found["totalElements"] == 1  # the write happened although the client saw a timeout
        assert http.post("/v1/contacts", json=company_contact("Zweiter Versuch KG")).status_code == 200


def test_drop_closes_the_connection_without_a_response(served: Any) -> None:
    served.control.faults(route="GET /v1/profile", kind="drop", count=1)
    with _http(served) as http:
        with pytest.raises(httpx.TransportError):
            http.get("/v1/profile")
        assert http.get("/v1/profile").status_code == 200


def test_429_burst_and_5xx_have_no_side_effect(served: Any) -> None:
    control = served.control
    control.faults(route="POST /v1/contacts", kind="429", count=3)
    control.faults(route="GET /v1/contacts/{id}", kind="503", count=1)
    with _http(served) as http:
        codes = [http.post("/v1/contacts", json=company_contact(f"Firma {i} GmbH")).status_code for i in range(4)]
        assert codes == [429, 429, 429, 200]
        listed = http.get("/v1/contacts").json()
        assert listed["totalElements"] == 1
        cid = listed["content"][0]["id"]
        assert http.get(f"/v1/contacts/{cid}").status_code == 503
        assert http.get(f"/v1/contacts/{cid}").status_code == 200
    rules = control.list_faults()["content"]
    assert [r["fired"] for r in rules] == [3, 1]


def test_probability_is_reproducible_by_seed_and_reset_clears(served: Any) -> None:
    def pattern(seed: int) -> list[int]:
        served.control.clear_faults()
        served.control.faults(route="GET /v1/profile", kind="500", count=100, probability=0.5, seed=seed)
        with _http(served) as http:
            return [http.get("/v1/profile").status_code for _ in range(12)]

    first, again, other = pattern(5), pattern(5), pattern(6)
    assert first == again and first != other and {500, 200} == set(first)
    served.control.reset()
    with _http(served) as http:
        assert http.get("/v1/profile").status_code == 200
    assert served.control.list_faults()["content"] == []


def test_latency(served: Any) -> None:
    served.control.faults(route="GET /v1/profile", kind="latency", latency_ms=300)
    with _http(served) as http:
        started = time.perf_counter()
        assert http.get("/v1/profile").status_code == 200
        assert time.perf_counter() - started >= 0.3


def test_rules_are_validated(served: Any) -> None:
    from lexflow.testing.sandbox_control import SandboxControlError

    with pytest.raises(SandboxControlError) as err:
        served.control.faults(route="POST /_sandbox/reset", kind="500")
    assert err.value.status == 400 and "route" in str(err.value.body["details"])


def test_drop_in_process_raises_what_httpx_raises_for_a_dropped_connection() -> None:
    from starlette.testclient import TestClient

    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    app = create_app(SandboxConfig(rate_limit=0))
    with TestClient(app, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http:
        assert http.post("/_sandbox/faults", json={"route": "GET /v1/profile", "kind": "drop"}).status_code == 201
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/v1/profile")
        assert http.get("/v1/profile").status_code == 200
