"""What every lexflow task shares: the client (one per process, account rate limit through Prefect), the flow's
actor and profile, business cache keys, and `run_action`, the single path from a task to `lexflow.actions.run`.

Retries: none here. The client already retries 429/5xx with backoff and refuses to repeat ambiguous POSTs; a
Prefect retry on top would multiply attempts and could repeat a write (docs/prefect.md#retries).
Idempotency: every side-effecting task persists its result under a business key (`business_key`), so a flow
retry, a resumed suspended run or a rerun of the same request finds the result instead of writing again (docs/prefect.md#results-and-caching).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from lexflow.actions import Actor, Profile, resolve_profile
from lexflow.actions import run as _run
from lexflow.prefect.limiter import DEFAULT_NAME

#: The Prefect global concurrency limit (rate limit) shared by every worker that talks to one Lexware account.
RATE_LIMIT_NAME = DEFAULT_NAME
#: Its cap on Lexware calls in flight, created on first use (other accounts' limits are named by the account).
IN_FLIGHT_NAME = f"{DEFAULT_NAME}-in-flight"
#: The built-in profile flows use when none is named: flows are trusted automation, but irreversible actions
#: still need an approval reference (which `create_approve_send_invoice` gets from the approver).
FLOW_PROFILE = Profile(
    name="flows", scopes=["*"], approval_for=["irreversible"], description="default profile of lexflow flows"
)
#: How long a business cache entry is trusted (a year: invoices and uploads never need repeating).
KEEP = timedelta(days=365)

_lock = threading.Lock()
_client: Any = None
_factory: Callable[[], Any] | None = None
_accounts: dict[tuple[str, str], Any] = {}  # (provider, account key) of a profile → its long-lived client


def _default_client() -> Any:
    """The configured provider's connection (`LEXFLOW_PROVIDER`, settings: real API or its embedded sandbox), its
    pace and calls in flight kept by Prefect for every worker (`lexflow.prefect.limiter.on_prefect`).

    Lexware: `connect()` on the limit `lexware-api` that `lexflow prefect setup` makes (and the token-store key from
    a Prefect block); the others: their adapter over their own default connection, on limits named by their account,
    so the neutral actions work on all of them with no credentials."""
    from lexflow.prefect.limiter import on_prefect
    from lexflow.providers import get_provider, provider_name

    name = provider_name()
    if name != "lexware":
        return on_prefect(get_provider(None, name))
    from lexflow.lexware.client import connect

    return on_prefect(
        connect(token_key=token_key_from_block()), rate_name=RATE_LIMIT_NAME, in_flight_name=IN_FLIGHT_NAME
    )


def token_key_from_block() -> str | None:
    """The OAuth token-store key from the Prefect Secret block named by LEXFLOW_TOKEN_KEY_BLOCK (None: not set, so
    `connect()` uses LEXFLOW_TOKEN_KEY). Lets workers get the key from Prefect instead of their environment."""
    from lexflow.settings import get_settings

    name = get_settings().token_key_block
    if not name:
        return None
    from prefect.blocks.system import Secret

    try:
        secret: Any = Secret.load(name, _sync=True)  # type: ignore[call-arg]  # sync even inside an async task
    except ValueError as exc:  # Prefect: "Unable to find block document named ..."
        raise RuntimeError(
            f"LEXFLOW_TOKEN_KEY_BLOCK names the Prefect Secret block {name!r}, which does not exist: create it "
            "(`Secret(value=KEY).save(name)` or Blocks → Secret in the UI) or unset the variable"
        ) from exc
    return str(secret.get())


def get_client() -> Any:
    """The process-wide connection (long-lived, so connections and the limiter are shared by all tasks): a
    `LexwareClient` on Lexware, the provider's `Provider` adapter on the others (`provider_of()` adapts either)."""
    global _client
    with _lock:
        if _client is None:
            _client = (_factory or _default_client)()
        return _client


def client_for_profile(profile: Profile) -> Any:
    """The client of the profile's provider and account (its credentials block, `lexflow.prefect.credentials`):
    one per account, kept for the process like the shared client, on that account's Prefect limits (shared by every
    worker); the shared one for a profile without credentials on the process's provider. Two profiles on two
    accounts never share a client."""
    from lexflow.prefect.credentials import account_for, client_for
    from lexflow.prefect.limiter import on_prefect

    account = account_for(profile)
    if account is None:
        return get_client()
    with _lock:
        if account not in _accounts:
            _accounts[account] = on_prefect(client_for(profile))
        return _accounts[account]


