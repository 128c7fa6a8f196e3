"""A Xero Accounting API client: OAuth 2.0 with rotating refresh tokens, one tenant per client, Xero's limits,
and exactly-once creates.

Every create sends an `Idempotency-Key` derived from lexflow's business key (tenant + kind + key), so a retry after an
ambiguous answer (timeout, 5xx) is deduplicated by Xero itself; before retrying, the client also looks the record up
by that business key (the invoice's `Reference`, the payment's `Reference`, the contact's name), which also covers
retries after Xero's 6-minute idempotency window. Without credentials (`XERO_CLIENT_ID` unset) the client connects to
the embedded sandbox (lexflow.xero.sandbox). Facts and sources: docs/xero.md.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from lexflow.transport.base import CallRecord
from lexflow.transport.limits import AccountLimiter, Limits, account_limiter
from lexflow.transport.oauth_store import Refresher, TokenSet, TokenStore
from lexflow.transport.retry import RetryPolicy, parse_retry_after, sent_for_sure_not
from lexflow.xero.errors import (
    XeroAmbiguousWrite,
    XeroAuthError,
    XeroError,
    XeroForbidden,
    XeroIdempotencyConflict,
    XeroNotFound,
    XeroRateLimited,
    XeroServerError,
    XeroValidationError,
)
from lexflow.xero.models import (
    Account,
    Attachment,
    BankTransaction,
    Connection,
    Contact,
    Invoice,
    Payment,
    TaxRate,
)

M = TypeVar("M")
API = "/api.xro/2.0"
DEFAULT_SCOPES = (
    "openid profile email offline_access accounting.transactions accounting.contacts accounting.settings "
    "accounting.attachments"
)
REFRESH_EARLY = 60.0
"""Refresh an access token this many seconds before it expires (clock skew, slow requests)."""
USER_AGENT = "lexflow-xero/0.1 (+httpx)"


class XeroSettings(BaseSettings):
    """`XERO_*` environment variables. No `XERO_CLIENT_ID` means: use the embedded sandbox."""

    model_config = SettingsConfigDict(env_prefix="XERO_", extra="ignore")

    client_id: str | None = None
    client_secret: SecretStr | None = None
    redirect_uri: str = "http://localhost:8765/xero/callback"
    scopes: str = DEFAULT_SCOPES
    tenant_id: str | None = None
    api_url: str = "https://api.xero.com"
    identity_url: str = "https://identity.xero.com"
    login_url: str = "https://login.xero.com"
    token_file: Path | None = None
    minute_limit: int = 60
    """Calls per tenant per minute lexflow paces to (Xero: 60); 0 switches pacing off."""
    concurrent_limit: int = 5
    """Calls per tenant in flight at once (Xero: 5); 0 switches the cap off."""
    daily_limit: int = 5000
    """Calls per tenant per rolling 24 hours (Xero: 5,000; 1,000 on the Starter tier); 0 switches the budget off."""
    timeout: float = 30.0


def xero_token_store(settings: XeroSettings, key: str | bytes | SecretStr | None = None) -> TokenStore:
    """The store of the app's connection (its tokens reach every tenant the user connected; the tenant is a header):
    encrypted in `XERO_TOKEN_FILE` (shared by the worker's processes), else in memory (one process)."""
    return TokenStore(settings.token_file, key, provider="xero", connection=settings.client_id or "")


def idempotency_key(tenant_id: str, kind: str, business_key: str) -> str:
    """The same business key always gives the same `Idempotency-Key` (≤ 128 characters), in every process."""
    digest = hashlib.sha256(f"{tenant_id.lower()}|{kind}|{business_key}".encode()).hexdigest()
    return f"lexflow-{kind}-{digest[:48]}"


# ------------------------------------------------------------------------------------------------ OAuth
class XeroOAuth:
    """The authorization-code flow, refresh with rotation, revocation and the tenant list (`/connections`)."""

    def __init__(self, settings: XeroSettings, http: httpx.Client, store: TokenStore | None = None) -> None:
        if not settings.client_id or settings.client_secret is None:
            raise XeroAuthError(
                "XERO_CLIENT_ID and XERO_CLIENT_SECRET are both needed",
                hint="Set both, or neither to use the embedded sandbox",
            )
        self.settings = settings
        self.http = http
        self.store = store or xero_token_store(settings)
        self.tokens = Refresher(
            self.store,
            self._grant,
            margin=REFRESH_EARLY,
            not_connected=lambda: XeroAuthError(
                "lexflow is not connected to Xero (no tokens, or no refresh token: was offline_access granted?)",
                hint="Run the authorisation (authorization_url, then exchange_code) first",
            ),
        )

    @property
    def refreshes(self) -> int:
        """Refreshes this client sent to Xero's token endpoint."""
        return self.tokens.refreshes

    def authorization_url(self, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": self.settings.redirect_uri,
                "scope": self.settings.scopes,
                "state": state,
            }
        )
        return f"{self.settings.login_url.rstrip('/')}/identity/connect/authorize?{query}"

    def _basic(self) -> dict[str, str]:
        assert self.settings.client_secret is not None
        raw = f"{self.settings.client_id}:{self.settings.client_secret.get_secret_value()}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def _token_call(self, form: dict[str, str], previous: TokenSet | None = None) -> TokenSet:
        url = f"{self.settings.identity_url.rstrip('/')}/connect/token"
        try:
            answer = self.http.post(url, data=form, headers=self._basic())
        except httpx.HTTPError as exc:
            raise XeroAuthError(
                f"the token endpoint did not answer ({type(exc).__name__})",
                hint="Check the network; the stored tokens were kept",
            ) from None
        if answer.status_code != 200:
            error = _json_or(answer, {}).get("error", f"HTTP {answer.status_code}")
            raise XeroAuthError(
                f"Xero refused the token request ({error})",
                status=answer.status_code,
                hint="Connect lexflow to Xero again (the refresh token expired, was revoked or was already rotated)",
            )
        return TokenSet.from_response(answer.json(), previous, default_lifetime=1800.0)

    def _grant(self, current: TokenSet) -> TokenSet:
        assert current.refresh_token is not None
        return self._token_call(
            {"grant_type": "refresh_token", "refresh_token": current.refresh_token.get_secret_value()}, current
        )

    def exchange_code(self, code: str) -> TokenSet:
        tokens = self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.settings.redirect_uri}
        )
        with self.store.lock():
            self.store.save(tokens)
        return tokens

    def access_token(self) -> str:
        return self.tokens.valid().access_token.get_secret_value()

    def refresh(self, stale_access_token: str | None = None) -> str:
        """A fresh access token. With `stale_access_token`, a refresh another thread/process did meanwhile counts."""
        if stale_access_token is None:
            return self.tokens.force().access_token.get_secret_value()
        return self.tokens.refresh(stale_access_token).access_token.get_secret_value()

    def connections(self) -> list[Connection]:
        url = f"{self.settings.api_url.rstrip('/')}/connections"
        answer = self.http.get(
            url, headers={"Authorization": f"Bearer {self.access_token()}", "Accept": "application/json"}
        )
        if answer.status_code != 200:
            raise XeroAuthError(
                f"could not list the connected organisations (HTTP {answer.status_code})",
                status=answer.status_code,
                hint="Connect again",
            )
        return [Connection.model_validate(c) for c in answer.json()]

    def revoke(self) -> None:
        tokens = self.store.load()
        if tokens is None or tokens.refresh_token is None:
            return
        url = f"{self.settings.identity_url.rstrip('/')}/connect/revocation"
        self.http.post(url, data={"token": tokens.refresh_token.get_secret_value()}, headers=self._basic())


