"""The HMAC-signed webhook sources beside Lexware: Xero and QuickBooks Online, each verified over the raw body and
normalised into `ProviderEvent`s (docs/webhooks.md#xero and #quickbooks-online; facts in docs/xero.md#webhooks and
docs/quickbooks.md#webhooks).

A source is data the receiver serves on its own path: which header carries the signature, the secret (from
settings, a `SecretStr` never logged), how long the provider waits for an answer, and how its body becomes events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from lexflow.webhooks.events import ProviderEvent, neutral_event_type


class NotAnEventBody(ValueError):
    """A correctly signed body that is not the provider's event format (the message names the field)."""


def hmac_sha256_base64(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class SignedSource:
    """One provider's deliveries: HMAC-SHA256 (Base64) of the raw body in `header`, keyed with `secret`."""

    provider: str
    path: str
    header: str
    secret: SecretStr
    parse: Callable[[bytes], list[ProviderEvent]]
    answer_within: float
    """Seconds the provider waits; the receiver answers 503 a second before rather than being cut off."""
    empty_answers: bool = False
    """Xero's contract: every answer has an empty body (its intent-to-receive check insists on it)."""

    def verify(self, body: bytes, signature: str | None) -> bool:
        """Constant-time comparison over exactly the bytes received (re-serialised JSON would differ)."""
        if not signature:
            return False
        return hmac.compare_digest(hmac_sha256_base64(body, self.secret.get_secret_value()), signature.strip())

    def __repr__(self) -> str:  # the secret must never reach a log line, even through repr
        return f"SignedSource(provider={self.provider!r}, path={self.path!r}, header={self.header!r})"


def _load(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise NotAnEventBody("the body is not JSON") from None


def _problems(exc: ValidationError) -> str:
    return ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())


# -- Xero ---------------------------------------------------------------------------------------------------------
XERO_CATEGORIES = {"INVOICE": "invoice", "CONTACT": "contact", "CREDITNOTE": "credit-note"}
XERO_VERBS = {"CREATE": "created", "UPDATE": "updated"}


class _XeroEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    resource_id: str = Field(alias="resourceId", min_length=1, max_length=64)
    event_date_utc: str = Field(alias="eventDateUtc", min_length=1, max_length=64)
    event_type: str = Field(alias="eventType", min_length=1, max_length=32)
    event_category: str = Field(alias="eventCategory", min_length=1, max_length=32)
    tenant_id: str = Field(alias="tenantId", min_length=1, max_length=64)


class _XeroBatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    events: list[_XeroEvent] = Field(max_length=1000)


def parse_xero(body: bytes) -> list[ProviderEvent]:
    """`{"events": [...], "firstEventSequence", "lastEventSequence", "entropy"}`; the intent-to-receive check sends
    an empty list, which is simply no events."""
    try:
        batch = _XeroBatch.model_validate(_load(body))
    except ValidationError as exc:
        raise NotAnEventBody(f"not a Xero event batch (fields: {_problems(exc)})") from None
    return [
        ProviderEvent(
            provider="xero",
            tenant=e.tenant_id.lower(),
            resource_type=XERO_CATEGORIES.get(e.event_category.upper(), e.event_category.lower()),
            resource_id=e.resource_id,
            event_type=neutral_event_type(
                XERO_CATEGORIES.get(e.event_category.upper(), e.event_category.lower()),
                XERO_VERBS.get(e.event_type.upper(), e.event_type.lower()),
            ),
            occurred_at=e.event_date_utc,
        )
        for e in batch.events
    ]


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


class _QboEntity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=64)
    id: str = Field(min_length=1, max_length=64)
    operation: str = Field(min_length=1, max_length=32)
    last_updated: str = Field(alias="lastUpdated", min_length=1, max_length=64)


class _QboDataChange(BaseModel):
    entities: list[_QboEntity] = Field(max_length=1000)


class _QboNotification(BaseModel):
    model_config = ConfigDict(extra="ignore")

    realm_id: str = Field(alias="realmId", min_length=1, max_length=64)
    data_change_event: _QboDataChange = Field(alias="dataChangeEvent")


class _QboClassic(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_notifications: list[_QboNotification] = Field(alias="eventNotifications", max_length=1000)


class _QboCloudEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    specversion: str
    type: str = Field(pattern=r"^qbo\.[A-Za-z]+\.[a-z]+\.v\d+$", max_length=64)
    time: str = Field(min_length=1, max_length=64)
    intuitentityid: str = Field(min_length=1, max_length=64)
    intuitaccountid: str = Field(min_length=1, max_length=64)


def _qbo_event(realm: str, entity: str, entity_id: str, verb: str, when: str) -> ProviderEvent:
    resource_type = QUICKBOOKS_ENTITIES.get(entity.lower(), entity.lower())
    return ProviderEvent(
        provider="quickbooks",
        tenant=realm,
        resource_type=resource_type,
        resource_id=entity_id,
        event_type=neutral_event_type(resource_type, QUICKBOOKS_VERBS.get(verb.lower(), verb.lower())),
        occurred_at=when,
    )


def parse_quickbooks(body: bytes) -> list[ProviderEvent]:
    """Both formats: the classic `{"eventNotifications": [...]}` object and the CloudEvents array (Intuit's format
    since November 2025). The same change gives the same event (and key) in either."""
    data = _load(body)
    try:
        if isinstance(data, list):
            events = [_QboCloudEvent.model_validate(e) for e in data[:1000]]
            if len(data) > 1000:
                raise NotAnEventBody("more than 1000 CloudEvents in one delivery")
            out = []
            for e in events:
                _, entity, verb, _version = e.type.split(".")
                # CloudEvents use past tense already (created, updated, …): the same words as the neutral verbs
                out.append(_qbo_event(e.intuitaccountid, entity, e.intuitentityid, verb, e.time))
            return out
        classic = _QboClassic.model_validate(data)
    except ValidationError as exc:
        raise NotAnEventBody(f"not a QuickBooks webhook payload (fields: {_problems(exc)})") from None
    return [
        _qbo_event(note.realm_id, entity.name, entity.id, entity.operation, entity.last_updated)
        for note in classic.event_notifications
        for entity in note.data_change_event.entities
    ]


XERO_PATH = "/webhooks/xero"
QUICKBOOKS_PATH = "/webhooks/quickbooks"


def xero_source(webhook_key: SecretStr, path: str = XERO_PATH) -> SignedSource:
    return SignedSource("xero", path, "x-xero-signature", webhook_key, parse_xero, answer_within=5.0, empty_answers=True)


def quickbooks_source(verifier_token: SecretStr, path: str = QUICKBOOKS_PATH) -> SignedSource:
    return SignedSource("quickbooks", path, "intuit-signature", verifier_token, parse_quickbooks, answer_within=3.0)
