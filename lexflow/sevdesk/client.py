"""`SevdeskClient`: the sevDesk API v1 on lexflow's shared transport (rate limiter, retry matrix, write settling).

sevDesk has no idempotency keys, so no write is ever repeated blind: an unknown outcome (timeout, dropped
connection, 5xx) is settled by an exact lookup on a business key lexflow controls -- the invoice's
`customerInternalNote` (`lexflow:<key>`), the contact's customer number, the voucher's description, the payment
amount on the invoice -- and raised as `AmbiguousWrite` when the lookup cannot tell. `bookAmount` is a PUT but not
idempotent (twice = paid twice), so it is settled like a POST. With no token configured (`SEVDESK_API_TOKEN`),
`connect_sevdesk()` talks to the embedded sandbox in-process. See docs/sevdesk.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lexflow.sevdesk.capabilities import CAPABILITIES
from lexflow.sevdesk.models import (
    BUSINESS_KEY_PREFIX,
    BookingAccount,
    CheckAccount,
    CheckAccountTransaction,
    CommunicationWay,
    Contact,
    ContactAddress,
    Invoice,
    InvoiceDraft,
    InvoicePos,
    NewContact,
    NewVoucher,
    PaymentBooking,
    Pdf,
    SavedInvoice,
    SavedVoucher,
    SevUser,
    TempFile,
    Voucher,
    VoucherPos,
)
from lexflow.transport import errors
from lexflow.transport.base import Acquire, BaseClient, Call, Item, Op, Send, Sleep, Step
from lexflow.transport.limits import Limiter
from lexflow.transport.retry import RetryPolicy

__all__ = ["DEFAULT_BASE_URL", "SevdeskClient", "SevdeskSettings", "connect_sevdesk"]

DEFAULT_BASE_URL = "https://my.sevdesk.de/api/v1"
DEFAULT_RATE_LIMIT = CAPABILITIES.rate_limit.requests / CAPABILITIES.rate_limit.per_seconds
"""Requests/second (1). sevDesk publishes no limit and may block tokens that send many failing requests: stay low."""
USER_AGENT = "lexflow (sevDesk integration; +https://github.com/lexflow)"
PAGE_SIZE = 100
SANDBOX_ROOT = "http://sevdesk-sandbox.local"
M = TypeVar("M", bound=BaseModel)


class SevdeskSettings(BaseSettings):
    """sevDesk connection settings (environment variables `SEVDESK_*`, or `.env`). No token: the embedded sandbox."""

    model_config = SettingsConfigDict(env_prefix="SEVDESK_", env_file=".env", extra="ignore")

    api_token: SecretStr | None = Field(default=None, description="the raw 32-hex API token of a sevDesk admin user")
    base_url: str = DEFAULT_BASE_URL
    rate_limit: float = Field(default=DEFAULT_RATE_LIMIT, ge=0, le=50, description="requests/second; 0 = off")
    timeout: float = Field(default=30.0, gt=0, le=300)
    sandbox_db: Path | None = Field(
        default=Path(".lexflow/sevdesk-sandbox.db"), description="SQLite file of the embedded sandbox (None: memory)"
    )

    @field_validator("api_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        return checked_token(value, "SEVDESK_API_TOKEN")


def checked_token(value: SecretStr | None, name: str = "api_token") -> SecretStr | None:
    """The token stripped (None when empty), or a `ValueError` naming `name` when it is not sevDesk's 32 hex."""
    if value is None or not value.get_secret_value().strip():
        return None
    token = value.get_secret_value().strip()
    if token.lower().startswith("bearer "):
        raise ValueError(f"{name}: give the raw token without 'Bearer ' (sevDesk sends it bare)")
    if len(token) != 32 or any(c not in "0123456789abcdefABCDEF" for c in token):
        raise ValueError(f"{name} must be the 32 hexadecimal characters from sevDesk's user settings")
    return SecretStr(token)


