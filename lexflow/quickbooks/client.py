"""QuickBooks Online client: typed, exactly-once writes, sparse updates only (docs/quickbooks.md).

- Every create/update/void/send carries a `requestid` derived from lexflow's business key (and, for changes, the
  `SyncToken` the change was based on), so a retry after a timeout returns the first result instead of writing twice.
- Updates are always sparse (`"sparse": true`): a full update would clear every field it leaves out.
- A stale `SyncToken` (5010) re-reads the entity and re-applies the same change, a bounded number of times.
- Throttling (HTTP 429, an XML body even for JSON requests) becomes `RateLimited` after the configured waits.
- Without Intuit credentials the client runs against the embedded sandbox, connected through its OAuth flow.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from lexflow.quickbooks.models import (
    Attachable,
    Bill,
    BillInput,
    ChangeEvent,
    CreditMemo,
    Customer,
    CustomerInput,
    Entity,
    Invoice,
    InvoiceInput,
    Payment,
    PaymentInput,
    Purchase,
    PurchaseInput,
    Vendor,
    VendorInput,
)
from lexflow.transport import errors
from lexflow.transport.limits import AccountLimiter, Limits, account_limiter
from lexflow.transport.oauth_store import Refresher, TokenSet, TokenStore

MINOR_VERSION = 75
SCOPE = "com.intuit.quickbooks.accounting"
HOSTS = {
    "production": "https://quickbooks.api.intuit.com",
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
}
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
E = TypeVar("E", bound=Entity)


class DuplicateName(errors.ValidationFailed):
    """6240: the DisplayName is used by another customer, vendor or employee (inactive ones included)."""


class QuickBooksSettings(BaseSettings):
    """Intuit app and company. Leave client id/secret empty to use the embedded sandbox."""

    model_config = SettingsConfigDict(env_prefix="QUICKBOOKS_", env_file=".env", extra="ignore")
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    realm_id: str = ""
    refresh_token: SecretStr = SecretStr("")
    """From connecting the app; with `token_file` only the first start uses it (the file keeps the rotated ones)."""
    token_file: Path | None = None
    """Where the company's tokens are kept, encrypted (LEXFLOW_TOKEN_KEY) and shared by the worker's processes."""
    environment: Literal["production", "sandbox"] = "sandbox"
    """Intuit's sandbox companies (development keys) or production."""
    minor_version: int = Field(default=MINOR_VERSION, ge=MINOR_VERSION)
    throttle_wait_seconds: float = Field(default=60.0, ge=0)
    """How long to wait after a 429 before retrying (Intuit: 60 s)."""
    max_retries: int = Field(default=3, ge=0, le=10)
    requests_per_minute: int = Field(default=500, ge=0)
    """The pace the client keeps per company (Intuit: 500/minute, 10/second); 0 switches pacing off."""
    concurrent_requests: int = Field(default=10, ge=1, le=10)
    timeout_seconds: float = Field(default=30.0, gt=0)

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret.get_secret_value())


# ------------------------------------------------------------------------------------------------ query builder
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?$")
_OPS = ("=", "<", ">", "<=", ">=", "IN", "LIKE")


