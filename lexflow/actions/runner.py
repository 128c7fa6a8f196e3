"""`run()`: validate, check policy, call, audit. The single path every exposure (Python, CLI, MCP, flows) takes."""

from __future__ import annotations

import getpass
import json
import re
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from typing import Any

from pydantic import BaseModel, ValidationError

from lexflow.actions.approvals import ApprovalVerifier, StoreApprovals
from lexflow.actions.errors import ActionError, ApprovalRefused, ApprovalRequired, InvalidInput, PolicyDenied
from lexflow.actions.inputs import parse_input, refuse_input
from lexflow.actions.limits import MAX_INPUT_BYTES
from lexflow.actions.policy import Profile, check, resolve_profile
from lexflow.actions.registry import Action, registry
from lexflow.audit import Actor, AuditRecord, AuditTrail, collect_calls, redact, redact_text, shared_trail
from lexflow.core.errors import CapabilityMissing

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MAX_IDS = 100
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def default_actor() -> Actor:
    try:
        return Actor.user(getpass.getuser())
    except Exception:  # no login name (containers): still attributable to "unknown"
        return Actor.user("unknown")


def client_for(profile: Profile, action: Action | None = None) -> Any:
    """A client for the profile's provider and account, as on the flow path (`lexflow.prefect.credentials`).

    A profile naming a credentials block gets a client from it (Prefect loads the block: only then is Prefect
    needed). Otherwise, on Lexware: the profile's own key and URL if it has one, else `connect()` (settings or the
    sandbox); on another provider (the profile's `provider`, else `LEXFLOW_PROVIDER`): that provider's adapter over
    its own settings (its token, else its embedded sandbox), for the provider-neutral actions. A provider without an
    adapter fails inside the action (`AdapterNotBuilt`), so the refusal is audited like any error."""
    from lexflow.providers import built, get_provider, provider_name

    name = provider_name(profile.provider)
    neutral = action is None or action.group == "neutral"
    if action is not None and not neutral and profile.provider and name != "lexware":
        from lexflow.actions.errors import InvalidInput

        raise InvalidInput(
            f"{action.name} is one of Lexware Office's own actions, and profile {profile.name!r} is on {name}: use "
            "the provider-neutral actions (`lexflow actions list --group neutral`) or a Lexware profile"
        )
    if profile.credentials and (neutral or name == "lexware"):
        from lexflow.prefect.credentials import client_for as from_block

        client = from_block(profile)
        return client if neutral else getattr(client, "client", client)  # Lexware's own actions take its client
    if neutral and name != "lexware" and name in built():
        return get_provider(name=name)
    from lexflow.lexware.client import LexwareClient, connect

    if profile.api_key is not None:
        from lexflow.settings import get_settings

        s = get_settings()
        client = LexwareClient(
            api_key=profile.api_key.get_secret_value(),
            base_url=profile.base_url or s.base_url,
            rate_limit=profile.rate_limit if profile.rate_limit is not None else s.rate_limit,
            allow_partner_endpoints=s.allow_partner_endpoints,
        )
    else:
        client = connect()
    if neutral and name == "lexware" and provider_name() != "lexware":  # else adapted to LEXFLOW_PROVIDER's
        return get_provider(client, name="lexware")
    return client


def resource_ids(*values: Any) -> list[str]:
    """Every UUID found in the input and output: the Lexware ids the action read or wrote."""
    found: dict[str, None] = {}

    def walk(v: Any) -> None:
        if len(found) >= _MAX_IDS:
            return
        if isinstance(v, BaseModel):
            v = v.model_dump(mode="json")
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list | tuple):
            for x in v:
                walk(x)
        elif isinstance(v, str) and _UUID.match(v):
            found[v.lower()] = None
        elif v is not None and not isinstance(v, str | int | float | bool) and _UUID.match(str(v)):
            found[str(v).lower()] = None

    for value in values:
        walk(value)
    return list(found)


def _handle(action: Action, client: Any, data: BaseModel) -> Any:
    """The handler's result; a model it builds from the input and that refuses it is the caller's input error."""
    try:
        return action.handler(client, data)
    except ValidationError as exc:
        refuse_input(
            action,
            [f"{'.'.join(str(p) for p in e['loc']) or '(input)'}: {e['msg']}" for e in exc.errors(include_url=False)],
        )


