"""What the receiver does with each event type, which subscriptions should exist, and how the worker retries.

One file (YAML or TOML) holds all three; every section has defaults, so an empty file is valid:

```yaml
routes:
  invoice.status.changed:
    deployment: notify-invoice-status/default        # a Prefect deployment "flow/deployment"
    parameters: {invoice_id: "{resourceId}", status: "{resource[voucherStatus]}"}
  payment.changed:
    callable: lexflow.banking.ledger:check_payment  # or a plain Python function "module:function"
    parameters: {voucher_id: "{resourceId}", client: "{client}"}
resources:                                          # every provider's events by resource type (below)
  contact: {callable: lexflow.webhooks.changes:contact_changed}
subscriptions:
  callback_url: https://hooks.example.org/webhooks/lexware
  events: [invoice.status.changed, payment.changed]
worker: {max_attempts: 6, base_delay: 2, lease: 120}
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lexflow.webhooks.events import normalise_event_type
from lexflow.webhooks.templates import placeholders

OFFICIAL_PUBLIC_KEY_URL = "https://developers.lexware.io/webhookSignature/public/public_key.pub"
DEFAULT_PATH = "/webhooks/lexware"

_EVENT_VARS = (
    "provider",
    "tenant",
    "resourceType",
    "organizationId",
    "eventType",
    "resourceId",
    "eventDate",
    "eventKey",
    "inboxId",
    "event",
    "resource",
    "client",
)


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="Template: strings may use {provider}, {tenant}, {resourceType}, {resourceId}, {eventType}, {eventDate}, {organizationId}, {eventKey}, "
        "{inboxId}, {event}, {resource} and {resource[field]}; a value that is exactly one placeholder keeps its type.",
    )
    refetch: bool = Field(default=True, description="GET the resource first (the payload carries only its id).")

    @field_validator("parameters")
    @classmethod
    def _known_placeholders(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in placeholders(value):
            if name not in _EVENT_VARS:
                raise ValueError(f"unknown placeholder {{{name}}} in parameters; use one of {', '.join(_EVENT_VARS)}")
        return value


class DeploymentAction(_Action):
    """Start a Prefect deployment with `run_deployment(name, parameters, timeout=0)`."""

    deployment: str = Field(pattern=r"^[^/]+/[^/]+$", description='"flow-name/deployment-name"')

    @field_validator("parameters")
    @classmethod
    def _json_only(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "client" in placeholders(value):
            raise ValueError("{client} cannot be a flow parameter (not JSON); the flow connects by itself")
        return value

    @property
    def target(self) -> str:
        return f"deployment {self.deployment}"


class CallableAction(_Action):
    """Call a Python function `module:function` with the rendered parameters as keyword arguments.

    With no parameters it is called as `fn(event=WebhookEvent, resource=dict | None)`. `{client}` passes the
    worker's `LexwareClient` (shared rate limit, one connection).
    """

    callable: str = Field(pattern=r"^[\w.]+:[\w.]+$", description='"package.module:function"')

    @property
    def target(self) -> str:
        return f"callable {self.callable}"


Action = Annotated[DeploymentAction | CallableAction, Field(union_mode="left_to_right")]


class SubscriptionSet(BaseModel):
    """The subscriptions `lexflow webhooks sync` keeps in place (a key rotation or `token.revoked` deletes them)."""

    model_config = ConfigDict(extra="forbid")

    callback_url: str | None = Field(default=None, description="Public HTTPS URL of `lexflow webhooks serve`.")
    events: list[str] = Field(default_factory=list)

    @field_validator("events")
    @classmethod
    def _valid_events(cls, value: list[str]) -> list[str]:
        return sorted({normalise_event_type(v) for v in value})


class WorkerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=6, ge=1, description="Failures before an event is parked.")
    base_delay: float = Field(default=2.0, gt=0, description="Seconds before the first retry; doubles each time.")
    max_delay: float = Field(default=600.0, gt=0)
    lease: float = Field(default=120.0, gt=0, description="Seconds a claimed event stays with one worker.")
    poll_interval: float = Field(default=5.0, gt=0, description="Longest idle sleep between inbox checks.")


class WebhookConfig(BaseModel):
    """The whole webhooks configuration file."""

    model_config = ConfigDict(extra="forbid")

    routes: dict[str, Action] = Field(default_factory=lambda: dict(DEFAULT_ROUTES))
    resources: dict[str, Action] = Field(
        default_factory=lambda: dict(DEFAULT_RESOURCE_ROUTES),
        description="Resource type (invoice, contact, credit-note, payment, …) → action, for every event without "
        "a route of its own type; the resource is re-fetched through the provider's adapter (a neutral record).",
    )
    subscriptions: SubscriptionSet = Field(default_factory=SubscriptionSet)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)

    @field_validator("routes")
    @classmethod
    def _valid_routes(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {normalise_event_type(k): v for k, v in value.items()}

    @field_validator("resources")
    @classmethod
    def _valid_resources(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {k.strip().lower(): v for k, v in value.items()}

    def route_for(self, event_type: str) -> DeploymentAction | CallableAction | None:
        return self.routes.get(event_type.lower())

    def resource_route_for(self, resource_type: str | None) -> DeploymentAction | CallableAction | None:
        return self.resources.get((resource_type or "").lower())


DEFAULT_ROUTES: dict[str, DeploymentAction | CallableAction] = {
    "payment.changed": CallableAction(
        callable="lexflow.banking.ledger:check_payment",
        parameters={"voucher_id": "{resourceId}", "client": "{client}"},
        refetch=False,  # check_payment asks /payments itself, only when the ledger has open items, and records a
        # draft (406) or deleted (404) voucher on the ledger's matches instead of failing the event
    ),
    "invoice.status.changed": CallableAction(callable="lexflow.webhooks.notify:notify_invoice_status"),
    "voucher.created": CallableAction(callable="lexflow.webhooks.waiting:continue_waiting_runs"),
    "contact.changed": CallableAction(callable="lexflow.webhooks.crm:sync_contact_to_crm_mapping"),
}
"""The issue's default mapping; any config file replaces it as a whole (`routes: {}` switches all off)."""

