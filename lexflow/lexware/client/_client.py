"""`LexwareClient` (sync) and `AsyncLexwareClient`: the I/O edges over the shared core in `transport.py`."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from pydantic import SecretStr

from lexflow.lexware.client import _resources as r
from lexflow.lexware.client.auth import ApiKeyAuth
from lexflow.transport.base import Acquire, BaseClient, Item, Op, Send, Sleep, Step
from lexflow.transport.limits import Limiter
from lexflow.transport.retry import RetryPolicy

DEFAULT_BASE_URL = "https://api.lexware.io"


class _Namespaces:
    """The resource namespaces, attached once per client."""

    def _attach(self) -> None:
        c: Any = self
        self.profile = r.ProfileResource(c)
        self.contacts = r.ContactsResource(c)
        self.articles = r.ArticlesResource(c)
        self.invoices = r.InvoicesResource(c)
        self.credit_notes = r.CreditNotesResource(c)
        self.order_confirmations = r.OrderConfirmationsResource(c)
        self.quotations = r.QuotationsResource(c)
        self.delivery_notes = r.DeliveryNotesResource(c)
        self.dunnings = r.DunningsResource(c)
        self.down_payment_invoices = r.DownPaymentInvoicesResource(c)
        self.recurring_templates = r.RecurringTemplatesResource(c)
        self.voucherlist = r.VoucherlistResource(c)
        self.vouchers = r.VouchersResource(c)
        self.files = r.FilesResource(c)
        self.payments = r.PaymentsResource(c)
        self.countries = r.CountriesResource(c)
        self.payment_conditions = r.PaymentConditionsResource(c)
        self.posting_categories = r.PostingCategoriesResource(c)
        self.print_layouts = r.PrintLayoutsResource(c)
        self.event_subscriptions = r.EventSubscriptionsResource(c)
        self.transaction_assignment_hints = r.TransactionAssignmentHintsResource(c)


def _setup(
    api_key: str | SecretStr | None, auth: httpx.Auth | None
) -> tuple[SecretStr | None, httpx.Auth | None, str | None]:
    """The key as a SecretStr, the auth, and what identifies the account for the shared limits: a digest of the
    key (the client never keeps the key in plain text) or the OAuth connection's id."""
    key = SecretStr(api_key) if isinstance(api_key, str) else api_key
    if auth is None and key is not None:
        auth = ApiKeyAuth(key)
    if key is not None:
        return key, auth, hashlib.sha256(key.get_secret_value().encode()).hexdigest()
    return key, auth, getattr(auth, "account_id", None)


def _advance(op: Op, value: Any, error: BaseException | None) -> tuple[bool, Any]:
    """Resume `op` with the last step's result or error: (True, its return value) or (False, its next step)."""
    try:
        return False, (op.throw(error) if error is not None else op.send(value))
    except StopIteration as stop:
        return True, stop.value


def _timeout(timeout: float | httpx.Timeout, connect_timeout: float) -> httpx.Timeout:
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout, connect=connect_timeout)


class _Client(BaseClient, _Namespaces):
    """Constructor shared by both clients; `_open` creates the flavour's httpx client."""

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str = DEFAULT_BASE_URL,
        rate_limit: float = 2.0,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        limiter: Limiter | None = None,
        *,
        auth: httpx.Auth | None = None,
        timeout: float | httpx.Timeout = 35.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        settle_delay: float = 1.0,
        allow_partner_endpoints: bool = False,
        backend_description: str | None = None,
        max_in_flight: int | None = 2,
    ) -> None:
        """`rate_limit`: requests/second for the account (0: off); `limiter` replaces the process-wide token bucket
        (e.g. the Prefect backend of `lexflow.prefect.limiter`); `max_in_flight`: requests of the account in flight at once;
        `settle_delay`: seconds before the lookup that settles an unknown POST outcome."""
        key, auth, digest = _setup(api_key, auth)
        if auth is None:
            raise ValueError("give api_key (or an OAuth2 auth): the API needs a Bearer token")
        self.api_key = key
        super().__init__(
            base_url=base_url,
            api_key_digest_source=digest,
            rate_limit=rate_limit,
            limiter=limiter,
            retry=retry,
            settle_delay=settle_delay,
            allow_partner_endpoints=allow_partner_endpoints,
            backend_description=backend_description or f"Lexware Office API at {base_url.rstrip('/')}",
            max_in_flight=max_in_flight,
        )
        self._open(transport, _timeout(timeout, connect_timeout), auth)
        self._attach()

    def _open(self, transport: Any, timeout: httpx.Timeout, auth: httpx.Auth) -> None:  # pragma: no cover
        raise NotImplementedError


