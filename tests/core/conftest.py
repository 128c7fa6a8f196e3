"""A `world` per provider with a built adapter: the adapter over its sandbox, plus how money received reaches the
invoice (a person assigning it in the web app where the API cannot record a payment, `record_payment` where it can)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from lexflow.core.provider import Provider
from lexflow.providers import built


@dataclass
class World:
    provider: Provider
    pay: Callable[[str, Decimal], None]
    """Money received for an invoice, however this provider learns of it."""


def _lexware(request: pytest.FixtureRequest) -> Iterator[World]:
    from starlette.testclient import TestClient

    from lexflow.lexware.adapter import LexwareAdapter
    from lexflow.sandbox import DEFAULT_API_KEY
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

    yield World(provider=provider, pay=pay)


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