def quote(value: Any) -> str:
    """A query literal: single-quoted, with backslash and `'` escaped (`O'Brien` → `'O\\'Brien'`)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    if any(ord(c) < 32 for c in text):
        raise errors.InvalidRequest(f"query value {text!r} contains control characters", hint="Remove them")
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Select:
    """`Select("Invoice").where("Balance", ">", 0).order_by("DueDate")`: a query string with escaped values.

    Field names and operators are checked, values always quoted, so user input can never change the query."""

    def __init__(self, entity: str, count: bool = False) -> None:
        if not _FIELD.match(entity) or "." in entity:
            raise errors.InvalidRequest(f"{entity!r} is not an entity name")
        self.entity, self.count = entity, count
        self._where: list[str] = []
        self._order: list[str] = []

    def where(self, field: str, op: str, value: Any) -> Select:
        op = op.upper()
        if not _FIELD.match(field):
            raise errors.InvalidRequest(f"{field!r} is not a field name", hint="Use a field like DisplayName")
        if op not in _OPS:
            raise errors.InvalidRequest(f"operator {op!r} is not supported", hint=f"Use one of {', '.join(_OPS)}")
        if op == "IN":
            values = list(value)
            if not values:
                raise errors.InvalidRequest(f"IN on {field} needs at least one value")
            self._where.append(f"{field} IN ({', '.join(quote(v) for v in values)})")
        else:
            self._where.append(f"{field} {op} {quote(value)}")
        return self

    def order_by(self, field: str, descending: bool = False) -> Select:
        if not _FIELD.match(field):
            raise errors.InvalidRequest(f"{field!r} is not a field name")
        self._order.append(f"{field} DESC" if descending else field)
        return self

    def build(self, start: int = 1, max_results: int = 1000) -> str:
        text = f"SELECT {'count(*)' if self.count else '*'} FROM {self.entity}"
        if self._where:
            text += " WHERE " + " AND ".join(self._where)
        if self._order:
            text += " ORDERBY " + ", ".join(self._order)
        if not self.count:
            text += f" STARTPOSITION {int(start)} MAXRESULTS {min(1000, int(max_results))}"
        return text

    def __str__(self) -> str:
        return self.build()


def request_id(*parts: str) -> str:
    """A `requestid` (≤ 50 chars) from the business key and the operation: the same write gets the same id."""
    return "lf-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


# ------------------------------------------------------------------------------------------------ errors
def _faults(response: httpx.Response) -> list[dict[str, Any]]:
    """Errors from a Fault body, JSON or XML (throttling answers XML even to JSON requests)."""
    text = response.text.strip()
    if text.startswith("<"):
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            return []
        ns = {"i": "http://schema.intuit.com/finance/v3"}
        return [
            {
                "code": e.get("code", ""),
                "Message": e.findtext("i:Message", "", ns),
                "Detail": e.findtext("i:Detail", "", ns),
            }
            for e in root.iterfind(".//i:Error", ns)
        ]
    try:
        body = response.json()
    except ValueError:
        return []
    fault = body.get("Fault") if isinstance(body, dict) else None
    return list((fault or {}).get("Error") or [])


def error_from_response(response: httpx.Response) -> errors.LexwareError:
    """Map a QuickBooks error answer to lexflow's client errors (the same classes the Lexware client raises)."""
    found = _faults(response)
    codes = {str(e.get("code", "")) for e in found}
    message = "; ".join(f"{e.get('Message', '')} ({e.get('code', '')}) {e.get('Detail', '')}".strip() for e in found)
    issues = [
        errors.FieldIssue(e.get("element") or None, str(e.get("code", "")), str(e.get("Detail") or "")) for e in found
    ]
    kw: dict[str, Any] = {
        "status": response.status_code,
        "issues": issues,
        "method": response.request.method,
        "path": response.request.url.path,
        "body": found,
    }
    status = response.status_code
    if status == 429 or "3001" in codes:
        return errors.RateLimited(message or "throttled by QuickBooks", hint="Wait a minute and try again", **kw)
    if "5010" in codes:
        return errors.VersionConflict(message, hint="Someone changed it meanwhile; read it again", **kw)
    if "6240" in codes:
        return DuplicateName(message, hint="Use another DisplayName, or search inactive customers first", **kw)
    if "610" in codes or status == 404:
        return errors.NotFound(message or "not found", **kw)
    if status == 401:
        return errors.Unauthorized(message or "not authenticated", hint="Connect the app again", **kw)
    if status == 403:
        return errors.Forbidden(message or "not authorized for this company", **kw)
    if status >= 500:
        return errors.ServerError(message or f"QuickBooks answered {status}", **kw)
    return errors.ValidationFailed(message or f"QuickBooks refused the request ({status})", **kw)


# ------------------------------------------------------------------------------------------------ auth
REFRESH_EARLY = 60.0
"""Refresh an access token this many seconds before it expires (clock skew, slow requests)."""


def quickbooks_token_store(
    realm_id: str, path: str | Path | None = None, key: str | bytes | SecretStr | None = None
) -> TokenStore:
    """The store of one company's connection (tokens are per realm): encrypted in `path` (shared by the worker's
    processes), else in memory (one process)."""
    return TokenStore(path, key, provider="quickbooks", connection=realm_id)


