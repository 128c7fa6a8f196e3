"""The sandbox's state: one object shared by the API routes and the extension modules.

Extension points (stable names; the control, OAuth, webhook, fault and seed modules rely on them):

- `state.config`: the `SandboxConfig`.
- `state.store`: the `Store` (documents by organisation/kind/id, blobs, meta); write through `store.put`.
- `state.clock`: `now()` (aware, Europe/Berlin), `today()`, `advance(days=..)`, `offset_days` -- the sandbox's "today".
- `state.events`: `subscribe(callback)`; every change calls `callback(SandboxEvent)` synchronously, in order.
  `state.emit(org_id, event_type, resource_id)` publishes one (event types: docs/lexware.md#event-types).
- `state.keys`: `KeyRegistry` -- `lookup(key) -> ApiKey | None`, `add(key, organization_id, scopes, kind)`,
  `revoke(key)`; `state.revoke_key(key)` also notifies `state.keys.on_revoke` listeners (subscriptions die with a key).
- `state.organizations`: organisation id -> `Organization` (profile data).
- UI-only actions the public API cannot do (used by the control API): `assign_payment`, `void`, `accept_quotation`,
  `reject_quotation`, `delete_draft`, `finish_ocr`, `insert_document` (seed read-only resources), `reset`.
- `state.on_reset`: callables run (under the lock) at the end of every `reset()`, whoever calls it (the control
  API's `POST /_sandbox/reset`, `ServedSandbox.reset()`, tests). Components that keep state derived from the sandbox
  outside the store (webhook queue, fault rules, OAuth codes and tokens, rate-limit buckets) register here.
- `state.tick()`: runs due background work (reload after another process wrote the SQLite file, automatic OCR);
  called before each API request. `state.clock.on_advance` listeners run after each advance (recurring templates).

Store kinds: `contacts`, `articles`, `vouchers`, `files`, `recurring-templates` and the sales collections as in
their URLs (`invoices`, `credit-notes`, `order-confirmations`, `quotations`, `delivery-notes`, `dunnings`,
`down-payment-invoices`). Payments live on the document (`_payments`), see `lexflow.lexware.sandbox.domain`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from lexflow.lexware.sandbox import domain
from lexflow.lexware.sandbox.config import ALL_SCOPES, DEFAULT_ORGANIZATION_ID, ApiKeySpec, SandboxConfig
from lexflow.lexware.sandbox.errors import BERLIN
from lexflow.sandbox.store import Doc, Store


def stamp(dt: datetime) -> str:
    """The API's timestamp format: milliseconds and a colon offset, Berlin time."""
    return dt.astimezone(BERLIN).isoformat(timespec="milliseconds")