def _secrets(profile: Profile, client: Any) -> list[str]:
    out = []
    if profile.api_key is not None:
        out.append(profile.api_key.get_secret_value())
    key = getattr(client, "api_key", None)
    if key is not None:
        out.append(key.get_secret_value() if hasattr(key, "get_secret_value") else str(key))
    return out


def run(
    name: str,
    input: Any = None,
    *,
    actor: Actor | None = None,
    profile: Profile | str | None = None,
    client: Any = None,
    client_factory: Callable[[], Any] | None = None,
    approval_ref: str | None = None,
    trail: AuditTrail | None = None,
    audit_url: str | None = None,
    verify_approval: ApprovalVerifier | None = None,
) -> BaseModel:
    """Run one action and append exactly one audit record, whatever the outcome.

    Raises `InvalidInput`, `PolicyDenied`, `ApprovalRequired`, `ApprovalRefused` (all `ActionError`), the core's
    `CapabilityMissing` (audited as `capability_missing`), or the client's `LexwareError`. Without `client`,
    `client_factory()` supplies one (a shared, long-lived client; not closed here), else one is made from the
    profile and closed afterwards. Either way no client is created for a refused call. `approval_ref` is checked
    against and consumed in the approvals store (`verify_approval`, default `StoreApprovals()`); if the call then
    fails before any write request was sent, it is given back.
    """
    action = registry.get(name)
    actor = actor or default_actor()
    prof = resolve_profile(profile)
    trail = trail or shared_trail(audit_url)
    started = time.perf_counter()
    raw_input: Any = input
    if isinstance(raw_input, str | bytes) and len(raw_input) <= MAX_INPUT_BYTES:
        with suppress(ValueError):
            raw_input = json.loads(raw_input or "{}")
    record = AuditRecord(actor=actor, profile=prof.name, action=name, approval_ref=approval_ref, input={})
    record.input = redact(raw_input if isinstance(raw_input, dict) else {"value": raw_input})

    def finish(outcome: str, error: str | None = None, calls: list | None = None, ids: list[str] | None = None) -> None:
        record.outcome = outcome  # type: ignore[assignment]
        record.error = redact_text(error, _secrets(prof, client)) if error else None
        record.http_calls = list(calls or [])
        record.resource_ids = ids or []
        record.duration_ms = (time.perf_counter() - started) * 1000
        trail.record(record)

    try:
        data = parse_input(action, input)
    except InvalidInput as exc:
        finish("invalid_input", str(exc))
        raise
    record.input = redact(data.model_dump(mode="json", by_alias=True, exclude_none=True))
    verifier = verify_approval or StoreApprovals()
    try:
        consumed = prof.needs_approval(check(action, data, prof, approval_ref, verifier))
    except PolicyDenied as exc:
        finish("denied", str(exc), ids=resource_ids(data))
        raise
    except ApprovalRefused as exc:
        finish("approval_refused", str(exc), ids=resource_ids(data))
        raise
    except ApprovalRequired as exc:
        finish("approval_required", str(exc), ids=resource_ids(data))
        raise

    def give_back(calls: list) -> None:
        if consumed and approval_ref and not any(c.method not in _SAFE_METHODS for c in calls):
            verifier.release(approval_ref)

    with ExitStack() as stack:
        if not action.uses_client:
            pass
        elif client is None and client_factory is not None:
            client = client_factory()
        elif client is None:
            client = client_for(prof, action)
            stack.callback(client.close)
        with collect_calls(client) as calls:
            try:
                result = _handle(action, client, data)
                output = (
                    result if isinstance(result, action.output_model) else action.output_model.model_validate(result)
                )
            except ActionError as exc:
                give_back(calls)
                finish(exc.code, str(exc), calls, resource_ids(data))
                raise
            except CapabilityMissing as exc:  # the provider's API cannot: a refusal, not a failure
                give_back(calls)
                finish("capability_missing", str(exc), calls, resource_ids(data))
                raise
            except Exception as exc:
                give_back(calls)
                finish("error", f"{type(exc).__name__}: {exc}", calls, resource_ids(data))
                raise
        status = getattr(output, "status", None)
        finish("clarification" if status == "clarification" else "ok", None, calls, resource_ids(data, output))
    return output
