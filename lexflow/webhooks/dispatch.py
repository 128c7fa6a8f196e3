"""Run the action an event type maps to: a Prefect deployment (`run_deployment`, timeout 0) or a Python callable.

Prefect is imported lazily here, the one Prefect-facing edge of the webhooks package. Deployments get an
idempotency key derived from the event, so a worker that dies after `run_deployment` but before recording it
does not start a second run when the event is retried.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lexflow.webhooks.config import CallableAction, DeploymentAction
from lexflow.webhooks.errors import PermanentFailure
from lexflow.webhooks.events import ProviderEvent, WebhookEvent
from lexflow.webhooks.templates import render


@dataclass(frozen=True)
class EventContext:
    """Everything an action may use: the event, the re-fetched resource, and where it sits in the inbox."""

    event: WebhookEvent | ProviderEvent
    resource: dict[str, Any] | None
    inbox_id: int
    generation: int = 0
    client: Any = None
    database_url: str | None = None  # the inbox's database: callables that take `database_url` get this one

    @property
    def idempotency_key(self) -> str:
        """Stable per event and replay: a retry reuses it, `lexflow webhooks replay` starts a new one."""
        return f"lexflow-webhook:{self.event.key}#{self.generation}"

    def variables(self, *, json_safe: bool) -> dict[str, Any]:
        event: Any = self.event.model_dump(mode="json", by_alias=True) if json_safe else self.event
        return {
            "provider": self.event.provider,
            "tenant": self.event.tenant,
            "resourceType": self.event.resource_type,
            "organizationId": self.event.organization_id,
            "eventType": self.event.event_type,
            "resourceId": self.event.resource_id,
            "eventDate": self.event.event_date,
            "eventKey": self.event.key,
            "inboxId": self.inbox_id,
            "event": event,
            "resource": self.resource,
            **({} if json_safe else {"client": self.client}),
        }


class Dispatcher:
    """Turns (action, context) into a started flow run or a finished function call; returns what happened."""

    def __init__(self, run_deployment: Callable[..., Any] | None = None) -> None:
        self._run_deployment = run_deployment

    def dispatch(self, action: DeploymentAction | CallableAction, context: EventContext) -> str:
        if isinstance(action, DeploymentAction):
            return self._deployment(action, context)
        return self._callable(action, context)

    def _deployment(self, action: DeploymentAction, context: EventContext) -> str:
        parameters = render(action.parameters, context.variables(json_safe=True))
        run = self._run_deployment or _prefect_run_deployment()
        try:
            flow_run = run(
                action.deployment,
                parameters=parameters,
                timeout=0,
                idempotency_key=context.idempotency_key,
                tags=["lexflow-webhook", context.event.event_type],
                as_subflow=False,
            )
        except Exception as exc:
            if type(exc).__name__ == "ObjectNotFound":
                raise PermanentFailure(
                    f"Prefect deployment {action.deployment!r} does not exist; deploy it (lexflow serve / "
                    "prefect deploy) or change the route for this event type in the webhooks config"
                ) from exc
            raise
        return f"flow run {flow_run.id} of {action.deployment}"

    def _callable(self, action: CallableAction, context: EventContext) -> str:
        fn = resolve_callable(action.callable)
        if action.parameters:
            kwargs = render(action.parameters, context.variables(json_safe=False))
        else:
            kwargs = {"event": context.event, "resource": context.resource}
        try:
            signature = inspect.signature(fn)
        except ValueError:  # some builtins have no introspectable signature: let the call decide
            signature = None
        if signature is not None:
            if "database_url" in signature.parameters and "database_url" not in kwargs and context.database_url:
                # One source of truth: the action's ledger/effects live where the worker's inbox lives
                # (`lexflow webhooks serve --database-url`), not in whatever LEXFLOW_DATABASE_URL says.
                kwargs["database_url"] = context.database_url
            try:
                signature.bind(**kwargs)
            except TypeError as exc:
                raise PermanentFailure(f"{action.callable} does not accept {sorted(kwargs)}: {exc}") from None
        outcome = fn(**kwargs)
        return f"{action.callable} returned {_short(outcome)}"


def check_route(action: DeploymentAction | CallableAction) -> str | None:
    """A problem a route will hit on every event (unimportable callable, parameters it does not accept), or None.

    Deployments are checked when they run (they live on the Prefect server, which may be down now).
    """
    if isinstance(action, DeploymentAction):
        return None
    try:
        fn = resolve_callable(action.callable)
    except PermanentFailure as exc:
        return str(exc)
    names = list(action.parameters) or ["event", "resource"]
    try:
        inspect.signature(fn).bind(**dict.fromkeys(names))
    except TypeError as exc:
        return f"{action.callable} does not accept {sorted(names)}: {exc}"
    except ValueError:
        pass  # no introspectable signature
    return None


def resolve_callable(spec: str) -> Callable[..., Any]:
    """Import `package.module:function`; a missing one is a configuration error, not a transient failure."""
    module_name, _, attr = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise PermanentFailure(f"cannot import {spec!r} ({exc}); fix the route in the webhooks config") from None
    if not callable(target):
        raise PermanentFailure(f"{spec!r} is not callable")
    return target  # type: ignore[no-any-return]


def _prefect_run_deployment() -> Callable[..., Any]:
    from prefect.deployments import run_deployment

    return run_deployment  # type: ignore[no-any-return]


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
