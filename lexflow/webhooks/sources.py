"""The HMAC-signed webhook sources beside Lexware: Xero and QuickBooks Online, each verified over the raw body and
normalised into `ProviderEvent`s (docs/webhooks.md#xero and #quickbooks-online; facts in docs/xero.md#webhooks and
docs/quickbooks.md#webhooks).

A source is data the receiver serves on its own path: which header carries the signature, the secret (from
settings, a `SecretStr` never logged), how long the provider waits for an answer, and how its body becomes events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from pydantic import SecretStr, ValidationError

from lexflow.webhooks.errors import WebhookError
from lexflow.webhooks.events import ProviderEvent, neutral_event_type


class NotAnEventBody(WebhookError, ValueError):
    """A correctly signed body that is not the provider's event format (the message names the field)."""


def _problems(exc: ValidationError) -> str:
    return ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())


@dataclass(frozen=True)
class SignedSource:
    """One provider's deliveries: a signature header checked with `verify(body, header value, secret)`."""

    provider: str
    path: str
    header: str
    secret: SecretStr
    check: Callable[[bytes, str | None, str], bool]
    """The provider package's own check (one implementation each: `lexflow.xero.webhooks.verify`,
    `lexflow.quickbooks.client.verify_webhook`), constant-time over exactly the bytes received."""
    parse: Callable[[bytes], list[ProviderEvent]]
    answer_within: float
    """Seconds the provider waits; the receiver answers 503 a second before rather than being cut off."""
    empty_answers: bool = False
    """Xero's contract: every answer has an empty body (its intent-to-receive check insists on it)."""

    def verify(self, body: bytes, signature: str | None) -> bool:
        return bool(signature) and self.check(body, signature, self.secret.get_secret_value())

    def __repr__(self) -> str:  # the secret must never reach a log line, even through repr
        return f"SignedSource(provider={self.provider!r}, path={self.path!r}, header={self.header!r})"


# -- Xero ---------------------------------------------------------------------------------------------------------
XERO_CATEGORIES = {"INVOICE": "invoice", "CONTACT": "contact", "CREDITNOTE": "credit-note"}
XERO_VERBS = {"CREATE": "created", "UPDATE": "updated"}


def parse_xero(body: bytes) -> list[ProviderEvent]:
    """`{"events": [...], "firstEventSequence", "lastEventSequence", "entropy"}`; the intent-to-receive check sends
    an empty list, which is simply no events. No payment category exists: a payment arrives as an invoice update."""
    from lexflow.xero.webhooks import WebhookEvent as XeroEvent

    try:
        data = orjson.loads(body)
        raw = data["events"]
        if not isinstance(raw, list):
            raise TypeError("events is not a list")
        out = []
        for e in (XeroEvent.model_validate(item) for item in raw):
            resource_type = XERO_CATEGORIES.get(e.event_category.upper(), e.event_category.lower())
            out.append(
                ProviderEvent(
                    provider="xero",
                    tenant=e.tenant_id.lower(),
                    resource_type=resource_type,
                    resource_id=e.resource_id,
                    event_type=neutral_event_type(
                        resource_type, XERO_VERBS.get(e.event_type.upper(), e.event_type.lower())
                    ),
                    occurred_at=e.event_date_utc,
                )
            )
        return out
    except ValidationError as exc:
        raise NotAnEventBody(f"not a Xero event batch (fields: {_problems(exc)})") from None
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise NotAnEventBody(f"not a Xero event batch ({type(exc).__name__}: {exc})") from None


# -- QuickBooks Online --------------------------------------------------------------------------------------------
QUICKBOOKS_ENTITIES = {
    "invoice": "invoice",
    "customer": "contact",
    "vendor": "contact",
    "payment": "payment",
    "creditmemo": "credit-note",
    "bill": "bill",
    "purchase": "expense",
}
QUICKBOOKS_VERBS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "merge": "merged",
    "void": "voided",
    "emailed": "emailed",
}


def parse_quickbooks(body: bytes) -> list[ProviderEvent]:
    """Both formats (the client's `parse_webhook`): the classic `{"eventNotifications": [...]}` object and the
    CloudEvents array (Intuit's format since November 2025). The same change gives the same event, and so the same
    inbox key, in either."""
    from lexflow.quickbooks.client import parse_webhook
    from lexflow.transport.errors import InvalidRequest

    try:
        changes = parse_webhook(body)
        out = []
        for change in changes:
            resource_type = QUICKBOOKS_ENTITIES.get(change.entity.lower(), change.entity.lower())
            out.append(
                ProviderEvent(
                    provider="quickbooks",
                    tenant=change.realm_id,
                    resource_type=resource_type,
                    resource_id=change.id,
                    event_type=neutral_event_type(resource_type, QUICKBOOKS_VERBS[change.operation.lower()]),
                    # Intuit always stamps a change; without one, the body itself tells deliveries apart
                    occurred_at=change.last_updated or "body:" + hashlib.sha256(body).hexdigest()[:32],
                )
            )
        return out
    except InvalidRequest as exc:
        raise NotAnEventBody(str(exc)) from None
    except ValidationError as exc:
        raise NotAnEventBody(f"not a QuickBooks webhook payload (fields: {_problems(exc)})") from None


XERO_PATH = "/webhooks/xero"
QUICKBOOKS_PATH = "/webhooks/quickbooks"


def xero_source(webhook_key: SecretStr, path: str = XERO_PATH) -> SignedSource:
    from lexflow.xero.webhooks import verify

    return SignedSource(
        "xero", path, "x-xero-signature", webhook_key, verify, parse_xero, answer_within=5.0, empty_answers=True
    )


def quickbooks_source(verifier_token: SecretStr, path: str = QUICKBOOKS_PATH) -> SignedSource:
    from lexflow.quickbooks.client import verify_webhook

    return SignedSource(
        "quickbooks", path, "intuit-signature", verifier_token, verify_webhook, parse_quickbooks, answer_within=3.0
    )
