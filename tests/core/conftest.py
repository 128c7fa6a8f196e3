"""A `world` per provider with a built adapter: the adapter over its in-process sandbox, plus the sandbox's UI-only
moves a contract test needs (a person assigning a payment where the API cannot record one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from lexflow.core.provider import Provider
from lexflow.providers import built


@dataclass
class World:
    provider: Provider
    pay: Callable[[str, Decimal], None]
    """Money received for an invoice, however this provider learns of it."""


def _lexware(sandbox_app, sandbox_client) -> Iterator[World]:
    from starlette.testclient import TestClient

    from lexflow.lexware.adapter import LexwareAdapter
    from lexflow.sandbox import DEFAULT_API_KEY
    from lexflow.sandbox.control_client import SandboxControl

    with TestClient(sandbox_app, base_url="http://sandbox.test") as http:
        control = SandboxControl(http, DEFAULT_API_KEY)
        yield World(
            provider=LexwareAdapter(sandbox_client),
            pay=lambda invoice_id, amount: control.assign_payment(invoice_id, amount=str(amount)) and None,
        )


WORLDS = {"lexware": _lexware}


@pytest.fixture(params=built())
def world(request, sandbox_app, sandbox_client) -> Iterator[World]:
    yield from WORLDS[request.param](sandbox_app, sandbox_client)