DEFAULT_RESOURCE_ROUTES: dict[str, DeploymentAction | CallableAction] = {
    "invoice": CallableAction(callable="lexflow.webhooks.changes:invoice_changed"),
    "contact": CallableAction(callable="lexflow.webhooks.changes:contact_changed"),
}
"""By resource type, for any provider: an invoice change resumes the runs waiting for it, a contact change updates
the CRM mapping (what Lexware's `voucher.created` and `contact.changed` routes do). `resources: {}` switches off."""


def load_config(path: Path | None) -> WebhookConfig:
    """Read a YAML (.yaml/.yml) or TOML (.toml) file; no file means the defaults."""
    if path is None:
        return WebhookConfig()
    if not path.is_file():
        raise ValueError(
            f"webhooks config file {path} does not exist; pass --config FILE or set LEXFLOW_WEBHOOKS_CONFIG"
        )
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    try:
        return WebhookConfig.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"invalid webhooks config {path}: {problems}") from None


class WebhookSettings(BaseSettings):
    """Environment for the webhooks subsystem (kept beside its code, see `lexflow.settings`)."""

    model_config = SettingsConfigDict(env_file=".env", env_prefix="LEXFLOW_WEBHOOKS_", extra="ignore")

    config: Path | None = Field(default=None, description="YAML/TOML file with routes, subscriptions and worker.")
    public_key: str | None = Field(
        default=None,
        description="PEM file or http(s) URL of Lexware's webhook public key (default: the official URL).",
    )
    public_key_pem: SecretStr | None = Field(
        default=None, description="The PEM text itself (e.g. from a secret store)."
    )
    organization_id: str | None = Field(
        default=None,
        description="Accept only this organisation's events (default: the configured account's, from /v1/profile).",
    )
    xero_webhook_key: SecretStr | None = Field(
        default=None,
        description="Xero's webhook signing key (developer portal → your app → Webhooks); enables /webhooks/xero.",
    )
    quickbooks_verifier_token: SecretStr | None = Field(
        default=None,
        description="Intuit's webhook verifier token (developer portal → your app → Webhooks); enables "
        "/webhooks/quickbooks.",
    )
    max_event_age_hours: float | None = Field(
        default=48.0,
        gt=0,
        description="Refuse events whose eventDate is older (Lexware retries for about 40 h); unset: no bound.",
    )
