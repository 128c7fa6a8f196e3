"""One served QuickBooks sandbox for the whole session (real HTTP over a socket); tests use their own customers."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lexflow.quickbooks.client import QuickBooksClient, QuickBooksSettings, connect_sandbox
from lexflow.quickbooks.sandbox import QuickBooksSandboxConfig, ServedQuickBooks, serve_in_thread

_names = itertools.count(1)


def unique(prefix: str = "Customer") -> str:
    return f"{prefix} {next(_names)}"


@pytest.fixture(scope="session")
def qbo() -> Iterator[ServedQuickBooks]:
    config = QuickBooksSandboxConfig(
        realms=["9341452347298547", "4620816365187345210"],
        requests_per_minute=0,
        requests_per_second=0,
        hang_seconds=1.0,
    )
    with serve_in_thread(config) as served:
        yield served


class Api:
    """Raw HTTP against the sandbox with a token, for conformance tests."""

    def __init__(self, served: ServedQuickBooks, realm: str | None = None) -> None:
        self.served = served
        self.realm = realm or served.realm
        self.token = served.control("connect", realm=self.realm)["access_token"]
        self.http = httpx.Client(base_url=f"{served.url}/v3/company/{self.realm}", timeout=10)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params={"minorversion": 75, **params}, headers=self.headers())

    def post(self, path: str, body: Any, **params: Any) -> httpx.Response:
        return self.http.post(path, params={"minorversion": 75, **params}, json=body, headers=self.headers())

    def query(self, text: str) -> httpx.Response:
        return self.get("/query", query=text)

    def customer(self, **fields: Any) -> dict[str, Any]:
        r = self.post("/customer", {"DisplayName": unique(), **fields})
        assert r.status_code == 200, r.text
        return dict(r.json()["Customer"])

    def invoice(self, customer_id: str, amount: float = 100.0, **fields: Any) -> dict[str, Any]:
        line = {
            "Amount": amount,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": amount},
        }
        r = self.post("/invoice", {"CustomerRef": {"value": customer_id}, "Line": [line], **fields})
        assert r.status_code == 200, r.text
        return dict(r.json()["Invoice"])


@pytest.fixture(scope="session")
def api(qbo: ServedQuickBooks) -> Api:
    return Api(qbo)


def fault_code(response: httpx.Response) -> str:
    return str(response.json()["Fault"]["Error"][0]["code"])


@pytest.fixture
def client(qbo: ServedQuickBooks) -> Iterator[QuickBooksClient]:
    settings = QuickBooksSettings(throttle_wait_seconds=0, timeout_seconds=0.5, max_retries=2, requests_per_minute=0)
    with connect_sandbox(qbo, settings) as c:
        yield c
