"""One served Xero sandbox per session; each test starts from an empty, reset one with Xero's default limits."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from lexflow.transport.limits import rate_limit_dir
from lexflow.transport.retry import RetryPolicy
from lexflow.xero.client import XeroClient, XeroOAuth, authorise_programmatically, sandbox_settings, xero_limiter
from lexflow.xero.sandbox import ServedXeroSandbox, serve_xero_in_thread
from lexflow.xero.sandbox.config import DEFAULT_TENANTS, XeroSandboxConfig

TENANT_A = DEFAULT_TENANTS[0].tenant_id
TENANT_B = DEFAULT_TENANTS[1].tenant_id
ALL = "openid offline_access accounting.transactions accounting.contacts accounting.settings accounting.attachments"
FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05)


@pytest.fixture(scope="session")
def served_xero() -> Iterator[ServedXeroSandbox]:
    with serve_xero_in_thread() as sandbox:
        yield sandbox


@pytest.fixture
def xero(served_xero: ServedXeroSandbox) -> ServedXeroSandbox:
    served_xero.reset()
    served_xero.state.config = XeroSandboxConfig()
    served_xero.state.books.email_daily_limit = served_xero.state.config.email_daily_limit
    return served_xero


class Api:
    """Raw HTTP against the sandbox, as a Xero app would speak it (for the conformance suite)."""

    def __init__(self, sandbox: ServedXeroSandbox, scope: str = ALL, tenants: str | None = None) -> None:
        self.sandbox = sandbox
        self.http = httpx.Client(base_url=sandbox.url, timeout=10)
        self.tokens = self.authorise(scope, tenants)
        self.tenant = TENANT_A

    def basic(self) -> dict[str, str]:
        cfg = self.sandbox.config
        raw = f"{cfg.client_id}:{cfg.client_secret.get_secret_value()}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def code(self, scope: str, tenants: str | None = None) -> str:
        params = {
            "response_type": "code",
            "client_id": self.sandbox.config.client_id,
            "scope": scope,
            "redirect_uri": "http://localhost/cb",
            "state": "s1",
        }
        if tenants:
            params["tenants"] = tenants
        answer = self.http.get("/identity/connect/authorize", params=params)
        assert answer.status_code == 302
        query = parse_qs(urlparse(answer.headers["location"]).query)
        assert query["state"] == ["s1"]
        return query["code"][0]

    def authorise(self, scope: str, tenants: str | None = None) -> dict[str, Any]:
        answer = self.token(
            {
                "grant_type": "authorization_code",
                "code": self.code(scope, tenants),
                "redirect_uri": "http://localhost/cb",
            }
        )
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def token(self, form: dict[str, str]) -> httpx.Response:
        return self.http.post("/connect/token", data=form, headers=self.basic())

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.tokens['access_token']}",
            "xero-tenant-id": self.tenant,
            "Accept": "application/json",
            **extra,
        }

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = self.headers(**kw.pop("headers", {}))
        return self.http.request(method, "/api.xro/2.0" + path, headers=headers, **kw)

    def control(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post("/_sandbox" + path, json=body or {})

    # shortcuts
    def contact(self, name: str = "Acme GmbH", **fields: Any) -> dict[str, Any]:
        answer = self.call("PUT", "/Contacts", json={"Contacts": [{"Name": name, **fields}]})
        assert answer.status_code == 200, answer.text
        return answer.json()["Contacts"][0]  # type: ignore[no-any-return]

    def invoice(self, contact_id: str, status: str = "AUTHORISED", **fields: Any) -> dict[str, Any]:
        body = {
            "Type": "ACCREC",
            "Contact": {"ContactID": contact_id},
            "Date": "2026-03-02",
            "DueDate": "2026-03-16",
            "Status": status,
            "LineItems": [
                {
                    "Description": "Consulting",
                    "Quantity": 10,
                    "UnitAmount": 120,
                    "AccountCode": "200",
                    "TaxType": "OUTPUT2",
                }
            ],
            **fields,
        }
        answer = self.call("PUT", "/Invoices", json={"Invoices": [body]})
        assert answer.status_code == 200, answer.text
        return answer.json()["Invoices"][0]  # type: ignore[no-any-return]


@pytest.fixture
def api(xero: ServedXeroSandbox) -> Iterator[Api]:
    a = Api(xero)
    yield a
    a.http.close()


def make_client(sandbox: ServedXeroSandbox, tenant: str = TENANT_A, timeout: float = 10, **settings: Any) -> XeroClient:
    oauth = XeroOAuth(sandbox_settings(sandbox.url, minute_limit=0, **settings), httpx.Client(timeout=timeout))
    authorise_programmatically(oauth)
    # a budget of its own per client (a fresh directory): the sandbox's counters are reset between tests too
    limiter = xero_limiter(oauth.settings, tenant, paced=False, directory=tempfile.mkdtemp(dir=rate_limit_dir()))
    return XeroClient(oauth, tenant, retry=FAST, limiter=limiter)


@pytest.fixture
def client(xero: ServedXeroSandbox) -> XeroClient:
    return make_client(xero)
