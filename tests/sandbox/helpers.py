"""Request bodies shared by the conformance modules."""

from __future__ import annotations

from typing import Any

TS = "2026-03-02T00:00:00.000+01:00"


def company_contact(name: str = "Müller & Söhne GmbH", **extra: Any) -> dict[str, Any]:
    body = {
        "version": 0,
        "roles": {"customer": {}},
        "company": {"name": name},
        "addresses": {
            "billing": [{"street": "Lindenstraße 5", "zip": "80331", "city": "München", "countryCode": "DE"}]
        },
        "emailAddresses": {"business": ["rechnung@mueller-soehne.de"]},
    }
    body.update(extra)
    return body


def line(net: float = 100.0, qty: float = 1, rate: int = 19, **extra: Any) -> dict[str, Any]:
    item = {
        "type": "custom",
        "name": "Beratung",
        "quantity": qty,
        "unitName": "Stunde",
        "unitPrice": {"currency": "EUR", "netAmount": net, "taxRatePercentage": rate},
    }
    item.update(extra)
    return item


def invoice_body(
    contact_id: str | None = None, items: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    address: dict[str, Any] = (
        {"contactId": contact_id} if contact_id else {"name": "Laufkundschaft", "countryCode": "DE"}
    )
    body = {
        "voucherDate": TS,
        "address": address,
        "lineItems": items or [line()],
        "totalPrice": {"currency": "EUR"},
        "taxConditions": {"taxType": "net"},
        "shippingConditions": {"shippingType": "delivery", "shippingDate": TS},
    }
    body.update(extra)
    return body


def create(http: Any, path: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    r = http.post(path, json=body, params=params)
    assert r.status_code in (200, 201), r.text
    return http.get(f"{path}/{r.json()['id']}").json()
