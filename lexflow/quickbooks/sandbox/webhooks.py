"""Webhook deliveries of the QuickBooks sandbox: aggregated per realm, signed `intuit-signature`
(Base64 HMAC-SHA256 of the raw body with the verifier token), in the classic `eventNotifications` or the CloudEvents
format, retried on Intuit's schedule (measured on the sandbox clock, so tests move the clock instead of waiting)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import orjson

RETRY_SCHEDULE = (10, 20, 30, 300, 1200, 7200, 14400, 21600)
"""Seconds after each failed attempt; then every 6 hours."""
_PAST = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Merge": "merged",
    "Void": "voided",
    "Emailed": "emailed",
}


def sign(body: bytes, verifier_token: str) -> str:
    """`intuit-signature`: Base64(HMAC-SHA256(raw body, verifier token))."""
    return base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()).decode()


def payload(realm: str, events: list[dict[str, Any]], fmt: str) -> Any:
    if fmt == "cloudevents":
        return [
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": "intuit.lexflow-sandbox",
                "type": f"qbo.{e['name'].lower()}.{_PAST.get(e['operation'], e['operation'].lower())}.v1",
                "datacontenttype": "application/json",
                "time": e["lastUpdated"],
                "intuitentityid": e["id"],
                "intuitaccountid": realm,
                "data": {},
            }
            for e in events
        ]
    entities = [
        {"name": e["name"], "id": e["id"], "operation": e["operation"], "lastUpdated": e["lastUpdated"]} for e in events
    ]
    return {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": entities}}]}


@dataclass
class Delivery:
    body: bytes
    attempts: int = 0
    due: float = 0.0
    """Sandbox-clock timestamp of the next attempt."""


@dataclass
class WebhookOutbox:
    url: str | None = None
    format: Literal["legacy", "cloudevents"] = "legacy"
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Realm → events not yet put into a delivery (aggregated at the next flush)."""
    queue: list[Delivery] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    def add(self, realm: str, event: dict[str, Any]) -> None:
        if self.url:
            self.pending.setdefault(realm, []).append(event)

    async def flush(self, now: float, verifier_token: str, timeout: float = 3.0) -> int:
        """Bundle pending events, then try every delivery that is due. Returns how many were delivered."""
        for realm, events in self.pending.items():
            self.queue.append(Delivery(orjson.dumps(payload(realm, events, self.format)), due=now))
        self.pending = {}
        delivered = 0
        async with httpx.AsyncClient(timeout=timeout) as http:
            for d in [d for d in self.queue if d.due <= now]:
                d.attempts += 1
                try:
                    r = await http.post(
                        str(self.url),
                        content=d.body,
                        headers={"intuit-signature": sign(d.body, verifier_token), "Content-Type": "application/json"},
                    )
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.log.append({"attempt": d.attempts, "ok": ok, "at": now})
                if ok:
                    self.queue.remove(d)
                    delivered += 1
                else:
                    d.due = now + RETRY_SCHEDULE[min(d.attempts - 1, len(RETRY_SCHEDULE) - 1)]
        return delivered