def _json_or(answer: httpx.Response, default: Any) -> Any:
    try:
        return answer.json()
    except ValueError:
        return default


# ------------------------------------------------------------------------------------------------ the sandbox default
_sandbox_lock = threading.Lock()
_sandbox: Any = None


def embedded_sandbox() -> Any:
    """The process's embedded Xero sandbox (started on first use)."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            from lexflow.xero.sandbox import serve_xero_in_thread

            _sandbox = serve_xero_in_thread()
        return _sandbox


def sandbox_settings(url: str, **overrides: Any) -> XeroSettings:
    """Settings that point every Xero host at a sandbox URL, with the sandbox's own OAuth app."""
    from lexflow.xero.sandbox.config import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

    values: dict[str, Any] = {
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SecretStr(SANDBOX_CLIENT_SECRET),
        "api_url": url,
        "identity_url": url,
        "login_url": url,
        **overrides,
    }
    return XeroSettings.model_validate(values)


def authorise_programmatically(oauth: XeroOAuth, tenant_ids: list[str] | None = None) -> TokenSet:
    """The consent step against the sandbox, which says yes at once (a real Xero needs a person in a browser)."""
    url = oauth.authorization_url(secrets.token_urlsafe(8))
    if tenant_ids:
        url += "&" + urlencode({"tenants": ",".join(tenant_ids)})
    answer = oauth.http.get(url, follow_redirects=False)
    query = parse_qs(urlparse(answer.headers.get("location", "")).query)
    if "code" not in query:
        raise XeroAuthError(f"the sandbox refused the authorisation ({query.get('error', ['?'])[0]})")
    return oauth.exchange_code(query["code"][0])


