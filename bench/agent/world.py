"""One task's world: a fresh in-process Lexware sandbox with a small company's books, and its own audit trail and
approvals store (a SQLite file), made the process's database while the task runs.

Everything is seeded through the provider interface and the sandbox's control levers, never through `run()`, so
the audit trail holds only the solver's calls. Dates are relative to the sandbox's today (the clock is real time):
an invoice "overdue 36 days" is overdue 36 days whenever the suite runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson

from lexflow.audit import AuditTrail, shared_trail
from lexflow.core.models import Address, CustomerDraft, ExpenseDraft, ExpenseItemDraft, InvoiceDraft, Receipt
from lexflow.core.provider import Provider
from lexflow.lexware.client import LexwareClient
from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app
from lexflow.lexware.sandbox.documents import TYPES, VOUCHER_KIND
from lexflow.providers import get_provider
from lexflow.testing.sandbox_control import SandboxControl
from lexflow.transport.bridge import SyncASGITransport

BASE_URL = "http://sandbox.test"
KINDS = ("contacts", *TYPES, VOUCHER_KIND)
RECEIPT_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    """The sandbox, a client on it, the ids of what was seeded (by label) and the task's database."""

    app: Any
    client: LexwareClient
    control: SandboxControl
    db_url: str
    ids: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    seeded: dict[tuple[str, str], bytes] = field(default_factory=dict)

    @property
    def state(self) -> Any:
        return self.app.state.sandbox

    @property
    def provider(self) -> Provider:
        return get_provider(self.client)

    @property
    def today(self) -> date:
        return self.state.clock.today()

    def day(self, offset: int) -> date:
        """Today plus `offset` days (negative: in the past)."""
        return self.today + timedelta(days=offset)

    @property
    def org(self) -> str:
        return self.state.store.organizations("contacts")[0]

    def label_of(self, id_: str) -> str | None:
        return next((label for label, i in self.ids.items() if i == id_), None)

    def trail(self) -> AuditTrail:
        """The task's audit trail (the one `run()` writes to while the world is open)."""
        return shared_trail(self.db_url)

    def docs(self, kind: str) -> list[dict[str, Any]]:
        return self.state.store.all(self.org, kind)

    def snapshot(self) -> dict[tuple[str, str], bytes]:
        """Every stored document by (kind, id), as canonical JSON."""
        return {
            (kind, doc["id"]): orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
            for kind in KINDS
            for doc in self.docs(kind)
        }

    def vars(self) -> dict[str, str]:
        """What a prompt may name: seeded invoice numbers by label, and dates (`d0` today, `d-4` four days ago)."""
        days = {f"d{n}": self.day(n).isoformat() for n in range(-90, 31)}
        return {**self.numbers, **days}

    # ------------------------------------------------------------------------------------------------ seeding
    def customer(self, label: str, name: str, email: str | None, **kw: Any) -> str:
        c = self.provider.create_customer(CustomerDraft(name=name, email=email, **kw))
        self.ids[label] = c.id
        return c.id

    def invoice(
        self,
        label: str,
        customer: str,
        issued: int,
        term: int,
        net: str,
        item: str = "Beratung",
        reference: str | None = None,
        finalize: bool = True,
    ) -> str:
        draft = InvoiceDraft(
            customer_id=self.ids[customer],
            issue_date=self.day(issued),
            payment_term_days=term,
            lines=[{"name": item, "quantity": 1, "unit_price": Decimal(net), "tax": "standard"}],  # type: ignore[list-item]
            reference=reference,
            finalize=finalize,
        )
        inv = self.provider.create_invoice(draft)
        self.ids[label], self.numbers[label] = inv.id, inv.number or ""
        return inv.id

    def expense(self, label: str, supplier: str, number: str, issued: int, gross: str, tax: str, category: str) -> str:
        draft = ExpenseDraft(
            supplier_name=supplier,
            number=number,
            issue_date=self.day(issued),
            items=[ExpenseItemDraft(amount=Decimal(gross), tax=tax, category=category)],
            receipt=Receipt(filename=f"{number}.pdf", content=RECEIPT_PDF),
        )
        self.ids[label] = self.provider.create_expense(draft).id
        return self.ids[label]

    def pay(self, label: str, amount: str) -> None:
        """A payment assigned in the web app (the API cannot): the sandbox's UI lever."""
        self.state.assign_payment(self.org, self.ids[label], Decimal(amount), "bank", self.day(-1))


def seed_company(world: World) -> None:
    """The books every task starts from: four customers, five final invoices (three overdue, one paid), a draft."""
    world.customer("acme", "ACME GmbH", "billing@acme.example",
                   address=Address(street="Friedrichstraße 1", zip="10117", city="Berlin"))  # fmt: skip
    world.customer("muster", "Muster GmbH", "info@muster.example")
    world.customer("beispiel", "Beispiel AG", "kontakt@beispiel.example")
    world.customer("nordlicht", "Nordlicht KG", "office@nordlicht.example")
    world.invoice("inv_a", "acme", issued=-50, term=14, net="1000.00")  # due -36: 36 days overdue, 1190.00
    world.invoice("inv_b", "acme", issued=-10, term=30, net="500.00", item="Software-Einrichtung",
                  reference="ORDER-2026-0042")  # fmt: skip  # not due, 595.00
    world.invoice("inv_c", "muster", issued=-40, term=14, net="200.00", item="Support")  # 26 days overdue, 238.00
    world.invoice("inv_d", "beispiel", issued=-70, term=30, net="2000.00", item="Workshop")  # 40 overdue, 2380.00
    world.invoice("inv_e", "nordlicht", issued=-20, term=14, net="400.00", item="Wartung")  # paid, 476.00
    world.pay("inv_e", "476.00")
    world.invoice("inv_f", "muster", issued=-2, term=14, net="100.00", item="Support", finalize=False)  # draft


@contextmanager
def open_world(tmp: Path, seed: Callable[[World], None] | None = None, files: tuple[str, ...] = ()) -> Iterator[World]:
    """A fresh world in `tmp`: the process's database is its SQLite file and the inbox folder (`LEXFLOW_INBOX_DIR`)
    holds the receipt `files` the person attached, while it is open."""
    app = create_app(SandboxConfig(rate_limit=0, ocr_delay_seconds=None, base_url=BASE_URL))
    transport = SyncASGITransport(app)
    client = LexwareClient(api_key=DEFAULT_API_KEY, base_url=BASE_URL, rate_limit=0, transport=transport)
    http = httpx.Client(transport=transport, base_url=BASE_URL)
    inbox = tmp / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for name in files:
        (inbox / name).write_bytes(RECEIPT_PDF)
    world = World(
        app=app, client=client, control=SandboxControl(http, DEFAULT_API_KEY), db_url=f"sqlite:///{tmp}/lexflow.db"
    )
    with _environment(
        {"LEXFLOW_DATABASE_URL": world.db_url, "LEXFLOW_SLACK_DATABASE_URL": None, "LEXFLOW_INBOX_DIR": str(inbox)}
    ):
        try:
            seed_company(world)
            if seed is not None:
                seed(world)
            world.seeded = world.snapshot()
            yield world
        finally:
            client.close()
            http.close()
            transport.close()


@contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    """The task's own database and inbox while it runs (None: unset); the previous values restored afterwards."""
    from lexflow.settings import get_settings

    saved = {n: os.environ.get(n) for n in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
