"""Everything the Xero sandbox remembers besides the books: OAuth grants and tokens, connections, the rate-limit
windows, stored idempotent answers, fault rules, sent e-mails and webhook deliveries. One lock guards it all."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lexflow.sandbox.store import Doc
from lexflow.xero.sandbox.config import XeroSandboxConfig
from lexflow.xero.sandbox.domain import Books, new_id
from lexflow.xero.sandbox.txstore import TxStore

GRANULAR = {
    "accounting.invoices": "accounting.transactions",
    "accounting.payments": "accounting.transactions",
    "accounting.banktransactions": "accounting.transactions",
    "accounting.manualjournals": "accounting.transactions",
}
KNOWN_SCOPES = frozenset(
    {
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.transactions",
        "accounting.transactions.read",
        "accounting.contacts",
        "accounting.contacts.read",
        "accounting.settings",
        "accounting.settings.read",
        "accounting.attachments",
        "accounting.attachments.read",
        "accounting.reports.read",
        "accounting.journals.read",
        *GRANULAR,
        *(f"{s}.read" for s in GRANULAR),
    }
)


@dataclass
class Grant:
    """One user's consent: the scopes and the tenants connected through it."""

    client_id: str
    scopes: frozenset[str]
    connections: dict[str, Doc]  # connection id -> connection
    auth_event_id: str = field(default_factory=new_id)
    revoked: bool = False


@dataclass
class RefreshToken:
    grant: Grant
    expires: datetime
    rotated_at: datetime | None = None
    successor: str | None = None


@dataclass
class Fault:
    """`timeout_after_commit`: the write happens, then the answer comes `delay` seconds late (the client gives up).
    `504_after_commit`: the write happens and the client gets a 504. `429`/`500`/`503`: nothing happens."""

    method: str | None
    path_prefix: str
    kind: str
    remaining: int
    delay: float = 5.0


@dataclass
class Stored:
    fingerprint: str
    status: int
    body: bytes
    headers: dict[str, str]
    media_type: str
    at: datetime