class TokenAuth(httpx.Auth):
    """`Authorization: <token>`: the raw token, no `Bearer` (sevDesk)."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._token.get_secret_value()
        yield request


@dataclass
class SevdeskCall(Call):
    """A call whose retry class differs from its HTTP method: `wire_method` is sent, `method` decides retries
    (bookAmount is a PUT that must be settled like a POST). Call listeners see `method`; errors name `wire_method`."""

    wire_method: str | None = None


def encode_query(params: Mapping[str, Any] | None) -> str:
    """Plain URL encoding; brackets stay readable (`contact[id]=7`)."""
    parts = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        parts.append(f"{quote(key, safe='[]')}={quote(text, safe='')}")
    return "&".join(parts)


_HINTS = {
    400: "Fix the field named in the message (references need both 'id' and 'objectName')",
    401: "Check SEVDESK_API_TOKEN (the raw token of a sevDesk admin user; regenerating it invalidates the old "
    "one). Many failing requests can get a token blocked",
    403: "The sevDesk plan does not include API access for this (Buchhaltung Pro or higher is needed)",
    404: "Check the id",
    409: "The object is still referenced by other documents",
    422: "Tax rule, tax rate and booking account do not fit together (see ReceiptGuidance in docs/sevdesk.md)",
    429: "Slow down: lower SEVDESK_RATE_LIMIT",
    500: "A sevDesk server error; retry later",
    503: "sevDesk is temporarily unavailable; retry later",
}
_CLASSES: dict[int, type[errors.LexwareError]] = {
    400: errors.ValidationFailed,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    422: errors.ValidationFailed,
    429: errors.RateLimited,
}


def sevdesk_error(exc: errors.LexwareError) -> errors.LexwareError:
    """Re-read an error the shared transport raised with sevDesk's body shape and advice."""
    if isinstance(exc, errors.AmbiguousWrite | errors.InvalidRequest) or exc.status is None:
        return exc
    body = exc.body if isinstance(exc.body, dict) else {}
    detail: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else {}
    message = str(detail.get("message") or exc.message or f"HTTP {exc.status}")
    cls = _CLASSES.get(exc.status, errors.ServerError if exc.status >= 500 else errors.LexwareError)
    fields = {f.name: getattr(exc, f.name) for f in dataclasses.fields(exc)}
    fields.update(message=message, hint=_HINTS.get(exc.status, ""), issues=[])
    new = cls(**fields)
    if isinstance(new, errors.RateLimited):
        new.retry_after = getattr(exc, "retry_after", None)
    return new


