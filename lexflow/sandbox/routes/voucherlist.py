"""GET /v1/voucherlist (§4.8): required type/status, every filter, sort validation, derived overdue, 10k window."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from starlette.responses import Response

from lexflow.sandbox.common import date_of, out, page_params, paged, parse_date, sort_entry
from lexflow.sandbox.documents import TYPES, VOUCHER_KIND, gross_total, open_amount
from lexflow.sandbox.errors import ApiError, Issue
from lexflow.sandbox.http import ApiRoute, Ctx, json
from lexflow.sandbox.store import Doc

VOUCHER_TYPES = (
    "salesinvoice",
    "salescreditnote",
    "purchaseinvoice",
    "purchasecreditnote",
    "invoice",
    "downpaymentinvoice",
    "creditnote",
    "orderconfirmation",
    "quotation",
    "deliverynote",
)
STATUSES = (
    "draft",
    "open",
    "paid",
    "paidoff",
    "voided",
    "transferred",
    "sepadebit",
    "overdue",
    "accepted",
    "rejected",
    "unchecked",
)
SORTS = {
    "voucherdate": "voucherDate",
    "vouchernumber": "voucherNumber",
    "createddate": "createdDate",
    "updateddate": "updatedDate",
}
DATE_FILTERS = ("voucherDate", "createdDate", "updatedDate")


def _bad(param: str, value: str, hint: str) -> ApiError:
    return ApiError(
        400,
        f"Invalid value '{value}' received for request parameter '{param}'. {hint}",
        [Issue(param, "invalid", hint)],
    )


def _csv(ctx: Ctx, param: str, allowed: tuple[str, ...]) -> set[str] | None:
    raw = ctx.query.get(param)
    if raw is None or not raw.strip():
        raise ApiError(
            400,
            f"Required request parameter '{param}' is missing (use 'any' for all).",
            [Issue(param, "missing", "required")],
        )
    values = {v.strip() for v in raw.split(",") if v.strip()}
    if "any" in values:
        return None
    unknown = values - set(allowed)
    if unknown:
        raise _bad(param, raw, f"allowed: any, {', '.join(allowed)}")
    return values


def row(kind: str, doc: Doc, today: date) -> dict[str, Any] | None:
    """The voucherlist entry of a stored document (None for documents the list does not show)."""
    if kind == VOUCHER_KIND:
        if doc.get("voucherStatus") == "blank":
            return None
        vtype = doc.get("type")
        contact_name = doc.get("contactName")
    else:
        spec = TYPES[kind]
        if spec.list_type is None:
            return None
        vtype = spec.list_type
        contact_name = (doc.get("address") or {}).get("name")
    status = doc.get("voucherStatus")
    due = doc.get("dueDate")
    payable = kind in ("invoices", "credit-notes", "down-payment-invoices", VOUCHER_KIND)
    if status in ("open", "sepadebit") and due and payable and (date_of(due) or today) < today:
        status = "overdue"
    contact_id = doc.get("contactId") if kind == VOUCHER_KIND else (doc.get("address") or {}).get("contactId")
    return {
        "id": doc["id"],
        "voucherType": vtype,
        "voucherStatus": status,
        "voucherNumber": doc.get("voucherNumber"),
        "voucherDate": doc.get("voucherDate"),
        "createdDate": doc.get("createdDate"),
        "updatedDate": doc.get("updatedDate"),
        "dueDate": due,
        "contactId": None if doc.get("useCollectiveContact") else contact_id,
        "contactName": contact_name,
        "totalAmount": out(gross_total(doc)) if kind != "delivery-notes" else None,
        "openAmount": out(open_amount(doc)) if payable and status not in ("draft",) else None,
        "currency": "EUR",
        "archived": bool(doc.get("archived", False)),
        "_stored": doc.get("voucherStatus"),
    }


async def voucherlist(ctx: Ctx) -> Response:
    q = ctx.query
    types = _csv(ctx, "voucherType", VOUCHER_TYPES)
    statuses = _csv(ctx, "voucherStatus", STATUSES)
    if statuses and "overdue" in statuses and len(statuses) > 1:
        raise _bad("voucherStatus", q["voucherStatus"], "'overdue' cannot be combined with other statuses")
    page, size = page_params(q)
    ranges: dict[str, tuple[date | None, date | None]] = {}
    for name in DATE_FILTERS:
        bounds: list[date | None] = []
        for suffix in ("From", "To"):
            param = f"{name}{suffix}"
            raw = q.get(param)
            if raw is None:
                bounds.append(None)
                continue
            parsed = parse_date(raw)
            if parsed is None:
                raise _bad(param, raw, "use yyyy-MM-dd")
            bounds.append(parsed)
        ranges[name] = (bounds[0], bounds[1])
    sort_raw = q.get("sort") or "voucherDate,DESC"
    prop, _, direction = sort_raw.partition(",")
    direction = (direction or "ASC").upper()
    if prop.lower() not in SORTS or direction not in ("ASC", "DESC"):
        raise ApiError(
            400, "parameter 'sort' is invalid", [Issue("sort", "invalid", f"one of {', '.join(SORTS.values())}")]
        )
    sort_key = SORTS[prop.lower()]
    archived = q.get("archived")
    contact_id = q.get("contactId")
    number = html.unescape(q["voucherNumber"]).lower() if q.get("voucherNumber") else None
    today = ctx.state.clock.today()
    rows: list[dict[str, Any]] = []
    kinds = [k for k, t in TYPES.items() if t.list_type and (types is None or t.list_type in types)]
    if types is None or types & {"salesinvoice", "salescreditnote", "purchaseinvoice", "purchasecreditnote"}:
        kinds.append(VOUCHER_KIND)
    for kind in kinds:
        for doc in ctx.state.store.iter(ctx.org, kind):
            r = row(kind, doc, today)
            if r is None or (types is not None and r["voucherType"] not in types):
                continue
            if statuses is not None:
                if "overdue" in statuses:
                    if r["voucherStatus"] != "overdue":
                        continue
                elif r["_stored"] not in statuses and r["voucherStatus"] not in statuses:
                    continue
            if archived is not None and r["archived"] != (archived.lower() == "true"):
                continue
            if contact_id and r["contactId"] != contact_id:
                continue
            if number is not None and str(r["voucherNumber"] or "").lower() != number:
                continue
            if any(_outside(r[name], lo, hi) for name, (lo, hi) in ranges.items() if lo or hi):
                continue
            rows.append(r)
    rows.sort(key=lambda r: (r[sort_key] or "", r["id"]), reverse=direction == "DESC")
    body = paged(rows, page, size, [sort_entry(sort_key.lower(), direction)], window=True)
    for r in body["content"]:
        r.pop("_stored", None)
    return json(body)


def _outside(value: Any, lo: date | None, hi: date | None) -> bool:
    d = date_of(value)
    if d is None:
        return True
    return (lo is not None and d < lo) or (hi is not None and d > hi)


ROUTES = [ApiRoute("GET", "/v1/voucherlist", voucherlist, "voucherlist.read", summary="Filter the voucher list")]
