"""GET /v1/payments/{voucherId} (docs/lexware.md#payments) and the partner-only transaction assignment hint (docs/lexware.md#transaction-assignment-hint)."""

from __future__ import annotations

from starlette.responses import Response

from lexflow.lexware.sandbox.common import is_uuid, out
from lexflow.lexware.sandbox.documents import COLLECTION_TO_LIST_TYPE, PAYABLE_KINDS, TYPES, VOUCHER_KIND, open_amount
from lexflow.lexware.sandbox.errors import ApiError, Issue, validation
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, json

_EXPENSE = ("purchaseinvoice", "purchasecreditnote")


async def get_payment(ctx: Ctx) -> Response:
    vid = ctx.arg("id")
    found = ctx.state.store.find(ctx.org, PAYABLE_KINDS, vid)
    if found is None:
        if ctx.state.store.find(ctx.org, tuple(t for t in TYPES if t not in PAYABLE_KINDS), vid):
            raise ApiError(
                406, "Payments are only available for invoices, credit notes, down payment invoices and vouchers."
            )
        raise ApiError(404, f"No voucher with id {vid}.")
    kind, doc = found
    status = doc.get("voucherStatus")
    if status in ("draft", "blank", "unchecked"):
        raise ApiError(406, f"No payment information for a voucher in status {status}.")
    if kind == "credit-notes" and any(r.get("voucherType") == "invoice" for r in doc.get("relatedVouchers") or []):
        raise ApiError(406, "No payment information for a credit note linked to an invoice.")
    voucher_type = doc.get("type") if kind == VOUCHER_KIND else COLLECTION_TO_LIST_TYPE[kind]
    remaining = open_amount(doc)
    if remaining <= 0 or status == "voided":
        payment_status = "balanced"
    else:
        payment_status = "openExpense" if voucher_type in _EXPENSE else "openRevenue"
    body = {
        "openAmount": out(remaining),
        "currency": "EUR",
        "paymentStatus": payment_status,
        "voucherType": voucher_type,
        "voucherStatus": status,
        "paymentItems": list(doc.get("_payments") or []),
    }
    if status in ("paid", "paidoff") and doc.get("_paidDate"):
        body["paidDate"] = doc["_paidDate"]
    return json(body)


async def create_hint(ctx: Ctx) -> Response:
    body = ctx.body
    voucher_id = body.get("voucherId")
    issues: list[Issue] = []
    if not is_uuid(voucher_id):
        issues.append(Issue("voucherId", "missing", "voucherId (uuid) is required"))
    if not str(body.get("externalReference") or "").strip():
        issues.append(Issue("externalReference", "blank", "externalReference is required"))
    if body.get("endToEndId") is not None:
        issues.append(Issue("endToEndId", "invalid", "send either externalReference or endToEndId, not both"))
    if issues:
        raise validation(issues)
    if ctx.state.store.find(ctx.org, PAYABLE_KINDS, voucher_id) is None:
        raise ApiError(404, f"No voucher with id {voucher_id}.")
    hints = ctx.state.store.get(ctx.org, "transaction-hints", voucher_id)
    if hints is not None:
        raise validation([Issue("voucherId", "invalid", "only one transaction assignment hint per voucher")])
    entry = {"id": voucher_id, "voucherId": voucher_id, "externalReference": body["externalReference"]}
    ctx.state.store.put(ctx.org, "transaction-hints", entry)
    return json({"voucherId": voucher_id, "externalReference": body["externalReference"]}, 201)


ROUTES = [
    ApiRoute("GET", "/v1/payments/{id}", get_payment, "payments.read", summary="Get payment info for a voucher"),
    ApiRoute(
        "POST",
        "/v1/transaction-assignment-hint",
        create_hint,
        "transaction-assignment-hint.write",
        "details",
        True,
        "Transaction assignment hint (partner/OAuth only)",
        oauth_only=True,
    ),
]