class LexwareClient(_Client):
    """Synchronous client: values and iterators."""

    def _open(self, transport: Any, timeout: httpx.Timeout, auth: httpx.Auth) -> None:
        self._http = httpx.Client(transport=transport, timeout=timeout, auth=auth)
        self._closers: list[Any] = []

    # -- I/O edges
    def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            with self.limits.in_flight():
                return self._http.send(step.request)
        if isinstance(step, Acquire):
            self.limits.acquire()
        elif isinstance(step, Sleep):
            time.sleep(step.seconds)
        return None

    def _attempt(self, step: Step) -> tuple[Any, BaseException | None]:
        try:
            return self._perform(step), None
        except Exception as exc:
            return None, exc

    def _run(self, op: Op) -> Any:
        value, error = None, None
        while True:
            done, step = _advance(op, value, error)
            if done:
                return step
            value, error = self._attempt(step)

    def _iter(self, op: Op) -> Iterator[Any]:
        value, error = None, None
        while True:
            done, step = _advance(op, value, error)
            if done:
                return
            if isinstance(step, Item):
                yield step.value
                value, error = None, None
            else:
                value, error = self._attempt(step)

    # -- lifecycle
    def close(self) -> None:
        self._http.close()
        for closer in self._closers:
            closer()
        self._closers.clear()

    def __enter__(self) -> LexwareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncLexwareClient(_Client):
    """Asyncio client with the same namespaces: methods return awaitables, `list`/`iter` async iterators."""

    profile: Any
    contacts: Any
    articles: Any
    invoices: Any
    credit_notes: Any
    order_confirmations: Any
    quotations: Any
    delivery_notes: Any
    dunnings: Any
    down_payment_invoices: Any
    recurring_templates: Any
    voucherlist: Any
    vouchers: Any
    files: Any
    payments: Any
    countries: Any
    payment_conditions: Any
    posting_categories: Any
    print_layouts: Any
    event_subscriptions: Any
    transaction_assignment_hints: Any

    def _open(self, transport: Any, timeout: httpx.Timeout, auth: httpx.Auth) -> None:
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, auth=auth)
        self._closers: list[Any] = []

    async def _aperform(self, step: Step) -> Any:
        if isinstance(step, Send):
            async with self.limits.ain_flight():
                return await self._http.send(step.request)
        if isinstance(step, Acquire):
            await self.limits.aacquire()
        elif isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
        return None

    async def _attempt(self, step: Step) -> tuple[Any, BaseException | None]:
        try:
            return await self._aperform(step), None
        except Exception as exc:
            return None, exc

    async def _run(self, op: Op) -> Any:
        value, error = None, None
        while True:
            done, step = _advance(op, value, error)
            if done:
                return step
            value, error = await self._attempt(step)

    async def _iter(self, op: Op) -> AsyncIterator[Any]:
        value, error = None, None
        while True:
            done, step = _advance(op, value, error)
            if done:
                return
            if isinstance(step, Item):
                yield step.value
                value, error = None, None
            else:
                value, error = await self._attempt(step)

    async def aclose(self) -> None:
        await self._http.aclose()
        for closer in self._closers:
            closer()
        self._closers.clear()

    async def __aenter__(self) -> AsyncLexwareClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