# ------------------------------------------------------------------------------------------------ limits
def xero_limiter(
    settings: XeroSettings, tenant_id: str, *, paced: bool = True, directory: str | os.PathLike[str] | None = None
) -> AccountLimiter:
    """The transport's limiter of one tenant (docs/xero.md#limits): the minute rate, the calls in flight and the daily
    budget, shared by every process of the machine. `paced=False` keeps the cap and the budget but not the pace
    (tests against a sandbox)."""
    limits = Limits(
        rate=settings.minute_limit / 60.0 if paced else 0.0,
        concurrent=settings.concurrent_limit or None,
        daily=settings.daily_limit or None,
        window="rolling-24h",
    )
    tenant = tenant_id.lower()
    return account_limiter("xero", settings.api_url, tenant, limits, label=f"tenant {tenant}", directory=directory)


def _observe(limiter: AccountLimiter, answer: httpx.Response) -> None:
    """What Xero's answer says about the limits: a day-limit 429 blocks the budget for its `Retry-After`, a minute one
    pushes the pace back for everyone, and `X-DayLimit-Remaining` brings the budget's count up to Xero's."""
    problem = (answer.headers.get("X-Rate-Limit-Problem") or "").lower()
    if answer.status_code == 429 and problem == "day" and limiter.budget is not None:
        limiter.budget.block_for(parse_retry_after(answer.headers.get("Retry-After")) or 60.0)
    elif answer.status_code == 429 and problem == "minute" and limiter.rate > 0:
        limiter.penalize(1.0 / limiter.rate)
    remaining = answer.headers.get("X-DayLimit-Remaining")
    if remaining is not None and remaining.isdigit() and limiter.budget is not None:
        limiter.budget.sync(int(remaining))