class SevdeskClient(BaseClient):
    """Synchronous sevDesk client. Reads return typed models; every create is settled, never repeated blind."""

    def __init__(
        self,
        token: str | SecretStr,
        base_url: str = DEFAULT_BASE_URL,
        *,
        rate_limit: float = DEFAULT_RATE_LIMIT,
        transport: httpx.BaseTransport | None = None,
        limiter: Limiter | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        settle_delay: float = 1.0,
        max_in_flight: int | None = 2,
        backend_description: str | None = None,
    ) -> None:
        secret = SecretStr(token) if isinstance(token, str) else token
        digest = hashlib.sha256(secret.get_secret_value().encode()).hexdigest()
        super().__init__(
            base_url=base_url,
            api_key_digest_source=digest,
            rate_limit=rate_limit,
            limiter=limiter,
            retry=retry,
            settle_delay=settle_delay,
            allow_partner_endpoints=False,
            backend_description=backend_description or f"sevDesk API at {base_url.rstrip('/')}",
            max_in_flight=max_in_flight,
            provider="sevdesk",
        )
        self._http = httpx.Client(
            transport=transport, timeout=httpx.Timeout(timeout, connect=connect_timeout), auth=TokenAuth(secret)
        )
        self._closers: list[Callable[[], None]] = []
        self._user_id: int | None = None

    # -- I/O edges (the shared transport yields steps; this performs them)
    def build_request(self, call: Call) -> httpx.Request:
        query = encode_query(call.params)
        url = self.base_url + call.path + (f"?{query}" if query else "")
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        method = (call.wire_method if isinstance(call, SevdeskCall) else None) or call.method
        if call.files is not None:
            return httpx.Request(method, url, headers=headers, files=call.files)
        if call.json is not None:
            return httpx.Request(method, url, headers=headers, json=call.json)
        return httpx.Request(method, url, headers=headers)

    def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            with self.limits.in_flight():
                return self._http.send(step.request)
        if isinstance(step, Acquire):
            self.limits.acquire()
        elif isinstance(step, Sleep):
            time.sleep(step.seconds)
        return None

    def _drive(self, op: Op) -> Iterator[Any]:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = op.throw(error) if error is not None else op.send(value)
            except StopIteration as stop:
                yield ("done", stop.value)
                return
            if isinstance(step, Item):
                yield ("item", step.value)
                value, error = None, None
                continue
            try:
                value, error = self._perform(step), None
            except Exception as exc:
                value, error = None, exc

    def _run(self, op: Op) -> Any:
        for kind, value in self._drive(op):
            if kind == "done":
                return value
        return None

    def _iter(self, op: Op) -> Iterator[Any]:
        for kind, value in self._drive(op):
            if kind == "item":
                yield value

    def close(self) -> None:
        self._http.close()
        for closer in self._closers:
            closer()
        self._closers.clear()

    def __enter__(self) -> SevdeskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- operations (generators of I/O steps)
    def _objects(self, call: Call) -> Op:
        """The `objects` of the answer; a write settled by its lookup returns the lookup's value instead."""
        try:
            response = yield from self.request(call)
        except errors.LexwareError as exc:
            error = sevdesk_error(exc)
            if isinstance(call, SevdeskCall) and call.wire_method:
                error.method = call.wire_method  # say what was sent, not the retry class
            raise error from None
        if not isinstance(response, httpx.Response):
            return _Settled(response)
        if not response.content:
            return None
        return response.json().get("objects")

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Op:
        return (yield from self._objects(Call("GET", path, params=params)))

    def _one(self, path: str, model: type[M]) -> Op:
        rows = yield from self._get(path)
        row = rows[0] if isinstance(rows, list) else rows
        return model.model_validate(row)

    def _pages(self, path: str, params: Mapping[str, Any], model: type[M], page_size: int = PAGE_SIZE) -> Op:
        offset = 0
        while True:
            rows = yield from self._get(path, {**params, "limit": page_size, "offset": offset})
            for row in rows or []:
                yield Item(model.model_validate(row))
            if len(rows or []) < page_size:
                return None
            offset += page_size

    def _first(self, path: str, params: Mapping[str, Any], model: type[M], match: Callable[[M], bool]) -> Op:
        """The first entry of a paged list that matches (exact lookups behind filters the API lacks)."""
        pages = self._pages(path, params, model)
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = pages.throw(error) if error is not None else pages.send(value)
            except StopIteration:
                return None
            value, error = None, None
            if isinstance(step, Item):
                if match(step.value):
                    pages.close()
                    return step.value
                continue
            try:
                value = yield step
            except Exception as exc:  # a transport error belongs to the request inside `pages`
                error = exc

    # ------------------------------------------------------------------------------------- reference data
    def bookkeeping_version(self) -> str:
        return str(self._run(self._get("/Tools/bookkeepingSystemVersion"))["version"])

    def users(self) -> list[SevUser]:
        return [SevUser.model_validate(u) for u in self._run(self._get("/SevUser"))]

    def default_user_id(self) -> int:
        """The SevUser an invoice names as `contactPerson` when none is given (the first user)."""
        if self._user_id is None:
            users = self.users()
            if not users:
                raise errors.ValidationFailed("the sevDesk account has no user", hint="Create a user in sevDesk")
            self._user_id = users[0].id
        return self._user_id

    # ------------------------------------------------------------------------------------- contacts
    def next_customer_number(self) -> str:
        return str(self._run(self._get("/Contact/Factory/getNextCustomerNumber")))

    def create_contact(self, contact: NewContact) -> Contact:
        """Create a contact. The customer number (taken first when not given) settles an unknown outcome."""
        if contact.customer_number is None:
            contact = contact.model_copy(update={"customer_number": self.next_customer_number()})
        number = contact.customer_number
        call = Call(
            "POST",
            "/Contact",
            json=contact.body(),
            lookup=lambda: self._first(
                "/Contact", {"customerNumber": number, "depth": 1}, Contact, lambda c: c.customer_number == number
            ),
            what_to_check=f"sevDesk's contact list for customer number {number}",
        )
        return _model(self._run(self._objects(call)), Contact)

    def get_contact(self, contact_id: int) -> Contact:
        return self._run(self._one(f"/Contact/{int(contact_id)}", Contact))  # type: ignore[no-any-return]

    def iter_contacts(
        self,
        *,
        name: str | None = None,
        customer_number: str | None = None,
        category: int | None = None,
        updated_after: int | None = None,
        include_persons: bool = True,
    ) -> Iterator[Contact]:
        """All matching contacts, page by page. `updated_after` is a Unix timestamp (incremental sync)."""
        params: dict[str, Any] = {
            "name": name,
            "customerNumber": customer_number,
            "category[id]": category,
            "category[objectName]": "Category" if category is not None else None,
            "updateAfter": updated_after,
            "depth": 1 if include_persons else None,
        }
        return self._iter(self._pages("/Contact", params, Contact))  # type: ignore[no-any-return]

    def update_contact(self, contact_id: int, fields: Mapping[str, Any]) -> Contact:
        """Change the given API fields (e.g. {"status": 500}); PUT is partial and idempotent."""
        return _model(self._run(self._objects(Call("PUT", f"/Contact/{int(contact_id)}", json=dict(fields)))), Contact)

    def delete_contact(self, contact_id: int) -> None:
        self._run(self._objects(Call("DELETE", f"/Contact/{int(contact_id)}")))

    def add_email(self, contact_id: int, email: str, *, main: bool = True, key: int = 8) -> CommunicationWay:
        """Add an e-mail address (key 8 = invoicing). Settled by finding the same address on the contact."""
        return self._add_way(contact_id, "EMAIL", email, main=main, key=key)

    def add_phone(self, contact_id: int, phone: str, *, main: bool = True, key: int = 2) -> CommunicationWay:
        """Add a phone number (key 2 = work). Settled by finding the same number on the contact."""
        return self._add_way(contact_id, "PHONE", phone, main=main, key=key)

    def _add_way(self, contact_id: int, type: str, text: str, *, main: bool, key: int) -> CommunicationWay:
        value = text.strip()
        body = {
            "contact": {"id": int(contact_id), "objectName": "Contact"},
            "type": type,
            "value": value,
            "key": {"id": key, "objectName": "CommunicationWayKey"},
            "main": main,
        }
        call = Call(
            "POST",
            "/CommunicationWay",
            json=body,
            lookup=lambda: self._first(
                "/CommunicationWay",
                {"contact[id]": int(contact_id), "contact[objectName]": "Contact", "type": type},
                CommunicationWay,
                lambda w: w.value.casefold() == value.casefold(),
            ),
            what_to_check=f"the {'e-mail addresses' if type == 'EMAIL' else 'phone numbers'} of contact {contact_id}",
        )
        return _model(self._run(self._objects(call)), CommunicationWay)

    def communication_ways(self, contact_id: int, type: str | None = None) -> list[CommunicationWay]:
        params = {"contact[id]": int(contact_id), "contact[objectName]": "Contact", "type": type}
        return list(self._iter(self._pages("/CommunicationWay", params, CommunicationWay)))

    def add_address(self, contact_id: int, *, street: str, zip: str, city: str, country_id: int = 1) -> ContactAddress:
        """Add an address (country 1 = Germany). Settled by finding the same street/zip/city on the contact."""
        body = {
            "contact": {"id": int(contact_id), "objectName": "Contact"},
            "street": street,
            "zip": zip,
            "city": city,
            "country": {"id": country_id, "objectName": "StaticCountry"},
        }
        call = Call(
            "POST",
            "/ContactAddress",
            json=body,
            lookup=lambda: self._first(
                "/ContactAddress",
                {"contact[id]": int(contact_id), "contact[objectName]": "Contact"},
                ContactAddress,
                lambda a: (a.street, a.zip, a.city) == (street, zip, city),
            ),
            what_to_check=f"the addresses of contact {contact_id}",
        )
        return _model(self._run(self._objects(call)), ContactAddress)

    def update_address(
        self, address_id: int, *, street: str, zip: str, city: str, country_id: int = 1
    ) -> ContactAddress:
        """Replace an address's lines (PUT is partial and idempotent, so a repeat after a lost answer is harmless)."""
        body = {
            "street": street,
            "zip": zip,
            "city": city,
            "country": {"id": country_id, "objectName": "StaticCountry"},
        }
        return _model(
            self._run(self._objects(Call("PUT", f"/ContactAddress/{int(address_id)}", json=body))), ContactAddress
        )

    def addresses(self, contact_id: int) -> list[ContactAddress]:
        params = {"contact[id]": int(contact_id), "contact[objectName]": "Contact"}
        return list(self._iter(self._pages("/ContactAddress", params, ContactAddress)))

    def find_contacts_by_email(self, email: str) -> list[Contact]:
        """sevDesk cannot search contacts by e-mail: scan the EMAIL communication ways page by page and match
        locally (case-insensitive), then load the contacts. Costs one request per 100 addresses."""
        wanted = email.strip().casefold()
        ids: list[int] = []
        for way in self._iter(self._pages("/CommunicationWay", {"type": "EMAIL"}, CommunicationWay)):
            if way.value.strip().casefold() == wanted and way.contact.id not in ids:
                ids.append(way.contact.id)
        return [self.get_contact(i) for i in ids]

    # ------------------------------------------------------------------------------------- invoices
    def find_invoice(self, business_key: str, contact_id: int) -> SavedInvoice | None:
        """The invoice lexflow created with this business key for this contact, or None (exact lookup)."""
        return self._run(self._find_invoice(business_key, contact_id))  # type: ignore[no-any-return]

    def _find_invoice(self, business_key: str, contact_id: int) -> Op:
        note = BUSINESS_KEY_PREFIX + business_key
        params = {"contact[id]": int(contact_id), "contact[objectName]": "Contact"}
        found = yield from self._first("/Invoice", params, Invoice, lambda i: i.customer_internal_note == note)
        if found is None:
            return None
        rows = yield from self._get(f"/Invoice/{found.id}/getPositions")
        return SavedInvoice(invoice=found, invoicePos=[InvoicePos.model_validate(r) for r in rows])

    def create_invoice_draft(self, draft: InvoiceDraft) -> SavedInvoice:
        """Create a draft (status 100) exactly once per business key: an invoice that already carries the key is
        returned (rerun), and an unknown outcome is settled by the same lookup, never by sending twice."""
        existing = self.find_invoice(draft.business_key, draft.contact_id)
        if existing is not None:
            return existing
        user = draft.contact_person_id or self.default_user_id()
        call = Call(
            "POST",
            "/Invoice/Factory/saveInvoice",
            json=draft.body(user),
            lookup=lambda: self._find_invoice(draft.business_key, draft.contact_id),
            what_to_check=f"sevDesk's invoices of contact {draft.contact_id} for the internal note {draft.note!r}",
        )
        return _model(self._run(self._objects(call)), SavedInvoice)

    def update_invoice_draft(self, invoice_id: int, draft: InvoiceDraft) -> SavedInvoice:
        """Replace a draft's fields and positions (only drafts can change; reset an open one to draft first). An
        unknown outcome is settled by comparing the stored positions with the wanted ones."""
        old = {p.id for p in self.invoice_positions(invoice_id)}
        body = draft.body(draft.contact_person_id or self.default_user_id())
        body["invoice"]["id"] = int(invoice_id)
        body["invoicePosDelete"] = [{"id": pos_id, "objectName": "InvoicePos"} for pos_id in sorted(old)]
        body["takeDefaultAddress"] = False
        wanted = [(line.name, line.quantity, line.price, line.tax_rate) for line in draft.lines]

        def applied() -> Op:
            invoice = yield from self._one(f"/Invoice/{int(invoice_id)}", Invoice)
            rows = yield from self._get(f"/Invoice/{int(invoice_id)}/getPositions")
            positions = [InvoicePos.model_validate(r) for r in rows]
            have = [(p.name, p.quantity, p.price, p.tax_rate) for p in positions]
            done = have == wanted and not old & {p.id for p in positions}
            return SavedInvoice(invoice=invoice, invoicePos=positions) if done else None

        call = Call(
            "POST",
            "/Invoice/Factory/saveInvoice",
            json=body,
            lookup=applied,
            what_to_check=f"the positions of invoice {invoice_id} in sevDesk",
        )
        return _model(self._run(self._objects(call)), SavedInvoice)

    def get_invoice(self, invoice_id: int) -> Invoice:
        return self._run(self._one(f"/Invoice/{int(invoice_id)}", Invoice))  # type: ignore[no-any-return]

    def invoice_positions(self, invoice_id: int) -> list[InvoicePos]:
        return list(self._iter(self._pages(f"/Invoice/{int(invoice_id)}/getPositions", {}, InvoicePos)))

    def iter_invoices(
        self,
        *,
        status: int | None = None,
        contact_id: int | None = None,
        invoice_number: str | None = None,
        delinquent: bool | None = None,
        invoice_type: str | None = None,
        updated_after: int | None = None,
    ) -> Iterator[Invoice]:
        """Matching invoices page by page; `updated_after` (Unix timestamp) is how changes are polled."""
        params: dict[str, Any] = {
            "status": status,
            "contact[id]": contact_id,
            "contact[objectName]": "Contact" if contact_id is not None else None,
            "invoiceNumber": invoice_number,
            "delinquent": delinquent,
            "invoiceType": invoice_type,
            "updateAfter": updated_after,
        }
        return self._iter(self._pages("/Invoice", params, Invoice))  # type: ignore[no-any-return]

    def send_invoice_by(self, invoice_id: int, send_type: str = "VPDF") -> Invoice:
        """Mark as sent (VPR print, VP postal, VM mail, VPDF pdf): finalizes a draft. Idempotent."""
        body = {"sendType": send_type, "sendDraft": False}
        return _model(self._run(self._objects(Call("PUT", f"/Invoice/{int(invoice_id)}/sendBy", json=body))), Invoice)

    def send_invoice_via_email(self, invoice_id: int, *, to: str, subject: str, text: str) -> Invoice:
        """Let sevDesk e-mail the invoice (finalizes a draft); returns the invoice afterwards. An unknown outcome is
        settled by whether the invoice's send date moved, so the customer never gets it twice."""
        before = self.get_invoice(invoice_id)
        body = {"toEmail": to, "subject": subject, "text": text, "copy": False, "sendXml": False}

        def sent() -> Op:
            now = yield from self._one(f"/Invoice/{int(invoice_id)}", Invoice)
            return now if now.send_date != before.send_date and now.send_type == "VM" else None

        call = Call(
            "POST",
            f"/Invoice/{int(invoice_id)}/sendViaEmail",
            json=body,
            lookup=sent,
            what_to_check=f"the send date of invoice {before.invoice_number} in sevDesk",
        )
        result = self._run(self._objects(call))
        return result.value if isinstance(result, _Settled) else self.get_invoice(invoice_id)

    def invoice_pdf(self, invoice_id: int, *, mark_sent: bool = False) -> Pdf:
        """The PDF. sevDesk marks the invoice as sent when it is fetched, unless told not to: lexflow tells it not
        to unless `mark_sent`."""
        params = {"download": True, "preventSendBy": None if mark_sent else True}
        return Pdf.model_validate(self._run(self._get(f"/Invoice/{int(invoice_id)}/getPdf", params)))

    def book_invoice_payment(self, invoice_id: int, payment: PaymentBooking) -> Invoice:
        """Book a payment (`bookAmount`), linking the bank transaction when given; returns the invoice afterwards.
        Booking twice would pay twice, so an unknown outcome is settled by the invoice's paid amount."""
        before = self.get_invoice(invoice_id)

        def booked() -> Op:
            now = yield from self._one(f"/Invoice/{int(invoice_id)}", Invoice)
            return now if now.paid_amount == before.paid_amount + payment.amount else None

        call = SevdeskCall(
            "POST",
            f"/Invoice/{int(invoice_id)}/bookAmount",
            json=payment.body(date_as_timestamp=True),
            lookup=booked,
            what_to_check=f"the payments of invoice {before.invoice_number} in sevDesk",
            wire_method="PUT",
        )
        result = self._run(self._objects(call))
        return result.value if isinstance(result, _Settled) else self.get_invoice(invoice_id)

    def reset_invoice_to_open(self, invoice_id: int) -> Invoice:
        """Undo payments (unlinks bank transactions); not possible once enshrined."""
        return _model(self._run(self._objects(Call("PUT", f"/Invoice/{int(invoice_id)}/resetToOpen"))), Invoice)

    def reset_invoice_to_draft(self, invoice_id: int) -> Invoice:
        return _model(self._run(self._objects(Call("PUT", f"/Invoice/{int(invoice_id)}/resetToDraft"))), Invoice)

    def cancel_invoice(self, invoice_id: int) -> Invoice:
        """Cancel: sevDesk creates a paid cancellation invoice (type SR), returned here. Settled by finding the
        cancellation invoice whose origin is this invoice."""
        original = self.get_invoice(invoice_id)
        params: dict[str, Any] = {"invoiceType": "SR"}
        if original.contact is not None:
            params.update({"contact[id]": original.contact.id, "contact[objectName]": "Contact"})
        call = Call(
            "POST",
            f"/Invoice/{int(invoice_id)}/cancelInvoice",
            lookup=lambda: self._first(
                "/Invoice", params, Invoice, lambda i: i.origin is not None and i.origin.id == int(invoice_id)
            ),
            what_to_check=f"whether invoice {original.invoice_number} is cancelled in sevDesk",
        )
        return _model(self._run(self._objects(call)), Invoice)

    # ------------------------------------------------------------------------------------- bank
    def check_accounts(self) -> list[CheckAccount]:
        return list(self._iter(self._pages("/CheckAccount", {}, CheckAccount)))

    def get_transaction(self, transaction_id: int) -> CheckAccountTransaction:
        return self._run(  # type: ignore[no-any-return]
            self._one(f"/CheckAccountTransaction/{int(transaction_id)}", CheckAccountTransaction)
        )

    def iter_transactions(
        self,
        check_account_id: int | None = None,
        *,
        is_booked: bool | None = None,
        only_credit: bool = False,
        only_debit: bool = False,
        start: str | None = None,
        end: str | None = None,
    ) -> Iterator[CheckAccountTransaction]:
        """Bank transactions page by page (`start`/`end`: ISO date-times, as this endpoint wants)."""
        params: dict[str, Any] = {
            "checkAccount[id]": check_account_id,
            "checkAccount[objectName]": "CheckAccount" if check_account_id is not None else None,
            "isBooked": is_booked,
            "onlyCredit": True if only_credit else None,
            "onlyDebit": True if only_debit else None,
            "startDate": start,
            "endDate": end,
        }
        return self._iter(self._pages("/CheckAccountTransaction", params, CheckAccountTransaction))  # type: ignore[no-any-return]

    # ------------------------------------------------------------------------------------- vouchers
    def upload_receipt(self, filename: str, content: bytes, media_type: str = "application/pdf") -> TempFile:
        """Upload a receipt file; a temp file has no effect until a voucher names it, so retrying is safe."""
        call = Call(
            "POST", "/Voucher/Factory/uploadTempFile", files={"file": (filename, content, media_type)}, retry_post=True
        )
        return TempFile.model_validate(self._run(self._objects(call)))

    def create_voucher(self, voucher: NewVoucher, temp_file: TempFile | None = None) -> SavedVoucher:
        """Create a voucher once per description (the business key): an existing voucher with it is returned."""
        existing = self._run(self._find_voucher(voucher))
        if existing is not None:
            return SavedVoucher(voucher=existing)
        call = Call(
            "POST",
            "/Voucher/Factory/saveVoucher",
            json=voucher.body(temp_file.filename if temp_file else None),
            lookup=lambda: self._find_voucher(voucher),
            what_to_check=f"sevDesk's vouchers for the description {voucher.description!r}",
        )
        result = self._run(self._objects(call))
        if isinstance(result, _Settled):
            return SavedVoucher(voucher=result.value)
        return SavedVoucher.model_validate(result)

    def _find_voucher(self, voucher: NewVoucher) -> Op:
        params = {"descriptionLike": voucher.description, "creditDebit": voucher.credit_debit}
        return (yield from self._first("/Voucher", params, Voucher, lambda v: v.description == voucher.description))

    def voucher_positions(self, voucher_id: int) -> list[VoucherPos]:
        params = {"voucher[id]": int(voucher_id), "voucher[objectName]": "Voucher"}
        return list(self._iter(self._pages("/VoucherPos", params, VoucherPos)))

    def booking_accounts(self, side: str = "expense") -> list[BookingAccount]:
        """The booking accounts (`accountDatev`) this client may use for expenses or revenue (`ReceiptGuidance`);
        their ids differ per sevDesk client, so they are read, never hard-coded."""
        path = {"expense": "/ReceiptGuidance/forExpense", "revenue": "/ReceiptGuidance/forRevenue"}[side]
        rows = self._run(self._get(path))
        return [BookingAccount.model_validate(r) for r in (rows if isinstance(rows, list) else [rows])]

    def get_voucher(self, voucher_id: int) -> Voucher:
        return self._run(self._one(f"/Voucher/{int(voucher_id)}", Voucher))  # type: ignore[no-any-return]

    def book_voucher_payment(self, voucher_id: int, payment: PaymentBooking) -> Voucher:
        """Book the payment of a voucher (an expense paid from the bank); settled by its paid amount like invoices."""
        before = self.get_voucher(voucher_id)

        def booked() -> Op:
            now = yield from self._one(f"/Voucher/{int(voucher_id)}", Voucher)
            return now if now.paid_amount == before.paid_amount + payment.amount else None

        call = SevdeskCall(
            "POST",
            f"/Voucher/{int(voucher_id)}/bookAmount",
            json=payment.body(date_as_timestamp=False),
            lookup=booked,
            what_to_check=f"the payments of voucher {before.description!r} in sevDesk",
            wire_method="PUT",
        )
        result = self._run(self._objects(call))
        return result.value if isinstance(result, _Settled) else self.get_voucher(voucher_id)

    def iter_vouchers(
        self, *, status: int | None = None, credit_debit: str | None = None, updated_after: int | None = None
    ) -> Iterator[Voucher]:
        params = {"status": status, "creditDebit": credit_debit, "updateAfter": updated_after}
        return self._iter(self._pages("/Voucher", params, Voucher))  # type: ignore[no-any-return]

    # -- history sync (F2b) ---------------------------------------------------------------------------------------
    def changed(
        self, resource: str, updated_after: int | None, page_size: int = 1000
    ) -> Iterator[list[dict[str, Any]]]:
        """Raw objects of `resource` (Contact, Invoice, CreditNote, Voucher) changed after `updated_after` (Unix
        seconds; None: all), one list per page of `page_size` (sevDesk allows up to 1,000): the history sync."""
        offset = 0
        while True:
            params = {"updateAfter": updated_after, "limit": page_size, "offset": offset}
            rows = self._run(self._get(f"/{resource}", params)) or []
            yield list(rows)
            if len(rows) < page_size:
                return
            offset += page_size

    def reminders(self, invoice_id: int) -> list[Invoice]:
        """The payment reminders (invoices of type MA) sevDesk keeps for this invoice."""
        found = self._iter(self._pages("/Invoice", {"invoiceType": "MA"}, Invoice, page_size=1000))
        return [i for i in found if i.origin is not None and str(i.origin.id) == str(int(invoice_id))]

    def create_reminder(self, invoice_id: int) -> Invoice:
        """A payment reminder (a draft invoice of type MA) for the invoice. sevDesk has no idempotency key: an
        unknown outcome is settled by looking for a reminder of this invoice that was not there before."""
        before = {r.id for r in self.reminders(invoice_id)}

        def find() -> Op:
            match = lambda i: _reminds(i, invoice_id) and i.id not in before  # noqa: E731
            return (yield from self._first("/Invoice", {"invoiceType": "MA"}, Invoice, match))

        call = Call(
            "POST",
            "/Invoice/Factory/createInvoiceReminder",
            params={"invoice[id]": int(invoice_id), "invoice[objectName]": "Invoice"},
            lookup=find,
            what_to_check=f"the reminders (invoice type MA) of invoice {invoice_id} in sevDesk",
        )
        return _model(self._run(self._objects(call)), Invoice)

    def raw_positions(self, kind: str, id: int) -> list[dict[str, Any]]:
        """An invoice's or voucher's positions as the API returns them (the history sync's detail read)."""
        if kind == "Invoice":
            return list(self._run(self._get(f"/Invoice/{int(id)}/getPositions", {"limit": 1000})) or [])
        params = {"voucher[id]": int(id), "voucher[objectName]": "Voucher", "limit": 1000}
        return list(self._run(self._get("/VoucherPos", params)) or [])


