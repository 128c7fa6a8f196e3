"""The control API under `/_sandbox/`: test-only levers for what the real API cannot do (docs/sandbox.md).

Reset, seed, the clock, the UI-only actions (assign a payment, void, accept/reject a quotation, delete a draft,
finish OCR, revoke a key), bank statement export, fault injection and webhook helpers. Same Bearer key as `/v1`,
acting on that key's organisation; never rate limited; errors are `{"message", "details"}` with the field to fix.
`SandboxControl` (in `lexflow.testing.sandbox_control`) wraps every endpoint for Python callers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from lexflow.lexware.sandbox import oauth
from lexflow.lexware.sandbox.errors import ApiError
from lexflow.lexware.sandbox.http import json, public
from lexflow.lexware.sandbox.plumbing import V1Middleware, connection_of_token, control_route, generation, org_of

if TYPE_CHECKING:
    from lexflow.lexware.sandbox.state import SandboxState

__all__ = ["V1Middleware", "control_route", "generation", "install"]


# --------------------------------------------------------------------------------------------------- bodies
class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SeedRequest(_Body):
    vouchers: int = Field(default=500, ge=0, le=20_000, description="Sales documents + bookkeeping vouchers in all.")
    seed: int = 42
    contacts: int | None = Field(default=None, ge=0, le=5000, description="Default: scaled with vouchers.")
    articles: int | None = Field(default=None, ge=0, le=2000)


class ClockAdvance(_Body):
    days: int = Field(default=0, ge=-3650, le=3650)


class PaymentRequest(_Body):
    amount: Decimal | None = Field(default=None, gt=0, description="Default: the whole open amount.")
    on: dt.date | None = Field(default=None, alias="date", description="Posting date (default: sandbox today).")
    kind: str = Field(default="bank", description="bank | manual | cashDiscount | cashBox | irrecoverable ...")
    cash_discount_percentage: Decimal | None = Field(
        default=None,
        alias="cashDiscountPercentage",
        gt=0,
        lt=100,
        description="Pay the open amount less this discount (bank) and book the discount (cashDiscount).",
    )


class StatementRequest(_Body):
    format: Literal["camt053", "mt940"] = "camt053"
    noise: bool = True
    seed: int = 1
    unrelated: int = Field(default=5, ge=0, le=500, description="Unrelated debits/credits mixed in (with noise).")


# --------------------------------------------------------------------------------------------------- handlers
async def _reset(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    state.reset()  # the webhook queue, fault rules, OAuth grants and rate buckets follow through `state.on_reset`
    return json({"reset": True, "now": state.clock.stamp()})


async def _seed(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    from lexflow.lexware.sandbox.seed import seed_company

    req = SeedRequest.model_validate(body)
    with state.lock:
        counts = seed_company(
            state, org_of(request), vouchers=req.vouchers, seed=req.seed, contacts=req.contacts, articles=req.articles
        )
    return json(counts)


def _clock(state: SandboxState) -> dict[str, Any]:
    return {"now": state.clock.stamp(), "today": state.clock.today().isoformat(), "offsetDays": state.clock.offset_days}


async def _clock_get(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    return json(_clock(state))


async def _clock_advance(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    req = ClockAdvance.model_validate(body)
    with state.lock:
        state.clock.advance(days=req.days)
    return json(_clock(state))


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    from lexflow.lexware.sandbox.documents import open_amount

    return {
        "id": doc["id"],
        "voucherNumber": doc.get("voucherNumber"),
        "voucherStatus": doc.get("voucherStatus"),
        "openAmount": float(open_amount(doc)),
        "paymentItems": doc.get("_payments", []),
        "version": doc.get("version"),
    }


async def _payment(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    from lexflow.lexware.sandbox.documents import open_amount
    from lexflow.lexware.sandbox.domain import find_payable

    req = PaymentRequest.model_validate(body)
    org, voucher_id = org_of(request), request.path_params["id"]
    with state.lock:
        _, doc = find_payable(state, org, voucher_id)
        if req.cash_discount_percentage is not None:
            remaining = open_amount(doc)
            discount = (remaining * req.cash_discount_percentage / 100).quantize(Decimal("0.01"))
            state.assign_payment(org, voucher_id, remaining - discount, req.kind, req.on)
            doc = state.assign_payment(org, voucher_id, discount, "cashDiscount", req.on)
        else:
            amount = req.amount if req.amount is not None else open_amount(doc)
            doc = state.assign_payment(org, voucher_id, amount, req.kind, req.on)
    return json(_summary(doc))


async def _void(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    with state.lock:
        doc = state.void(org_of(request), request.path_params["id"])
    return json(_summary(doc))


async def _accept(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    with state.lock:
        doc = state.accept_quotation(org_of(request), request.path_params["id"])
    return json({"id": doc["id"], "voucherStatus": doc["voucherStatus"]})


async def _reject(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    with state.lock:
        doc = state.reject_quotation(org_of(request), request.path_params["id"])
    return json({"id": doc["id"], "voucherStatus": doc["voucherStatus"]})


async def _delete_draft(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    with state.lock:
        state.delete_draft(org_of(request), request.path_params["type"], request.path_params["id"])
    return Response(status_code=204)


async def _finish_ocr(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    with state.lock:
        doc = state.finish_ocr(org_of(request), request.path_params["id"], **body)
    return json(public(doc))


async def _revoke(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    target = request.path_params["key"]
    with state.lock:
        connection = connection_of_token(state, target)
        if connection is not None:
            oauth.revoke_connection(state, connection)
            return json({"revoked": True, "kind": "oauth", "connectionId": connection})
        entry = state.keys.lookup(target)
        if entry is None:
            raise ApiError(404, "No active key with that value (already revoked or never configured).")
        state.revoke_key(target)
    return json({"revoked": True, "kind": entry.kind})


async def _statement(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    from lexflow.lexware.sandbox.statements import export_statement

    req = StatementRequest.model_validate(body)
    with state.lock:
        result = export_statement(
            state, org_of(request), fmt=req.format, noise=req.noise, seed=req.seed, unrelated=req.unrelated
        )
    return json(result)


def install(app: Any, state: SandboxState) -> None:
    """Mount the control endpoints (webhook, fault and OAuth modules mount their own `/_sandbox/` helpers)."""
    for method, path, handler in (
        ("POST", "/_sandbox/reset", _reset),
        ("POST", "/_sandbox/seed", _seed),
        ("GET", "/_sandbox/clock", _clock_get),
        ("POST", "/_sandbox/clock/advance", _clock_advance),
        ("POST", "/_sandbox/invoices/{id}/payments", _payment),
        ("POST", "/_sandbox/vouchers/{id}/payments", _payment),
        ("POST", "/_sandbox/vouchers/{id}/void", _void),
        ("POST", "/_sandbox/invoices/{id}/void", _void),
        ("POST", "/_sandbox/quotations/{id}/accept", _accept),
        ("POST", "/_sandbox/quotations/{id}/reject", _reject),
        ("DELETE", "/_sandbox/drafts/{type}/{id}", _delete_draft),
        ("POST", "/_sandbox/files/{id}/finish-ocr", _finish_ocr),
        ("POST", "/_sandbox/keys/{key}/revoke", _revoke),
        ("POST", "/_sandbox/bank-statement", _statement),
    ):
        control_route(app, state, method, path, handler)