@contextmanager
def use_client(factory: Callable[[], Any] | Any) -> Iterator[None]:
    """Run flows against a given client (tests, the demo, a served sandbox) instead of the settings' backend: any
    provider's client or `Provider` adapter, or a factory of one. Neutral actions adapt a client to the provider
    `LEXFLOW_PROVIDER` names. Profiles with their own API key still get their own clients; those made inside are
    closed at the end."""
    global _client, _factory, _accounts
    with _lock:
        old = (_client, _factory, _accounts)
        _factory = factory if _is_factory(factory) else (lambda: factory)
        _client, _accounts = None, {}
    try:
        yield
    finally:
        with _lock:
            made = list(_accounts.values())
            _client, _factory, _accounts = old
        for client in made:
            client.close()


def current_provider(profile: str | None = None) -> Any:
    """The accounting system a flow's profile acts on, as a neutral `Provider` (`lexflow.providers.provider_of`):
    that profile's provider and account, the shared connection for a profile without credentials."""
    from lexflow.providers import provider_of

    return provider_of(client_for_profile(flow_profile(profile)))


def _is_factory(given: Any) -> bool:
    """A function or class making a client, not a client or adapter itself (which may happen to be callable)."""
    from lexflow.core.provider import Provider

    if isinstance(given, type):
        return True
    return callable(given) and not isinstance(given, Provider) and not hasattr(given, "close")


def flow_actor() -> Actor:
    """The current flow run as audit actor (with its Prefect UI link), or the user outside a run."""
    from prefect.runtime import flow_run

    if flow_run.id:
        return Actor.flow(str(flow_run.id), name=flow_run.flow_name or "flow", ui_url=flow_run.ui_url)
    from lexflow.actions.runner import default_actor

    return default_actor()


def flow_profile(name: str | None = None) -> Profile:
    """A `LexflowProfile` block of that name, else a profile from the profiles file, else the built-in one.

    Looked up once per flow run and name: every task of a run calls this, and a block load is an API request."""
    if not name:
        return FLOW_PROFILE
    from prefect.runtime import flow_run

    if not flow_run.id:  # outside a run (`.fn()`, scripts): nothing to scope a cache to
        return _load_profile.__wrapped__(None, name)
    return _load_profile(str(flow_run.id), name)


@lru_cache(maxsize=32)
def _load_profile(_run_id: str | None, name: str) -> Profile:
    from lexflow.prefect.blocks import LexflowProfile

    try:
        return LexflowProfile.load(name).to_profile(name)  # type: ignore[union-attr]
    except ValueError:  # "Unable to find block document named ...": the profiles file (its error names the fix)
        return resolve_profile(name)


def run_logger() -> Any:
    from prefect.logging import get_run_logger

    try:
        return get_run_logger()
    except Exception:  # called outside a run (`.fn()` in tests)
        import logging

        return logging.getLogger("lexflow.tasks")


def run_action(name: str, data: Any, *, profile: str | None = None, approval_ref: str | None = None) -> Any:
    """`lexflow.actions.run` as the current flow run, on the shared client; one audit record per call."""
    run_logger().info("action %s", name)
    prof = flow_profile(profile)
    return _run(
        name,
        data,
        actor=flow_actor(),
        profile=prof,
        client_factory=lambda: client_for_profile(prof),
        approval_ref=approval_ref,
    )


_SAFE = re.compile(r"[^a-z0-9]+")


def digest(value: Any) -> str:
    """A short stable digest of JSON-able data (models dumped by alias)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def business_key(kind: str, *parts: Any) -> str:
    """`lexflow-{kind}-{parts}` in lowercase letters, digits and dashes (valid as a Prefect storage key).

    When cleaning changed the text (`Order/4711` vs `order-4711`), a digest of the original is appended so two
    different business references never share a key.
    """
    raw = "-".join(str(p) for p in (kind, *parts))
    clean = _SAFE.sub("-", raw.lower()).strip("-")
    if clean != raw:
        clean = f"{clean[:150]}-{hashlib.sha256(raw.encode()).hexdigest()[:8]}"
    return f"lexflow-{clean}"[:200]


def key_from(kind: str, *params: str) -> Callable[[Any, dict[str, Any]], str]:
    """A `cache_key_fn` building `business_key(kind, parameters[p] ...)` from the named task parameters."""

    def _fn(_ctx: Any, parameters: dict[str, Any]) -> str:
        return business_key(kind, *(parameters[p] for p in params))

    _fn.__name__ = f"key_{kind.replace('-', '_')}"
    return _fn