class XeroState:
    def __init__(self, config: XeroSandboxConfig | None = None) -> None:
        self.config = config or XeroSandboxConfig()
        self.lock = threading.RLock()
        self.store = TxStore(self.config.db_path)
        self.books = Books(self.store, self.now, {t.tenant_id: t for t in self.config.tenants})
        self.books.email_daily_limit = self.config.email_daily_limit
        self.books.on_event = self._queue_event
        self._reset_memory()

    def _reset_memory(self) -> None:
        self.codes: dict[str, tuple[Grant, str, datetime]] = {}
        self.access: dict[str, tuple[Grant, datetime]] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.calls: dict[tuple[str, str], deque[datetime]] = {}
        self.day_calls: dict[tuple[str, str], deque[datetime]] = {}
        self.app_calls: deque[datetime] = deque()
        self.in_flight: dict[tuple[str, str], int] = {}
        self.idempotent: dict[tuple[str, str, str], Stored] = {}
        self.faults: list[Fault] = []
        self.emails: list[Doc] = []
        self.webhook_url: str | None = None
        self.events: list[Doc] = []
        self.deliveries: list[Doc] = []
        self.sequence = 0
        self.generation = getattr(self, "generation", 0) + 1
        """Bumped by reset: a request admitted before it must not release a slot counted after it."""

    # -- clock ------------------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=float(self.store.meta("clock_offset", 0.0)))

    def advance(self, seconds: float) -> datetime:
        with self.lock:
            self.store.set_meta("clock_offset", float(self.store.meta("clock_offset", 0.0)) + seconds)
        return self.now()

    def reset(self) -> None:
        with self.lock:
            self.store.clear()
            self._reset_memory()

    # -- OAuth ------------------------------------------------------------------------------------------------
    def check_client(self, client_id: str | None, secret: str | None) -> bool:
        return bool(
            client_id
            and secret is not None
            and hmac.compare_digest(client_id, self.config.client_id)
            and hmac.compare_digest(secret, self.config.client_secret.get_secret_value())
        )

    def authorize(self, client_id: str, scopes: frozenset[str], tenant_ids: list[str], redirect_uri: str) -> str:
        """The consent screen, answered yes: a code for these scopes and tenants (all configured ones by default)."""
        with self.lock:
            now = self.now()
            connections = {}
            for tid in tenant_ids or list(self.books.tenants):
                tenant = self.books.tenants[tid]
                cid = new_id()
                stamp = now.strftime("%Y-%m-%dT%H:%M:%S.0000000")
                connections[cid] = {
                    "id": cid,
                    "tenantId": tid,
                    "tenantType": "ORGANISATION",
                    "tenantName": tenant.name,
                    "createdDateUtc": stamp,
                    "updatedDateUtc": stamp,
                }
            grant = Grant(client_id, scopes, connections)
            for conn in connections.values():
                conn["authEventId"] = grant.auth_event_id
            code = secrets.token_urlsafe(24)
            self.codes[code] = (grant, redirect_uri, now + timedelta(seconds=self.config.code_seconds))
            return code

    def _issue(self, grant: Grant) -> Doc:
        now = self.now()
        access = secrets.token_urlsafe(32)
        self.access[access] = (grant, now + timedelta(seconds=self.config.access_token_seconds))
        body: Doc = {
            "id_token": secrets.token_urlsafe(32),
            "access_token": access,
            "expires_in": self.config.access_token_seconds,
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
        }
        if "offline_access" in grant.scopes:
            refresh = secrets.token_urlsafe(32)
            self.refresh[refresh] = RefreshToken(grant, now + timedelta(days=self.config.refresh_token_days))
            body["refresh_token"] = refresh
        return body

    def exchange_code(self, code: str, redirect_uri: str | None) -> Doc | None:
        with self.lock:
            found = self.codes.pop(code, None)
            if found is None or found[2] < self.now() or (redirect_uri and redirect_uri != found[1]):
                return None
            return self._issue(found[0])

    def use_refresh(self, token: str) -> Doc | None:
        """Rotate: a new refresh token each time; the old one still works during the grace period (lost answer)."""
        with self.lock:
            now = self.now()
            rt = self.refresh.get(token)
            if rt is None or rt.grant.revoked or rt.expires < now:
                return None
            if rt.rotated_at is not None and now - rt.rotated_at > timedelta(seconds=self.config.refresh_grace_seconds):
                return None
            body = self._issue(rt.grant)
            if rt.rotated_at is None:
                rt.rotated_at = now
            rt.successor = body.get("refresh_token")
            return body

    def revoke(self, token: str) -> None:
        """Revoking a refresh token ends the grant: all its tokens and connections."""
        with self.lock:
            rt = self.refresh.get(token)
            if rt is not None:
                rt.grant.revoked = True
                rt.grant.connections.clear()

    def bearer(self, token: str | None) -> tuple[Grant | None, str]:
        """The grant behind an access token, or None and why (`TokenExpired: ...`, `AuthenticationUnsuccessful`)."""
        if not token:
            return None, "AuthenticationUnsuccessful"
        found = self.access.get(token)
        if found is None or found[0].revoked:
            return None, "AuthenticationUnsuccessful"
        if found[1] < self.now():
            return None, f"TokenExpired: token expired at {found[1].strftime('%m/%d/%Y %H:%M:%S')}"
        return found[0], ""

    # -- limits -----------------------------------------------------------------------------------------------
    def admit(self, client_id: str, tenant: str) -> tuple[str | None, int, dict[str, str]]:
        """Count one call. Returns (problem, retry_after, headers): problem is None when the call may run."""
        cfg = self.config
        with self.lock:
            now = self.now()
            key = (client_id, tenant)
            minute = self.calls.setdefault(key, deque())
            day = self.day_calls.setdefault(key, deque())
            for window, span in ((minute, timedelta(minutes=1)), (day, timedelta(days=1)), (self.app_calls, None)):
                span = span or timedelta(minutes=1)
                while window and now - window[0] >= span:
                    window.popleft()
            problem, retry = None, 0
            if cfg.daily_limit and len(day) >= cfg.daily_limit:
                problem = "day"
                retry = max(1, int((day[0] + timedelta(days=1) - now).total_seconds()) + 1)
            elif cfg.app_minute_limit and len(self.app_calls) >= cfg.app_minute_limit:
                problem = "appminute"
                retry = max(1, int((self.app_calls[0] + timedelta(minutes=1) - now).total_seconds()) + 1)
            elif cfg.minute_limit and len(minute) >= cfg.minute_limit:
                problem = "minute"
                retry = max(1, int((minute[0] + timedelta(minutes=1) - now).total_seconds()) + 1)
            elif cfg.concurrent_limit and self.in_flight.get(key, 0) >= cfg.concurrent_limit:
                problem, retry = "concurrent", 1
            if problem is None:
                minute.append(now)
                day.append(now)
                self.app_calls.append(now)
                self.in_flight[key] = self.in_flight.get(key, 0) + 1
            headers = {
                "X-DayLimit-Remaining": str(max(0, cfg.daily_limit - len(day)) if cfg.daily_limit else 999_999),
                "X-MinLimit-Remaining": str(max(0, cfg.minute_limit - len(minute)) if cfg.minute_limit else 999_999),
                "X-AppMinLimit-Remaining": str(
                    max(0, cfg.app_minute_limit - len(self.app_calls)) if cfg.app_minute_limit else 999_999
                ),
            }
            return problem, retry, headers

    def release(self, client_id: str, tenant: str, generation: int) -> None:
        with self.lock:
            if generation != self.generation:
                return
            key = (client_id, tenant)
            self.in_flight[key] = max(0, self.in_flight.get(key, 0) - 1)

    # -- idempotency ------------------------------------------------------------------------------------------
    def stored_answer(self, scope: tuple[str, str, str], fingerprint: str) -> Stored | str | None:
        """The answer stored for this key; `"mismatch"` when the key came with another request."""
        found = self.idempotent.get(scope)
        if found is None or self.now() - found.at > timedelta(seconds=self.config.idempotency_seconds):
            return None
        return found if found.fingerprint == fingerprint else "mismatch"

    # -- faults -----------------------------------------------------------------------------------------------
    def pick_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.method in (None, method) and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    return fault
        return None

    # -- webhooks ---------------------------------------------------------------------------------------------
    def _queue_event(self, tenant: str, category: str, kind: str, rid: str) -> None:
        if self.webhook_url is None:
            return
        resource = {"INVOICE": "Invoices", "CONTACT": "Contacts", "CREDITNOTE": "CreditNotes"}[category]
        self.events.append(
            {
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/{resource}/{rid}",
                "resourceId": rid,
                "eventDateUtc": self.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                "eventType": kind,
                "eventCategory": category,
                "tenantId": tenant,
                "tenantType": "ORGANISATION",
            }
        )

    def sign(self, body: bytes, key: str | None = None) -> str:
        secret = (key or self.config.webhook_key.get_secret_value()).encode()
        return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()

    def take_events(self) -> list[Doc]:
        with self.lock:
            events, self.events = self.events, []
            return events
