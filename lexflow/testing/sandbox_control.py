"""`SandboxControl`: a small synchronous Python wrapper around the sandbox's `/_sandbox/` control API.

    control = SandboxControl("http://127.0.0.1:8484", "lexflow-sandbox-key")   # or an httpx.Client with base_url
    control.reset(); control.seed(vouchers=500, seed=42); control.clock_advance(days=30)

Every method maps to one endpoint and returns the decoded JSON (None for 204). A non-2xx answer raises
`SandboxControlError` carrying the status and the sandbox's message (never the key).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from pydantic import SecretStr

from lexflow.errors import LexflowError


class SandboxControlError(LexflowError, RuntimeError):
    """A control request was refused; `status` and `body` say why."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else body
        super().__init__(f"sandbox control request failed with {status}: {message}")


class SandboxControl:
    """One method per control endpoint. Pass a base URL (a client is created and owned) or an `httpx.Client`."""

    def __init__(self, http_client_or_base_url: httpx.Client | str, api_key: str | SecretStr, timeout: float = 120.0):
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._auth = {"Authorization": f"Bearer {key}"}
        if isinstance(http_client_or_base_url, str):
            self._http = httpx.Client(base_url=http_client_or_base_url.rstrip("/"), timeout=timeout)
            self._owned = True
        else:
            self._http = http_client_or_base_url
            self._owned = False

    def __enter__(self) -> SandboxControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self._http.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (body or {}).items() if v is not None}
        response = self._http.request(method, path, json=clean if body is not None else None, headers=self._auth)
        if response.status_code == 204:
            return None
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 300:
            raise SandboxControlError(response.status_code, payload)
        return payload

    # state ---------------------------------------------------------------------------------------------------
    def reset(self) -> dict[str, Any]:
        return self._call("POST", "/_sandbox/reset", {})  # type: ignore[no-any-return]

    def seed(
        self, vouchers: int = 500, seed: int = 42, contacts: int | None = None, articles: int | None = None
    ) -> dict[str, Any]:
        """A realistic German company; returns the counts per resource."""
        body = {"vouchers": vouchers, "seed": seed, "contacts": contacts, "articles": articles}
        return self._call("POST", "/_sandbox/seed", body)  # type: ignore[no-any-return]

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/_sandbox/clock")  # type: ignore[no-any-return]

    def clock_advance(self, days: int) -> dict[str, Any]:
        return self._call("POST", "/_sandbox/clock/advance", {"days": days})  # type: ignore[no-any-return]

    # UI-only actions -----------------------------------------------------------------------------------------
    def assign_payment(
        self,
        voucher_id: str,
        amount: float | str | None = None,
        on: date | str | None = None,
        kind: str = "bank",
        cash_discount_percentage: float | None = None,
    ) -> dict[str, Any]:
        """Assign a payment as a user would in the web app (full when `amount` is None)."""
        body = {
            "amount": None if amount is None else str(amount),
            "date": on.isoformat() if isinstance(on, date) else on,
            "kind": kind,
            "cashDiscountPercentage": cash_discount_percentage,
        }
        return self._call("POST", f"/_sandbox/invoices/{voucher_id}/payments", body)  # type: ignore[no-any-return]

    def void(self, voucher_id: str) -> dict[str, Any]:
        return self._call("POST", f"/_sandbox/vouchers/{voucher_id}/void", {})  # type: ignore[no-any-return]

    def accept_quotation(self, quotation_id: str) -> dict[str, Any]:
        return self._call("POST", f"/_sandbox/quotations/{quotation_id}/accept", {})  # type: ignore[no-any-return]

    def reject_quotation(self, quotation_id: str) -> dict[str, Any]:
        return self._call("POST", f"/_sandbox/quotations/{quotation_id}/reject", {})  # type: ignore[no-any-return]

    def delete_draft(self, doc_type: str, doc_id: str) -> None:
        """`doc_type` as in the URL: invoices, credit-notes, quotations, ..."""
        self._call("DELETE", f"/_sandbox/drafts/{doc_type}/{doc_id}")

    def finish_ocr(self, file_or_voucher_id: str, **fields: Any) -> dict[str, Any]:
        """blank -> unchecked with recognised fields (voucherNumber, totalGrossAmount, contactName ...)."""
        return self._call("POST", f"/_sandbox/files/{file_or_voucher_id}/finish-ocr", fields)  # type: ignore[no-any-return]

    def revoke_key(self, key: str | SecretStr) -> dict[str, Any]:
        value = key.get_secret_value() if isinstance(key, SecretStr) else key
        return self._call("POST", f"/_sandbox/keys/{value}/revoke", {})  # type: ignore[no-any-return]

    # exports and faults --------------------------------------------------------------------------------------
    def bank_statement(
        self, format: str = "camt053", noise: bool = True, seed: int = 1, unrelated: int | None = None
    ) -> dict[str, Any]:
        """`{statement, groundTruth}` for the open invoices."""
        body = {"format": format, "noise": noise, "seed": seed, "unrelated": unrelated}
        return self._call("POST", "/_sandbox/bank-statement", body)  # type: ignore[no-any-return]

    def faults(
        self,
        route: str,
        kind: str,
        count: int = 1,
        seed: int = 1,
        probability: float | None = None,
        latency_ms: int | None = None,
    ) -> dict[str, Any]:
        """Add a fault rule: `route` like "POST /v1/invoices" or "GET /v1/invoices/{id}"."""
        body = {
            "route": route,
            "kind": kind,
            "count": count,
            "seed": seed,
            "probability": probability,
            "latencyMs": latency_ms,
        }
        return self._call("POST", "/_sandbox/faults", body)  # type: ignore[no-any-return]

    def list_faults(self) -> dict[str, Any]:
        return self._call("GET", "/_sandbox/faults")  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        self._call("DELETE", "/_sandbox/faults")

    # webhooks ------------------------------------------------------------------------------------------------
    def webhook_public_key(self) -> bytes:
        response = self._http.get("/_sandbox/webhook-public-key", headers=self._auth)
        if response.status_code >= 300:
            raise SandboxControlError(response.status_code, response.text)
        return response.content

    def flush_webhooks(self) -> dict[str, Any]:
        return self._call("POST", "/_sandbox/webhooks/flush", {})  # type: ignore[no-any-return]

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_sandbox/webhooks/deliveries")["content"]  # type: ignore[no-any-return]

    def webhook_time_scale(self, scale: float) -> dict[str, Any]:
        """1.0 = Lexware's real webhook retry schedule; 0.001 = a thousand times faster."""
        return self._call("POST", "/_sandbox/webhooks/time-scale", {"timeScale": scale})  # type: ignore[no-any-return]

    def rotate_webhook_key(self, bits: int | None = None) -> bytes:
        """Give the sandbox a fresh signing key (default size: its `webhook_key_bits`); returns the new public PEM."""
        body = {} if bits is None else {"bits": bits}
        response = self._http.post("/_sandbox/webhooks/rotate-key", json=body, headers=self._auth)
        if response.status_code >= 300:
            raise SandboxControlError(response.status_code, response.text)
        return response.content