def _reminds(invoice: Invoice, origin: int) -> bool:
    return invoice.origin is not None and str(invoice.origin.id) == str(int(origin))


@dataclass(frozen=True)
class _Settled:
    """A write whose outcome was unknown and that a lookup found: `value` is what the lookup returned."""

    value: Any


def _model(result: Any, model: type[M]) -> M:
    if isinstance(result, _Settled):
        value = result.value
        if isinstance(value, model):
            return value
        return model.model_validate(value.model_dump(by_alias=True) if isinstance(value, BaseModel) else value)
    return model.model_validate(result)


def connect_sevdesk(settings: SevdeskSettings | None = None, **overrides: Any) -> SevdeskClient:
    """A client for the configured sevDesk account, or for the embedded sandbox when no token is set."""
    s = settings or SevdeskSettings()
    if s.api_token is not None:
        options: dict[str, Any] = {"base_url": s.base_url, "rate_limit": s.rate_limit, "timeout": s.timeout}
        return SevdeskClient(s.api_token, **{**options, **overrides})
    from lexflow.sevdesk.sandbox import SevdeskSandboxConfig, create_app
    from lexflow.transport.bridge import SyncASGITransport

    if s.sandbox_db is not None:
        s.sandbox_db.parent.mkdir(parents=True, exist_ok=True)
    config = SevdeskSandboxConfig(db_path=s.sandbox_db)
    transport = SyncASGITransport(create_app(config))
    where = f"state in {s.sandbox_db}" if s.sandbox_db else "in memory"
    options = {
        "base_url": SANDBOX_ROOT + "/api/v1",
        "rate_limit": 0,
        "transport": transport,
        "backend_description": f"embedded sevDesk sandbox (no SEVDESK_API_TOKEN set; {where})",
    }
    client = SevdeskClient(config.token, **{**options, **overrides})
    client._closers.append(transport.close)
    return client