class Clock:
    """Real time shifted by a number of days the control API can advance (persisted in the store)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.on_advance: list[Callable[[], object]] = []  # run after every advance (recurring templates ...)

    @property
    def offset_days(self) -> int:
        return int(self._store.meta("clock_offset_days", 0))

    def now(self) -> datetime:
        return datetime.now(BERLIN) + timedelta(days=self.offset_days)

    def today(self) -> date:
        return self.now().date()

    def stamp(self) -> str:
        return stamp(self.now())

    def advance(self, days: int = 0) -> datetime:
        self._store.set_meta("clock_offset_days", self.offset_days + int(days))
        for listener in list(self.on_advance):
            listener()
        return self.now()


@dataclass(frozen=True)
class SandboxEvent:
    organization_id: str
    event_type: str
    resource_id: str
    event_date: str

    def payload(self) -> dict[str, str]:
        """The webhook body (docs/lexware.md#webhook-payload)."""
        return {
            "organizationId": self.organization_id,
            "eventType": self.event_type,
            "resourceId": self.resource_id,
            "eventDate": self.event_date,
        }


class EventBus:
    """Synchronous fan-out of change events; subscribers must be quick (queue work, do not deliver inline)."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[SandboxEvent], None]] = []
        self.history: list[SandboxEvent] = []  # bounded; handy for tests and the control API
        self.history_limit = 1000

    def subscribe(self, callback: Callable[[SandboxEvent], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def publish(self, event: SandboxEvent) -> None:
        self.history.append(event)
        if len(self.history) > self.history_limit:
            del self.history[: len(self.history) - self.history_limit]
        for callback in list(self._subscribers):
            callback(event)


@dataclass
class ApiKey:
    key: str
    organization_id: str
    scopes: frozenset[str]
    kind: str = "api_key"  # "api_key" | "oauth" (partner tokens may hold transaction-assignment-hint.write)
    revoked: bool = False


class KeyRegistry:
    """API key -> organisation and scopes. Revocations are persisted in the store's meta."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._keys: dict[str, ApiKey] = {}
        self.on_revoke: list[Callable[[ApiKey], None]] = []

    def add(
        self,
        key: str,
        organization_id: str = DEFAULT_ORGANIZATION_ID,
        scopes: frozenset[str] | set[str] | None = None,
        kind: str = "api_key",
    ) -> ApiKey:
        entry = ApiKey(key, organization_id, frozenset(ALL_SCOPES if scopes is None else scopes), kind)
        entry.revoked = key in set(self._store.meta("revoked_keys", []))
        self._keys[key] = entry
        return entry

    def lookup(self, key: str) -> ApiKey | None:
        entry = self._keys.get(key)
        return entry if entry is not None and not entry.revoked else None

    def all(self) -> list[ApiKey]:
        return list(self._keys.values())

    def revoke(self, key: str) -> ApiKey | None:
        entry = self._keys.get(key)
        if entry is None or entry.revoked:
            return None
        entry.revoked = True
        self._store.set_meta("revoked_keys", [*self._store.meta("revoked_keys", []), key])
        for listener in list(self.on_revoke):
            listener(entry)
        return entry

    def remove(self, key: str) -> None:
        """Forget a key entirely (OAuth tokens after a reset); unknown keys are ignored."""
        self._keys.pop(key, None)

    def restore_all(self) -> None:
        for entry in self._keys.values():
            entry.revoked = False


@dataclass
class Organization:
    """Company data behind /v1/profile (and the PDF letterhead)."""

    id: str
    company_name: str = "Muster Handwerk GmbH"
    street: str = "Hauptstraße 12"
    zip: str = "10115"
    city: str = "Berlin"
    country_code: str = "DE"
    phone: str = "+49 30 1234567"
    email: str = "buchhaltung@muster-handwerk.de"
    tax_number: str = "30/123/45678"
    vat_registration_id: str = "DE123456789"
    iban: str = "DE89370400440532013000"
    bic: str = "COBADEFFXXX"
    bank_name: str = "Commerzbank Berlin"
    tax_type: str = "net"
    small_business: bool = False
    distance_sales_principle: str = "ORIGIN"
    connection_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    user_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    user_name: str = "Erika Mustermann"
    user_email: str = "erika.mustermann@muster-handwerk.de"
    created: str = "2021-03-01T09:12:44.000+01:00"


class SandboxState:
    """See the module docstring for the extension points."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.db_path)
        self.clock = Clock(self.store)
        self.events = EventBus()
        self.keys = KeyRegistry(self.store)
        self.organizations: dict[str, Organization] = {}
        self.lock = threading.RLock()
        self.on_reset: list[Callable[[], object]] = []
        self._pending_ocr: dict[tuple[str, str], float] = {}  # (org, voucher id) -> wall-clock deadline
        self.keys.add(config.api_key, DEFAULT_ORGANIZATION_ID, None)
        for spec in config.api_keys:
            self._add_spec(spec)
        for entry in self.keys.all():
            self.organization(entry.organization_id)
        self.clock.on_advance.append(self.run_recurring_templates)
        self._load_pending_ocr()

    def _load_pending_ocr(self) -> None:
        """Uploads still in OCR (after a restart, or written by another process)."""
        self._pending_ocr.clear()
        for org in self.store.organizations("vouchers"):
            for doc in self.store.iter(org, "vouchers"):
                if doc.get("voucherStatus") == "blank" and doc.get("_ocrDue") is not None:
                    self._pending_ocr[(org, doc["id"])] = float(doc["_ocrDue"])

    def _add_spec(self, spec: ApiKeySpec) -> None:
        self.keys.add(spec.key, spec.organization_id, spec.scopes, spec.kind)

    def organization(self, org_id: str) -> Organization:
        org = self.organizations.get(org_id)
        if org is None:
            org = Organization(
                id=org_id,
                connection_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"lexflow-sandbox:{org_id}:connection")),
                user_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"lexflow-sandbox:{org_id}:user")),
            )
            if org_id != DEFAULT_ORGANIZATION_ID:
                org.company_name = f"Sandbox Organisation {org_id[:8]}"
            self.organizations[org_id] = org
        return org

    # events ----------------------------------------------------------------------------------------------------
    def emit(self, org_id: str, event_type: str, resource_id: str) -> SandboxEvent:
        event = SandboxEvent(org_id, event_type, resource_id, self.clock.stamp())
        self.events.publish(event)
        return event

    # keys ------------------------------------------------------------------------------------------------------
    def revoke_key(self, key: str) -> bool:
        """Invalidate a key (401 from then on); listeners drop its event subscriptions."""
        return self.keys.revoke(key) is not None

    # background work -------------------------------------------------------------------------------------------
    def tick(self) -> None:
        """Pick up writes of other processes on the same SQLite file; finish uploads whose OCR delay has passed."""
        if self.store.refresh():
            self._load_pending_ocr()
        if not self._pending_ocr:
            return
        now = time.time()
        for (org, voucher_id), deadline in list(self._pending_ocr.items()):
            if deadline <= now:
                self.finish_ocr(org, voucher_id)

    def schedule_ocr(self, org: str, voucher_id: str) -> None:
        """Plan the automatic blank -> unchecked step (persisted on the voucher, so a restart keeps it)."""
        doc = self.store.get(org, "vouchers", voucher_id)
        if self.config.ocr_delay_seconds is None or doc is None:
            self._pending_ocr.pop((org, voucher_id), None)
            return
        due = time.time() + self.config.ocr_delay_seconds
        doc["_ocrDue"] = due
        self.store.put(org, "vouchers", doc)
        self._pending_ocr[(org, voucher_id)] = due

    # UI-only actions (implemented in lexflow.lexware.sandbox.domain) ---------------------------------------------------
    def finish_ocr(self, org: str, voucher_or_file_id: str, **fields: Any) -> Doc:
        """Move an uploaded voucher from `blank` to `unchecked`, optionally with recognised fields
        (voucherNumber, voucherDate, totalGrossAmount, totalTaxAmount, type, contactName ...). Emits voucher.created."""
        with self.lock:
            return domain.finish_ocr(self, org, voucher_or_file_id, fields)

    def assign_payment(
        self, org: str, voucher_id: str, amount: Decimal | float | str, kind: str = "bank", on: date | None = None
    ) -> Doc:
        """Assign a payment in the 'UI': kind bank|manual|cashDiscount|cashBox|irrecoverable (or a paymentItemType).
        Updates open amount and status (paid/paidoff) and emits payment.changed (+ status.changed)."""
        with self.lock:
            return domain.assign_payment(self, org, voucher_id, Decimal(str(amount)), kind, on)

    def void(self, org: str, voucher_id: str) -> Doc:
        """Cancel ('Stornieren') an invoice, credit note, down payment invoice or bookkeeping voucher."""
        with self.lock:
            return domain.void(self, org, voucher_id)

    def accept_quotation(self, org: str, quotation_id: str) -> Doc:
        with self.lock:
            return domain.set_quotation_status(self, org, quotation_id, "accepted")

    def reject_quotation(self, org: str, quotation_id: str) -> Doc:
        with self.lock:
            return domain.set_quotation_status(self, org, quotation_id, "rejected")

    def delete_draft(self, org: str, kind: str, doc_id: str) -> None:
        """Delete a draft sales document (kind as in the URL: invoices, credit-notes, ...). Emits <type>.deleted."""
        with self.lock:
            domain.delete_draft(self, org, kind, doc_id)

    def insert_document(self, org: str, kind: str, doc: Doc, emit: bool = False) -> Doc:
        """Store a document as the UI would have created it (seed data, down payment invoices, recurring
        templates). Fills id/organizationId/dates/version when missing."""
        with self.lock:
            return domain.insert_document(self, org, kind, doc, emit)

    def run_recurring_templates(self) -> list[Doc]:
        """Generate the invoices of every active recurring template due by the sandbox's today (as the nightly
        job does); called after each clock advance. Returns the new invoices."""
        with self.lock:
            return domain.run_recurring_templates(self)

    def reset(self) -> None:
        """Empty every organisation, rewind the clock, un-revoke configured keys, then run the `on_reset` hooks."""
        with self.lock:
            self.store.clear()
            self._pending_ocr.clear()
            self.keys.restore_all()
            self.events.history.clear()
            for listener in list(self.on_reset):
                listener()
