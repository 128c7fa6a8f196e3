"""A `world` per provider with a built adapter: the adapter over its sandbox, plus how money received reaches the
invoice (a person assigning it in the web app where the API cannot record a payment, `record_payment` where it can)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from lexflow.core.provider import Provider
from lexflow.providers import built


@dataclass
class World:
    provider: Provider
    pay: Callable[[str, Decimal], None]
    """Money received for an invoice, however this provider learns of it."""
    bank_line: Callable[[Decimal, str, str], str] | None = None
    """(amount, purpose, payer) → the id of a new line on the bank, where the API reads the bank's own lines."""


def sevdesk_bank_line(served: Any, amount: Decimal, purpose: str, payer: str = "Kunde") -> str:
    """A line imported into the sevDesk sandbox's file-import account (created as its seed does; the API cannot)."""
    import httpx

    if not any(a["type"] == "online" for a in served.state.all("CheckAccount")):
        served.state.create(
            "CheckAccount",
            {"name": "Geschäftskonto", "type": "online", "importType": "CSV", "currency": "EUR", "defaultAccount": "0",
             "status": "100", "iban": "DE89370400440532013000", "bic": None, "bankServer": None,
             "autoMapTransactions": "0", "lastSync": None, "accountingNumber": "1810"},
        )  # fmt: skip
    line = {"amount": str(amount), "paymtPurpose": purpose, "payeePayerName": payer}
    with httpx.Client(base_url=served.root + "/_sandbox", headers={"Authorization": served.token}) as control:
        response = control.post("/bank-import", json={"lines": [line]})
    assert response.status_code == 201, response.text
    return str(response.json()["transactions"][0]["transaction"])


def _lexware(request: pytest.FixtureRequest) -> Iterator[World]:
    from starlette.testclient import TestClient

    from lexflow.lexware.adapter import LexwareAdapter
    from lexflow.lexware.sandbox import DEFAULT_API_KEY
    from lexflow.testing.sandbox_control import SandboxControl

    sandbox_app, sandbox_client = request.getfixturevalue("sandbox_app"), request.getfixturevalue("sandbox_client")
    with TestClient(sandbox_app, base_url="http://sandbox.test") as http:
        control = SandboxControl(http, DEFAULT_API_KEY)
        yield World(
            provider=LexwareAdapter(sandbox_client),
            pay=lambda invoice_id, amount: control.assign_payment(invoice_id, amount=str(amount)) and None,
        )


def _sevdesk(request: pytest.FixtureRequest) -> Iterator[World]:
    from lexflow.core.models import PaymentDraft
    from lexflow.sevdesk.adapter import SevdeskAdapter

    provider = SevdeskAdapter(request.getfixturevalue("sevdesk_client"))

    def pay(invoice_id: str, amount: Decimal) -> None:
        provider.record_payment(PaymentDraft(invoice_id=invoice_id, amount=amount, paid_on=date.today()))

    served = request.getfixturevalue("sevdesk_served")
    yield World(
        provider=provider, pay=pay, bank_line=lambda a, purpose, payer: sevdesk_bank_line(served, a, purpose, payer)
    )


def _xero(request: pytest.FixtureRequest) -> Iterator[World]:
    from lexflow.core.models import PaymentDraft
    from tests.xero.support import sandbox_adapter

    provider = sandbox_adapter()

    def pay(invoice_id: str, amount: Decimal) -> None:
        provider.record_payment(PaymentDraft(invoice_id=invoice_id, amount=amount, paid_on=date.today()))

    yield World(provider=provider, pay=pay)


def _quickbooks(request: pytest.FixtureRequest) -> Iterator[World]:
    from lexflow.core.models import PaymentDraft
    from lexflow.quickbooks.adapter import QuickBooksAdapter

    provider = QuickBooksAdapter(request.getfixturevalue("quickbooks_client"))

    def pay(invoice_id: str, amount: Decimal) -> None:
        provider.record_payment(PaymentDraft(invoice_id=invoice_id, amount=amount, paid_on=date.today()))

    yield World(provider=provider, pay=pay)


WORLDS = {"lexware": _lexware, "sevdesk": _sevdesk, "xero": _xero, "quickbooks": _quickbooks}


@pytest.fixture(params=built())
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    yield from WORLDS[request.param](request)
