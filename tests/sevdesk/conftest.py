"""sevDesk fixtures over the session's served sandbox (`sevdesk_served`, tests/conftest.py), reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from lexflow.sevdesk.client import SevdeskClient
from lexflow.sevdesk.sandbox import ServedSevdesk
from lexflow.transport.retry import RetryPolicy


@pytest.fixture
def sevdesk(sevdesk_served: ServedSevdesk) -> ServedSevdesk:
    """The served sandbox, reset to a fresh account (one user, the Standard check account)."""
    sevdesk_served.reset()
    return sevdesk_served


@pytest.fixture
def api(sevdesk: ServedSevdesk) -> Iterator[httpx.Client]:
    """Raw HTTP on /api/v1 with the token, for conformance checks."""
    with httpx.Client(base_url=sevdesk.url, headers={"Authorization": sevdesk.token}, timeout=10) as http:
        yield http


@pytest.fixture
def control(sevdesk: ServedSevdesk) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=sevdesk.root + "/_sandbox", headers={"Authorization": sevdesk.token}, timeout=10
    ) as http:
        yield http


@pytest.fixture
def client(sevdesk: ServedSevdesk) -> Iterator[SevdeskClient]:
    """lexflow's client on the served sandbox: no pacing, no settle delay, quick backoff."""
    retry = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05)
    with SevdeskClient(sevdesk.token, sevdesk.url, rate_limit=0, settle_delay=0, retry=retry, timeout=5) as c:
        yield c


def ref(id_: object, name: str) -> dict[str, object]:
    return {"id": int(str(id_)), "objectName": name}


def new_contact(api: httpx.Client, name: str = "Acme GmbH", **extra: object) -> dict[str, object]:
    body = {"name": name, "category": ref(3, "Category"), "status": 1000, **extra}
    response = api.post("/Contact", json=body)
    assert response.status_code == 201, response.text
    return response.json()["objects"]  # type: ignore[no-any-return]


def user_id(api: httpx.Client) -> int:
    return int(api.get("/SevUser").json()["objects"][0]["id"])


def draft_body(
    api: httpx.Client, contact_id: object, *, rule: int = 1, rate: float = 19, note: str | None = None
) -> dict:
    return {
        "invoice": {
            "objectName": "Invoice",
            "mapAll": True,
            "contact": ref(contact_id, "Contact"),
            "contactPerson": ref(user_id(api), "SevUser"),
            "invoiceDate": "02.03.2026",
            "status": 100,
            "invoiceType": "RE",
            "currency": "EUR",
            "timeToPay": 14,
            "taxRule": ref(rule, "TaxRule"),
            "taxRate": 0,
            "taxText": "Umsatzsteuer",
            "taxType": "default",
            "showNet": True,
            "header": "Rechnung",
            "customerInternalNote": note,
        },
        "invoicePosSave": [
            {
                "objectName": "InvoicePos",
                "mapAll": True,
                "quantity": 10,
                "price": 120.0,
                "name": "Beratung Februar",
                "unity": ref(1, "Unity"),
                "taxRate": rate,
            }
        ],
        "takeDefaultAddress": True,
    }


def new_invoice(api: httpx.Client, contact_id: object | None = None, **kw: object) -> dict:
    if contact_id is None:
        contact_id = new_contact(api)["id"]
    response = api.post("/Invoice/Factory/saveInvoice", json=draft_body(api, contact_id, **kw))  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    return response.json()["objects"]["invoice"]  # type: ignore[no-any-return]


def get(api: httpx.Client, path: str) -> dict:
    response = api.get(path)
    assert response.status_code == 200, response.text
    objects = response.json()["objects"]
    return objects[0] if isinstance(objects, list) else objects  # type: ignore[no-any-return]