class OAuthSession:
    """Access and refresh tokens of one company (realm), kept in the shared `TokenStore`. Refreshes before expiry or
    on a 401, once across every process sharing the store (Intuit rotates refresh tokens: the old one dies once the
    new one is used), and hands every new token set to `on_tokens`."""

    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        revoke_url: str,
        client_id: str,
        client_secret: str,
        realm_id: str,
        store: TokenStore,
        on_tokens: Callable[[TokenSet], None] | None = None,
    ) -> None:
        self._http, self._token_url, self._revoke_url = http, token_url, revoke_url
        self._basic = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.realm_id = realm_id
        self.store = store
        self.refresher = Refresher(
            store,
            self._grant,
            margin=REFRESH_EARLY,
            not_connected=lambda: errors.Unauthorized(
                f"lexflow is not connected to QuickBooks company {realm_id}",
                hint="Connect the app to the company (docs/quickbooks.md#connecting)",
            ),
            on_tokens=on_tokens,
        )

    @property
    def tokens(self) -> TokenSet:
        return self.refresher.current()

    @tokens.setter
    def tokens(self, tokens: TokenSet) -> None:
        with self.store.lock():
            self.store.save(tokens)

    @classmethod
    def exchange(
        cls,
        http: httpx.Client,
        token_url: str,
        revoke_url: str,
        client_id: str,
        client_secret: str,
        code: str,
        redirect_uri: str,
        realm_id: str,
        on_tokens: Callable[[TokenSet], None] | None = None,
        store: TokenStore | None = None,
    ) -> OAuthSession:
        """Finish the authorization-code flow: `code` and `realmId` come from the callback URL."""
        session = cls(
            http,
            token_url,
            revoke_url,
            client_id,
            client_secret,
            realm_id,
            store or quickbooks_token_store(realm_id),
            on_tokens,
        )
        tokens = session._token_call({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
        session.tokens = tokens
        if on_tokens is not None:
            on_tokens(tokens)
        return session

    def _token_call(self, form: dict[str, str], previous: TokenSet | None = None) -> TokenSet:
        try:
            response = self._http.post(
                self._token_url, data=form, headers={"Authorization": self._basic, "Accept": "application/json"}
            )
        except httpx.TransportError as exc:
            raise errors.Unauthorized(
                f"the token endpoint did not answer ({type(exc).__name__})",
                hint="Check the network; the stored tokens were kept (if the refresh reached Intuit, connect again)",
            ) from None
        if response.status_code != 200:
            error = _json_error(response)
            raise errors.Unauthorized(
                f"token request refused ({error})",
                status=response.status_code,
                hint="Connect the app to the company again (the refresh token expired, was revoked or rotated)",
            )
        return TokenSet.from_response(response.json(), previous)

    def _grant(self, current: TokenSet) -> TokenSet:
        assert current.refresh_token is not None
        return self._token_call(
            {"grant_type": "refresh_token", "refresh_token": current.refresh_token.get_secret_value()}, current
        )

    def access_token(self, force_refresh: bool = False, seen: str | None = None) -> str:
        """A valid access token; `force_refresh` after a 401 on `seen` (a refresh elsewhere meanwhile counts)."""
        if force_refresh:
            tokens = self.refresher.refresh(seen) if seen is not None else self.refresher.force()
        else:
            tokens = self.refresher.valid()
        return tokens.access_token.get_secret_value()

    def revoke(self) -> None:
        """Disconnect the app from the company."""
        refresh = self.tokens.refresh_token
        if refresh is None:
            return
        self._http.post(
            self._revoke_url,
            json={"token": refresh.get_secret_value()},
            headers={"Authorization": self._basic, "Accept": "application/json"},
        )


def _json_error(response: httpx.Response) -> str:
    """The OAuth `error` code of a refused token request (never the body: it could echo a secret)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(body.get("error", f"HTTP {response.status_code}")) if isinstance(body, dict) else "?"


# ------------------------------------------------------------------------------------------------ client
def quickbooks_limiter(api_base: str, realm_id: str, settings: QuickBooksSettings) -> AccountLimiter:
    """The transport's limiter of one company: evenly spaced below 500/minute (which also keeps under 10/second) and
    at most 10 requests in flight, shared by every process of the machine. QuickBooks has no daily budget."""
    limits = Limits(rate=settings.requests_per_minute / 60.0, concurrent=settings.concurrent_requests)
    return account_limiter("quickbooks", api_base, realm_id, limits, label=f"realm {realm_id}")


class QuickBooksClient:
    """One company (realm). Build it with `connect()` (credentials or the embedded sandbox) or directly."""

    def __init__(
        self,
        api_base: str,
        session: OAuthSession,
        *,
        settings: QuickBooksSettings | None = None,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or QuickBooksSettings()
        self.session = session
        self.realm_id = session.realm_id
        self._base = f"{api_base.rstrip('/')}/v3/company/{self.realm_id}"
        self._http = http or httpx.Client(timeout=self.settings.timeout_seconds)
        self._sleep = sleep
        self.limiter: AccountLimiter = quickbooks_limiter(api_base, self.realm_id, self.settings)
        """The company's limits, shared by every client and process of the machine (docs/quickbooks.md#limits)."""
        self.sandbox: Any = None
        """The embedded sandbox this client runs against (None with real credentials)."""

    # -------------------------------------------------------------------------------------------- plumbing
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        files: Any = None,
        accept: str = "application/json",
    ) -> httpx.Response:
        """Send with auth, pacing, refresh on 401 and retries. POSTs are retried only with a `requestid`."""
        params = {"minorversion": self.settings.minor_version, **(params or {})}
        safe_to_retry = method == "GET" or "requestid" in params
        refreshed = False
        attempt = 0
        while True:
            token = self.session.access_token()
            self.limiter.acquire()
            try:
                with self.limiter.in_flight():
                    response = self._http.request(
                        method,
                        f"{self._base}/{path}",
                        params=params,
                        json=json,
                        content=content,
                        files=files,
                        headers={"Authorization": f"Bearer {token}", "Accept": accept, **(headers or {})},
                    )
            except httpx.TransportError as exc:
                if safe_to_retry and attempt < self.settings.max_retries:
                    attempt += 1
                    self._sleep(min(2.0**attempt * 0.1, 5))
                    continue
                if method == "POST":
                    raise errors.AmbiguousWrite(
                        f"no answer from QuickBooks ({type(exc).__name__})",
                        method=method,
                        path=path,
                        hint="Retry with the same business key; its requestid returns the first result",
                    ) from exc
                raise errors.ServerError(
                    f"no answer from QuickBooks ({type(exc).__name__})", method=method, path=path
                ) from exc
            if response.status_code == 401 and not refreshed:
                refreshed = True
                self.session.access_token(force_refresh=True, seen=token)
                continue
            if response.status_code == 429 and self.limiter.rate > 0:
                self.limiter.penalize(1.0 / self.limiter.rate)  # every sharer of the company's pace skips a slot
            retryable = response.status_code == 429 or (response.status_code >= 500 and safe_to_retry)
            if retryable and attempt < self.settings.max_retries:
                attempt += 1
                wait = self.settings.throttle_wait_seconds if response.status_code == 429 else 0.2 * attempt
                self._sleep(wait)
                continue
            if response.status_code >= 400:
                raise error_from_response(response)
            return response

    def _post(self, entity: str, body: dict[str, Any], rid: str, params: dict[str, Any] | None = None) -> Any:
        response = self._request("POST", entity.lower(), params={"requestid": rid, **(params or {})}, json=body)
        return response.json()[entity]

    def _get(self, entity: str, id_: str, model: type[E]) -> E:
        if not re.fullmatch(r"\d{1,20}", str(id_)):
            raise errors.InvalidRequest(f"{entity} id {id_!r} is not a QuickBooks id (digits only)")
        return model.model_validate(self._request("GET", f"{entity.lower()}/{id_}").json()[entity])

    def _change(
        self,
        entity: str,
        id_: str,
        changes: dict[str, Any],
        business_key: str,
        model: type[E],
        attempts: int = 3,
        params: dict[str, Any] | None = None,
        op: str = "update",
    ) -> E:
        """Sparse update based on the current SyncToken; on 5010 read again and re-apply the same change."""
        for attempt in range(attempts):
            current = self._get(entity, id_, model)
            sync = str(current.SyncToken)
            body = {**changes, "Id": id_, "SyncToken": sync, "sparse": True}
            rid = request_id(f"{entity}.{op}", business_key, id_, sync)
            try:
                return model.model_validate(self._post(entity, body, rid, params))
            except errors.VersionConflict:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def query(self, select: Select | str, start: int = 1, max_results: int = 1000) -> list[dict[str, Any]]:
        """One page of raw rows."""
        text = select.build(start, max_results) if isinstance(select, Select) else select
        body = self._request("POST", "query", content=text.encode(), headers={"Content-Type": "application/text"})
        response = body.json()["QueryResponse"]
        entity = (
            select.entity
            if isinstance(select, Select)
            else next((k for k in response if k not in ("startPosition", "maxResults", "totalCount")), "")
        )
        return list(response.get(entity, []))

    def query_all(self, select: Select, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every row, page by page (STARTPOSITION is 1-based; a short page is the last one)."""
        start = 1
        while True:
            rows = self.query(select, start, page_size)
            yield from rows
            if len(rows) < page_size:
                return
            start += page_size

    def count(self, select: Select) -> int:
        body = self._request(
            "POST", "query", content=select.build().encode(), headers={"Content-Type": "application/text"}
        ).json()
        return int(body["QueryResponse"].get("totalCount", 0))

    def changes(self, entities: list[str], since: datetime) -> dict[str, list[dict[str, Any]]]:
        """Change data capture: every entity of these kinds changed since `since` (at most 30 days back, 1000 per
        kind); deleted ones come as `{"Id", "status": "Deleted"}`. One request for all kinds."""
        if since.tzinfo is None:
            raise errors.InvalidRequest("since needs a time zone (an aware datetime)", hint="Use datetime.now(UTC)")
        for name in entities:
            if not _FIELD.match(name) or "." in name:
                raise errors.InvalidRequest(f"{name!r} is not an entity name")
        params = {"entities": ",".join(entities), "changedSince": since.isoformat()}
        body = self._request("GET", "cdc", params=params).json()
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in entities}
        for block in body.get("CDCResponse") or []:
            for response in block.get("QueryResponse") or []:
                for key, rows in response.items():
                    if isinstance(rows, list):
                        out.setdefault(key, []).extend(rows)
        return out

    # -------------------------------------------------------------------------------------------- customers
    def create_customer(self, customer: CustomerInput, business_key: str) -> Customer:
        if not (customer.DisplayName or customer.GivenName or customer.FamilyName or customer.CompanyName):
            raise errors.InvalidRequest(
                "a customer needs DisplayName (or a name or company name)",
                issues=[errors.FieldIssue("DisplayName", "missing")],
            )
        return Customer.model_validate(
            self._post("Customer", customer.payload(), request_id("Customer.create", business_key))
        )

    def get_customer(self, id_: str) -> Customer:
        return self._get("Customer", id_, Customer)

    def find_customers(
        self,
        *,
        display_name: str | None = None,
        name_contains: str | None = None,
        email: str | None = None,
        include_inactive: bool = False,
    ) -> list[Customer]:
        """Customers by exact DisplayName, a name fragment or e-mail (no OR in QuickBooks: one query each)."""
        selects = []
        for field, op, value in (
            ("DisplayName", "=", display_name),
            ("DisplayName", "LIKE", None if name_contains is None else f"%{name_contains}%"),
            ("PrimaryEmailAddr", "=", email),
        ):
            if value is not None:
                s = Select("Customer").where(field, op, value)
                if include_inactive:
                    s.where("Active", "IN", [True, False])
                selects.append(s)
        found: dict[str, Customer] = {}
        for s in selects:
            for row in self.query_all(s):
                found.setdefault(row["Id"], Customer.model_validate(row))
        return sorted(found.values(), key=lambda c: int(c.Id))

    def update_customer(self, id_: str, changes: CustomerInput, business_key: str) -> Customer:
        return self._change("Customer", id_, changes.payload(), business_key, Customer)

    def deactivate_customer(self, id_: str, business_key: str) -> Customer:
        return self._change("Customer", id_, {"Active": False}, business_key, Customer, op="deactivate")

    # -------------------------------------------------------------------------------------------- invoices
    def create_invoice(self, invoice: InvoiceInput, business_key: str) -> Invoice:
        """Create a final invoice (QuickBooks has no drafts: approve before calling this)."""
        if invoice.CustomerRef is None or not invoice.Line:
            raise errors.InvalidRequest(
                "an invoice needs CustomerRef and at least one Line",
                issues=[errors.FieldIssue("CustomerRef" if invoice.CustomerRef is None else "Line", "missing")],
            )
        return Invoice.model_validate(
            self._post("Invoice", invoice.payload(), request_id("Invoice.create", business_key))
        )

    def get_invoice(self, id_: str) -> Invoice:
        return self._get("Invoice", id_, Invoice)

    def update_invoice(self, id_: str, changes: InvoiceInput, business_key: str) -> Invoice:
        """Sparse: only the fields set in `changes` change (Line, if set, replaces all lines)."""
        return self._change("Invoice", id_, changes.payload(), business_key, Invoice)

    def void_invoice(self, id_: str, business_key: str) -> Invoice:
        return self._change("Invoice", id_, {}, business_key, Invoice, params={"operation": "void"}, op="void")

    def send_invoice(self, id_: str, business_key: str, send_to: str | None = None) -> Invoice:
        params: dict[str, Any] = {"requestid": request_id("Invoice.send", business_key, id_)}
        if send_to:
            params["sendTo"] = send_to
        response = self._request(
            "POST",
            f"invoice/{id_}/send",
            params=params,
            content=b"",
            headers={"Content-Type": "application/octet-stream"},
        )
        return Invoice.model_validate(response.json()["Invoice"])

    def invoice_pdf(self, id_: str) -> bytes:
        if not re.fullmatch(r"\d{1,20}", str(id_)):
            raise errors.InvalidRequest(f"invoice id {id_!r} is not a QuickBooks id (digits only)")
        return self._request("GET", f"invoice/{id_}/pdf", accept="application/pdf").content

    def open_invoices(self, overdue_on: date | None = None) -> list[Invoice]:
        """Unpaid invoices (Balance > 0), oldest due first; with `overdue_on`, only those due before that day."""
        s = Select("Invoice").where("Balance", ">", 0)
        if overdue_on is not None:
            s.where("DueDate", "<", overdue_on)
        return [Invoice.model_validate(r) for r in self.query_all(s.order_by("DueDate"))]

    # -------------------------------------------------------------------------------------------- payments
    def create_payment(self, payment: PaymentInput, business_key: str) -> Payment:
        """Record a received payment; linked invoices become paid or part-paid."""
        return Payment.model_validate(
            self._post("Payment", payment.payload(), request_id("Payment.create", business_key))
        )

    def mark_paid(
        self,
        invoice_id: str,
        business_key: str,
        amount: Decimal | None = None,
        on: date | None = None,
        reference: str | None = None,
        deposit_to: str | None = None,
    ) -> Payment:
        """A payment of `amount` (default: the open balance) linked to the invoice, into `deposit_to` (an account
        id; QuickBooks' default is Undeposited Funds). Give `amount` when retrying: the open balance of a paid
        invoice is 0, while a repeated request with an amount returns the first payment (same `requestid`)."""
        invoice = self.get_invoice(invoice_id)
        amount = invoice.Balance if amount is None else amount
        if amount <= 0:
            raise errors.InvalidRequest(f"invoice {invoice_id} has nothing open to pay", hint="It is paid already")
        return self.create_payment(
            PaymentInput(
                CustomerRef=invoice.CustomerRef,
                TotalAmt=amount,
                TxnDate=on,
                PaymentRefNum=reference,
                DepositToAccountRef={"value": deposit_to} if deposit_to else None,  # type: ignore[arg-type]
                Line=[{"Amount": amount, "LinkedTxn": [{"TxnId": invoice.Id, "TxnType": "Invoice"}]}],  # type: ignore[list-item]
            ),
            business_key,
        )

    # -------------------------------------------------------------------------------------------- expenses
    def create_vendor(self, vendor: VendorInput, business_key: str) -> Vendor:
        return Vendor.model_validate(self._post("Vendor", vendor.payload(), request_id("Vendor.create", business_key)))

    def find_vendor(self, display_name: str) -> Vendor | None:
        s = Select("Vendor").where("DisplayName", "=", display_name).where("Active", "IN", [True, False])
        rows = self.query(s, 1, 1)
        return Vendor.model_validate(rows[0]) if rows else None

    def create_bill(self, bill: BillInput, business_key: str, tax_calculation: str | None = None) -> Bill:
        body = bill.payload()
        if tax_calculation:
            body["GlobalTaxCalculation"] = tax_calculation
        return Bill.model_validate(self._post("Bill", body, request_id("Bill.create", business_key)))

    def get_bill(self, id_: str) -> Bill:
        return self._get("Bill", id_, Bill)

    def find_bills(
        self,
        *,
        doc_number: str | None = None,
        vendor_id: str | None = None,
        txn_from: date | None = None,
        txn_to: date | None = None,
    ) -> list[Bill]:
        s = Select("Bill")
        for field, op, value in (
            ("DocNumber", "=", doc_number),
            ("VendorRef", "=", vendor_id),
            ("TxnDate", ">=", txn_from),
            ("TxnDate", "<=", txn_to),
        ):
            if value is not None:
                s.where(field, op, value)
        return [Bill.model_validate(r) for r in self.query_all(s.order_by("TxnDate"))]

    def create_purchase(self, purchase: PurchaseInput, business_key: str) -> Purchase:
        return Purchase.model_validate(
            self._post("Purchase", purchase.payload(), request_id("Purchase.create", business_key))
        )

    def upload_attachment(
        self, entity: str, entity_id: str, filename: str, content: bytes, content_type: str, business_key: str
    ) -> Attachable:
        """Attach a file (receipt) to an entity with `POST /upload` (multipart: JSON metadata + the file)."""
        meta = {
            "AttachableRef": [{"EntityRef": {"type": entity, "value": entity_id}, "IncludeOnSend": False}],
            "FileName": filename,
            "ContentType": content_type,
        }
        files = {
            "file_metadata_0": ("metadata.json", json.dumps(meta).encode(), "application/json"),
            "file_content_0": (filename, content, content_type),
        }
        params = {
            "minorversion": self.settings.minor_version,
            "requestid": request_id("Attachable.upload", business_key, entity, entity_id),
        }
        response = self._request("POST", "upload", params=params, files=files)
        return Attachable.model_validate(response.json()["AttachableResponse"][0]["Attachable"])

    def get_credit_memo(self, id_: str) -> CreditMemo:
        return self._get("CreditMemo", id_, CreditMemo)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> QuickBooksClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------------------------ connecting
_embedded: Any = None
_embedded_lock = threading.Lock()


def embedded_sandbox() -> Any:
    """The process-wide embedded sandbox (started on first use)."""
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            from lexflow.quickbooks.sandbox import serve_in_thread

            _embedded = serve_in_thread()
        return _embedded


def connect_sandbox(
    served: Any,
    settings: QuickBooksSettings | None = None,
    realm: str | None = None,
    on_tokens: Callable[[TokenSet], None] | None = None,
) -> QuickBooksClient:
    """Connect to a served sandbox the way a user connects to Intuit: authorize, follow the callback, exchange."""
    cfg = served.config
    http = httpx.Client(timeout=(settings or QuickBooksSettings()).timeout_seconds)
    redirect = cfg.redirect_uris[0]
    params = {
        "client_id": cfg.client_id,
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": redirect,
        "state": "lexflow",
    }
    if realm:
        params["realm"] = realm
    answer = http.get(f"{served.url}/connect/oauth2", params=params)
    callback = parse_qs(urlsplit(answer.headers.get("location", "")).query)
    if "code" not in callback:
        raise errors.Unauthorized(f"the sandbox refused to authorize: {callback}")
    session = OAuthSession.exchange(
        http,
        f"{served.url}/oauth2/v1/tokens/bearer",
        f"{served.url}/v2/oauth2/tokens/revoke",
        cfg.client_id,
        cfg.client_secret,
        callback["code"][0],
        redirect,
        callback["realmId"][0],
        on_tokens,
        quickbooks_token_store(callback["realmId"][0], (settings or QuickBooksSettings()).token_file),
    )
    client = QuickBooksClient(served.url, session, settings=settings, http=http)
    client.sandbox = served
    return client


def connect(
    settings: QuickBooksSettings | None = None, on_tokens: Callable[[TokenSet], None] | None = None
) -> QuickBooksClient:
    """A client for the configured company, or for the embedded sandbox when no credentials are set."""
    settings = settings or QuickBooksSettings()
    if not settings.has_credentials:
        return connect_sandbox(embedded_sandbox(), settings, on_tokens=on_tokens)
    if not settings.realm_id or not (settings.refresh_token.get_secret_value() or settings.token_file):
        raise errors.Unauthorized(
            "QUICKBOOKS_REALM_ID and QUICKBOOKS_REFRESH_TOKEN (or QUICKBOOKS_TOKEN_FILE) are needed with a client id",
            hint="Connect the app once (docs/quickbooks.md#connecting) and store both",
        )
    http = httpx.Client(timeout=settings.timeout_seconds)
    seed = None
    if settings.refresh_token.get_secret_value():  # expired at once: the first request refreshes with it
        seed = TokenSet(access_token=SecretStr(""), refresh_token=settings.refresh_token, expires_at=0)
    store = TokenStore(settings.token_file, provider="quickbooks", connection=settings.realm_id, tokens=seed)
    session = OAuthSession(
        http,
        TOKEN_URL,
        REVOKE_URL,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        settings.realm_id,
        store,
        on_tokens,
    )
    return QuickBooksClient(HOSTS[settings.environment], session, settings=settings, http=http)


# ------------------------------------------------------------------------------------------------ webhooks
_OPERATIONS = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "merged": "Merge",
    "voided": "Void",
    "emailed": "Emailed",
}


def verify_webhook(body: bytes, signature: str | None, verifier_token: str) -> bool:
    """True if `intuit-signature` is Base64(HMAC-SHA256(raw body, verifier token)); compared in constant time."""
    if not signature or not verifier_token:
        return False
    expected = base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature.strip())


def parse_webhook(body: bytes) -> list[ChangeEvent]:
    """Entity changes from either payload: classic `{"eventNotifications": [...]}` or a CloudEvents array
    (`type` `qbo.<entity>.<created|updated|...>.v1`). Raises `InvalidRequest` for anything else."""
    try:
        data = json.loads(body)
    except ValueError:
        raise errors.InvalidRequest("the webhook body is not JSON") from None
    events: list[ChangeEvent] = []
    try:
        if isinstance(data, dict) and "eventNotifications" in data:
            for note in data["eventNotifications"]:
                for e in note["dataChangeEvent"]["entities"]:
                    events.append(
                        ChangeEvent(
                            realm_id=str(note["realmId"]),
                            entity=e["name"],
                            id=str(e["id"]),
                            operation=e["operation"],
                            last_updated=e.get("lastUpdated"),
                            deleted_id=e.get("deletedId"),
                        )
                    )
            return events
        if isinstance(data, list):
            for e in data:
                _, entity, verb, _version = str(e["type"]).split(".")
                name = next(
                    (
                        k
                        for k in (
                            "Invoice",
                            "Customer",
                            "Payment",
                            "CreditMemo",
                            "Vendor",
                            "Bill",
                            "Purchase",
                            "Estimate",
                            "Item",
                            "Account",
                        )
                        if k.lower() == entity
                    ),
                    entity[:1].upper() + entity[1:],
                )
                events.append(
                    ChangeEvent(
                        realm_id=str(e["intuitaccountid"]),
                        entity=name,
                        id=str(e["intuitentityid"]),
                        operation=_OPERATIONS[verb],  # type: ignore[arg-type]
                        last_updated=e.get("time"),
                    )
                )
            return events
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.InvalidRequest(f"the webhook body is not a QuickBooks notification ({exc})") from None
    raise errors.InvalidRequest("the webhook body is neither eventNotifications nor a CloudEvents array")