# ------------------------------------------------------------------------------------------------ the client
class XeroClient:
    """One Xero organisation (tenant). Build it with `XeroClient.connect()`; safe to share between threads."""

    def __init__(
        self,
        oauth: XeroOAuth,
        tenant_id: str,
        *,
        retry: RetryPolicy | None = None,
        limiter: AccountLimiter | None = None,
        settle_delay: float = 0.0,
    ) -> None:
        self.oauth = oauth
        self.http = oauth.http
        self.tenant_id = tenant_id
        self.base = oauth.settings.api_url.rstrip("/") + API
        self.retry = retry or RetryPolicy(max_attempts=4, backoff_base=0.2, backoff_cap=5.0)
        s = oauth.settings
        self.limiter = limiter or xero_limiter(s, tenant_id)
        self.settle_delay = settle_delay
        self.calls = 0
        self._listeners: list[Callable[[CallRecord], None]] = []
        self._owns_http = False

    def close(self) -> None:
        """Close the HTTP connections, if `connect()` opened them (a client given its own keeps it open)."""
        if self._owns_http:
            self.http.close()

    def add_call_listener(self, listener: Callable[[CallRecord], None]) -> None:
        """Call `listener(CallRecord)` after every HTTP attempt (the audit trail); it never sees headers or queries."""
        self._listeners.append(listener)

    def _notify(self, record: CallRecord) -> None:
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):  # a broken listener must not break the API call
                listener(record)

    @classmethod
    def connect(
        cls,
        settings: XeroSettings | None = None,
        *,
        tenant_id: str | None = None,
        http: httpx.Client | None = None,
        **kwargs: Any,
    ) -> XeroClient:
        """From `XERO_*` settings; without credentials, against the embedded sandbox (authorised on the spot)."""
        settings = settings or XeroSettings()
        owns = http is None
        sandbox = settings.client_id is None
        if sandbox:
            settings = sandbox_settings(embedded_sandbox().url, tenant_id=settings.tenant_id)
        http = http or httpx.Client(timeout=settings.timeout, headers={"User-Agent": USER_AGENT})
        oauth = XeroOAuth(settings, http)
        if sandbox:
            authorise_programmatically(oauth)
        tenant = tenant_id or settings.tenant_id
        if tenant is None:
            connections = oauth.connections()
            if not connections:
                raise XeroAuthError("the token reaches no organisation", hint="Connect an organisation in Xero")
            tenant = connections[0].tenant_id
        client = cls(oauth, tenant, **kwargs)
        client._owns_http = owns
        return client

    def for_tenant(self, tenant_id: str) -> XeroClient:
        """A client for another organisation on the same connection (its own limits, never mixed)."""
        limiter = None
        if self.limiter.rate == 0:  # same pacing policy as this client, but the other tenant's own limits
            limiter = xero_limiter(self.oauth.settings, tenant_id, paced=False)
        return XeroClient(self.oauth, tenant_id, retry=self.retry, settle_delay=self.settle_delay, limiter=limiter)

    # -- transport ------------------------------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        token = self.oauth.access_token()
        hdrs = {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": self.tenant_id,
            "Accept": accept,
            **(headers or {}),
        }
        data = content
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            hdrs["Content-Type"] = "application/json"
        elif content_type:
            hdrs["Content-Type"] = content_type
        with self.limiter.slot():
            self.calls += 1
            started = time.monotonic()
            try:
                answer = self.http.request(method, self.base + path, params=params, content=data, headers=hdrs)
            except httpx.TransportError as exc:
                elapsed = round((time.monotonic() - started) * 1000, 1)
                self._notify(CallRecord(method, API + path, None, elapsed, self.calls, type(exc).__name__))
                raise
        self._notify(
            CallRecord(
                method, API + path, answer.status_code, round((time.monotonic() - started) * 1000, 1), self.calls
            )
        )
        _observe(self.limiter, answer)
        return answer

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        idempotency: str | None = None,
        lookup: Callable[[], Any] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Any:
        """One call with Xero's retry rules. Returns the parsed JSON (or bytes for non-JSON answers).

        Reads are retried on 5xx and transport errors. A write is only retried with an `Idempotency-Key` (Xero then
        answers a duplicate with the first answer); before each retry `lookup()` is asked whether the write landed.
        """
        headers = {**(extra_headers or {}), **({"Idempotency-Key": idempotency} if idempotency else {})}
        write = method in ("PUT", "POST", "DELETE")
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.retry.max_attempts
            failure: Exception | None = None
            answer: httpx.Response | None = None
            try:
                answer = self._send(
                    method,
                    path,
                    params=params,
                    body=body,
                    content=content,
                    content_type=content_type,
                    accept=accept,
                    headers=headers,
                )
            except httpx.TransportError as exc:
                failure = exc
            if answer is not None and answer.is_success:
                if answer.status_code == 204 or not answer.content:
                    return None
                if "json" in answer.headers.get("content-type", ""):
                    return answer.json()
                return answer.content
            if answer is not None and answer.status_code == 401 and not refreshed:
                refreshed = True
                self.oauth.refresh(answer.request.headers["Authorization"].removeprefix("Bearer "))
                attempt -= 1
                continue
            if answer is not None and answer.status_code == 429:
                problem = (answer.headers.get("X-Rate-Limit-Problem") or "").lower()
                after = parse_retry_after(answer.headers.get("Retry-After"))
                if problem == "day" or last or (after or 0) > self.retry.max_retry_after:
                    raise XeroRateLimited(
                        f"Xero's {problem or 'rate'} limit was reached",
                        retry_after=after,
                        problem=problem or None,
                        status=429,
                        hint=f"Retry after {after:.0f} s" if after else "Retry later",
                    )
                time.sleep(self.retry.delay_for_429(answer, attempt))
                continue
            unknown = failure is not None or (answer is not None and answer.status_code >= 500)
            if not unknown:
                assert answer is not None
                raise _error(answer)
            if failure is not None and sent_for_sure_not(failure):
                if last:
                    raise XeroServerError(
                        f"could not connect to Xero ({type(failure).__name__})", hint="Check the network"
                    ) from failure
                time.sleep(self.retry.backoff(attempt))
                continue
            if write:
                if lookup is not None:
                    if self.settle_delay:
                        time.sleep(self.settle_delay)
                    found = lookup()
                    if found is not None:
                        return found
                if idempotency is None or last:
                    cause = f"HTTP {answer.status_code}" if answer is not None else type(failure).__name__
                    raise XeroAmbiguousWrite(
                        f"the outcome of {method} {path} is unknown ({cause})",
                        status=answer.status_code if answer is not None else None,
                        hint="It was not repeated blind; look for the record in Xero before sending it again",
                    )
            elif last:
                if answer is not None:
                    raise _error(answer)
                raise XeroServerError(f"no answer from Xero ({type(failure).__name__})", hint="Retry later")
            time.sleep(self.retry.backoff(attempt))

    def _key(self, kind: str, business_key: str) -> str:
        return idempotency_key(self.tenant_id, kind, business_key)

    # -- reference data -------------------------------------------------------------------------------------------
    def accounts(self, where: str | None = None) -> list[Account]:
        return [Account.model_validate(a) for a in self.request("GET", "/Accounts", params=_p(where=where))["Accounts"]]

    def tax_rates(self) -> list[TaxRate]:
        return [TaxRate.model_validate(t) for t in self.request("GET", "/TaxRates")["TaxRates"]]

    def organisation(self) -> dict[str, Any]:
        return self.request("GET", "/Organisation")["Organisations"][0]  # type: ignore[no-any-return]

    # -- contacts -------------------------------------------------------------------------------------------------
    def create_contact(self, contact: Contact) -> Contact:
        """Create; the name is the business key (Xero keeps names unique among active contacts)."""
        body = {"Contacts": [contact.to_body()]}

        def lookup() -> Contact | None:
            found = self.find_contacts(name=contact.name)
            return found[0] if found else None

        answer = self.request(
            "PUT", "/Contacts", body=body, idempotency=self._key("contact", contact.name.casefold()), lookup=lookup
        )
        return answer if isinstance(answer, Contact) else Contact.model_validate(answer["Contacts"][0])

    def get_contact(self, contact_id: str) -> Contact:
        return Contact.model_validate(self.request("GET", f"/Contacts/{_seg(contact_id)}")["Contacts"][0])

    def find_contacts(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        search: str | None = None,
        include_archived: bool = False,
    ) -> list[Contact]:
        """Exact name or e-mail (any letter case, server-side `where`), or `searchTerm` across names and e-mails."""
        clauses = []
        if name is not None:
            clauses.append(f"Name=={_quote(name)}")
        if email is not None:
            clauses.append(f"EmailAddress=={_quote(email)}")
        params = _p(
            where=" AND ".join(clauses) or None, searchTerm=search, includeArchived="true" if include_archived else None
        )
        return [Contact.model_validate(c) for c in self.request("GET", "/Contacts", params=params)["Contacts"]]

    def update_contact(self, contact_id: str, **changes: Any) -> Contact:
        """`changes` in Xero's field names (`EmailAddress=...`); last writer wins (Xero has no version token)."""
        answer = self.request("POST", f"/Contacts/{_seg(contact_id)}", body={"Contacts": [changes]})
        return Contact.model_validate(answer["Contacts"][0])

    def archive_contact(self, contact_id: str) -> Contact:
        return self.update_contact(contact_id, ContactStatus="ARCHIVED")

    # -- invoices -------------------------------------------------------------------------------------------------
    def create_invoice(self, invoice: Invoice, business_key: str | None = None) -> Invoice:
        """Create exactly once. The business key is the invoice's `Reference` (sales) or `InvoiceNumber` (bills)."""
        key = business_key or (invoice.reference if invoice.type == "ACCREC" else invoice.invoice_number)
        if not key:
            raise XeroValidationError(
                "an invoice needs a business key",
                hint="Give business_key, or a Reference (sales invoices) / InvoiceNumber (bills)",
            )
        if invoice.type == "ACCREC" and invoice.reference is None:
            invoice = invoice.model_copy(update={"reference": key})
        if invoice.type == "ACCPAY" and invoice.invoice_number is None:
            invoice = invoice.model_copy(update={"invoice_number": key})

        def lookup() -> Invoice | None:
            return self.find_invoice(key, invoice.type, invoice.contact.contact_id)

        answer = self.request(
            "PUT",
            "/Invoices",
            body={"Invoices": [invoice.to_body()]},
            idempotency=self._key("invoice", key),
            lookup=lookup,
        )
        return answer if isinstance(answer, Invoice) else Invoice.model_validate(answer["Invoices"][0])

    def find_invoice(self, business_key: str, type: str = "ACCREC", contact_id: str | None = None) -> Invoice | None:
        """The live (not deleted or voided) invoice carrying this business key, or None."""
        field = "Reference" if type == "ACCREC" else "InvoiceNumber"
        where = f"Type=={_quote(type)} AND {field}=={_quote(business_key)}"
        if contact_id:
            where += f' AND Contact.ContactID==Guid("{contact_id}")'
        params = {"where": where, "Statuses": "DRAFT,SUBMITTED,AUTHORISED,PAID", "page": 1}
        found = self.request("GET", "/Invoices", params=params)["Invoices"]
        return Invoice.model_validate(found[0]) if found else None

    def get_invoice(self, invoice_id: str) -> Invoice:
        return Invoice.model_validate(self.request("GET", f"/Invoices/{_seg(invoice_id)}")["Invoices"][0])

    def list_invoices(
        self,
        *,
        statuses: list[str] | None = None,
        where: str | None = None,
        contact_ids: list[str] | None = None,
        modified_since: datetime | None = None,
        page_size: int = 100,
    ) -> Iterator[Invoice]:
        """All matching invoices with their lines, page by page (`page` makes Xero include line items)."""
        page = 1
        while True:
            params = _p(
                Statuses=",".join(statuses) if statuses else None,
                where=where,
                ContactIDs=",".join(contact_ids) if contact_ids else None,
                page=page,
                pageSize=page_size,
            )
            headers = None
            if modified_since is not None:
                headers = {"If-Modified-Since": modified_since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")}
            answer = self.request("GET", "/Invoices", params=params, extra_headers=headers)
            items = answer["Invoices"]
            yield from (Invoice.model_validate(i) for i in items)
            pagination = answer.get("pagination") or {}
            if len(items) < page_size or page >= pagination.get("pageCount", page):
                return
            page += 1

    def update_invoice(self, invoice_id: str, **changes: Any) -> Invoice:
        """`changes` in Xero's field names. Lines sent replace the old ones (echo `LineItemID` to keep a line)."""
        answer = self.request("POST", f"/Invoices/{_seg(invoice_id)}", body={"Invoices": [changes]})
        return Invoice.model_validate(answer["Invoices"][0])

    def submit(self, invoice_id: str) -> Invoice:
        return self.update_invoice(invoice_id, Status="SUBMITTED")

    def approve(self, invoice_id: str) -> Invoice:
        return self.update_invoice(invoice_id, Status="AUTHORISED")

    def void(self, invoice_id: str) -> Invoice:
        return self.update_invoice(invoice_id, Status="VOIDED")

    def delete(self, invoice_id: str) -> Invoice:
        return self.update_invoice(invoice_id, Status="DELETED")

    def email_invoice(self, invoice_id: str) -> None:
        """Xero sends its own e-mail to the contact (sales invoices that are submitted, authorised or paid)."""
        self.request("POST", f"/Invoices/{_seg(invoice_id)}/Email", body={})

    def invoice_pdf(self, invoice_id: str) -> bytes:
        answer = self.request("GET", f"/Invoices/{_seg(invoice_id)}/pdf", accept="application/pdf")
        assert isinstance(answer, bytes)
        return answer

    def attach(
        self, endpoint: str, record_id: str, filename: str, content: bytes, media_type: str = "application/pdf"
    ) -> Attachment:
        """Attach a file (`endpoint`: Invoices, CreditNotes, BankTransactions, Contacts); a name is used once."""
        answer = self.request(
            "PUT",
            f"/{endpoint}/{_seg(record_id)}/Attachments/{_seg(filename)}",
            content=content,
            content_type=media_type,
        )
        return Attachment.model_validate(answer["Attachments"][0])

    # -- bank transactions ----------------------------------------------------------------------------------------
    def get_bank_transaction(self, transaction_id: str) -> BankTransaction:
        answer = self.request("GET", f"/BankTransactions/{_seg(transaction_id)}")
        return BankTransaction.model_validate(answer["BankTransactions"][0])

    def list_bank_transactions(self, *, where: str | None = None, page_size: int = 100) -> Iterator[BankTransaction]:
        page = 1
        while True:
            answer = self.request("GET", "/BankTransactions", params=_p(where=where, page=page, pageSize=page_size))
            items = answer["BankTransactions"]
            yield from (BankTransaction.model_validate(i) for i in items)
            if len(items) < page_size:
                return
            page += 1

    # -- payments -------------------------------------------------------------------------------------------------
    def create_payment(self, payment: Payment, business_key: str | None = None) -> Payment:
        """Record a payment exactly once; the business key (e.g. the bank line's id) goes into its `Reference`."""
        key = business_key or payment.reference
        if not key:
            raise XeroValidationError("a payment needs a business key", hint="Give business_key or a Reference")
        if payment.reference is None:
            payment = payment.model_copy(update={"reference": key})

        def lookup() -> Payment | None:
            return self.find_payment(key)

        answer = self.request(
            "PUT",
            "/Payments",
            body={"Payments": [payment.to_body()]},
            idempotency=self._key("payment", key),
            lookup=lookup,
        )
        return answer if isinstance(answer, Payment) else Payment.model_validate(answer["Payments"][0])

    def find_payment(self, reference: str) -> Payment | None:
        where = f'Reference=={_quote(reference)} AND Status=="AUTHORISED"'
        found = self.request("GET", "/Payments", params={"where": where})["Payments"]
        return Payment.model_validate(found[0]) if found else None

    def list_payments(self, *, where: str | None = None) -> list[Payment]:
        """All matching payments (Xero returns payments unpaged)."""
        return [Payment.model_validate(p) for p in self.request("GET", "/Payments", params=_p(where=where))["Payments"]]

    def get_payment(self, payment_id: str) -> Payment:
        return Payment.model_validate(self.request("GET", f"/Payments/{_seg(payment_id)}")["Payments"][0])

    def delete_payment(self, payment_id: str) -> Payment:
        answer = self.request("POST", f"/Payments/{_seg(payment_id)}", body={"Payments": [{"Status": "DELETED"}]})
        return Payment.model_validate(answer["Payments"][0])

    # -- history sync (F2b) ---------------------------------------------------------------------------------------
    def changed(
        self, resource: str, modified_since: datetime | None, page_size: int = 1000
    ) -> Iterator[list[dict[str, Any]]]:
        """Raw records of `resource` (Contacts, Invoices, CreditNotes) created or changed after `modified_since`
        (`If-Modified-Since`; None: all), archived and deleted ones included, one list per page of up to 1,000
        (paged lists carry the line items): the history sync."""
        headers = None
        if modified_since is not None:
            headers = {"If-Modified-Since": modified_since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")}
        page = 1
        while True:
            params = {"page": page, "pageSize": page_size, "includeArchived": "true"}
            items = list(self.request("GET", f"/{resource}", params=params, extra_headers=headers)[resource])
            yield items
            if len(items) < page_size:
                return
            page += 1


def _p(**params: Any) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _seg(value: str) -> str:
    from urllib.parse import quote

    if not value or value in (".", ".."):
        raise XeroValidationError("an empty id or file name cannot be used in a URL")
    return quote(value, safe="")


def _error(answer: httpx.Response) -> XeroError:
    body = _json_or(answer, None)
    status = answer.status_code
    if isinstance(body, dict) and body.get("Type") in (
        "ValidationException",
        "PostDataInvalidException",
        "QueryParseException",
    ):
        messages = [e["Message"] for el in body.get("Elements") or [] for e in el.get("ValidationErrors") or []]
        message = str(body.get("Message") or body["Type"])
        if "different request" in message:
            return XeroIdempotencyConflict(
                message,
                status=status,
                body=body,
                hint="This business key was already "
                "used for other content in the last minutes; use a new key or the same "
                "content",
            )
        return XeroValidationError(
            f"Xero refused the request ({body['Type']}: {message})", status=status, messages=messages, body=body
        )
    if status == 404:
        return XeroNotFound("no such record in this organisation", status=404, hint="Check the id")
    if status == 401:
        return XeroAuthError("Xero refused the access token", status=401, hint="Connect lexflow to Xero again")
    if status == 403:
        detail = body.get("Detail") if isinstance(body, dict) else None
        return XeroForbidden(
            f"Xero refused access ({detail or 'Forbidden'})",
            status=403,
            hint="Check that the organisation is connected and the scopes include this resource",
        )
    if status >= 500:
        return XeroServerError(f"Xero failed (HTTP {status})", status=status, hint="Retry later")
    return XeroError(f"unexpected answer HTTP {status}", status=status, body=body)
