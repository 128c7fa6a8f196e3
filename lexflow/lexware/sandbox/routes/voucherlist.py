"""GET /v1/voucherlist (docs/lexware.md#voucher-list): required type/status, every filter, sort validation, derived overdue, 10k window."""

from __future__ import annotations

import html
from typing import Any

from starlette.responses import Response

from lexflow.lexware.sandbox.common import out, page_params, paged, parse_date, query_bool, sort_entry
from lexflow.lexware.sandbox.documents import PAYABLE_KINDS, TYPES, VOUCHER_KIND, gross_total, open_amount
from lexflow.lexware.sandbox.errors import ApiError, Issue
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, json
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


def derived_status(kind: str, doc: Doc, today_iso: str) -> str | None:
    """The stored status, or `overdue` for open payable vouchers past their due date (never stored)."""
    status = doc.get("voucherStatus")
    if status in ("open", "sepadebit") and kind in PAYABLE_KINDS:
        due = doc.get("dueDate")
        if due and due[:10] < today_iso:
            return "overdue"
    return status


def row(kind: str, doc: Doc, status: str | None) -> dict[str, Any]:
    """The voucherlist entry of a stored document."""
    if kind == VOUCHER_KIND:
        vtype = doc.get("type")
        contact_name = doc.get("contactName")
        contact_id = doc.get("contactId")
    else:
        vtype = TYPES[kind].list_type or "dunning"
        contact_name = (doc.get("address") or {}).get("name")
        contact_id = (doc.get("address") or {}).get("contactId")
    if contact_name is None and contact_id is None and kind == VOUCHER_KIND:
        contact_name = "Sammelkunde"
    return {
        "id": doc["id"],
        "voucherType": vtype,
        "voucherStatus": status,
        "voucherNumber": doc.get("voucherNumber"),
        "voucherDate": doc.get("voucherDate"),
        "createdDate": doc.get("createdDate"),
        "updatedDate": doc.get("updatedDate"),
        "dueDate": doc.get("dueDate"),
        "contactId": None if doc.get("useCollectiveContact") else contact_id,
        "contactName": contact_name,
        "totalAmount": out(gross_total(doc)) if kind != "delivery-notes" else None,
        "openAmount": out(open_amount(doc)) if kind in PAYABLE_KINDS and status != "draft" else None,
        "currency": "EUR",
        "archived": bool(doc.get("archived", False)),
    }


async def voucherlist(ctx: Ctx) -> Response:
    q = ctx.query
    list_dunnings = ctx.state.config.list_dunnings
    types = _csv(ctx, "voucherType", (*VOUCHER_TYPES, "dunning") if list_dunnings else VOUCHER_TYPES)
    statuses = _csv(ctx, "voucherStatus", STATUSES)
    if statuses and "overdue" in statuses and len(statuses) > 1:
        raise _bad("voucherStatus", q["voucherStatus"], "'overdue' cannot be combined with other statuses")
    page, size = page_params(q)
    ranges: list[tuple[str, str, str]] = []
    for name in DATE_FILTERS:
        bounds: list[str] = []
        for suffix, default in (("From", "0000-00-00"), ("To", "9999-99-99")):
            param = f"{name}{suffix}"
            raw = q.get(param)
            if raw is None:
                bounds.append(default)
                continue
            if parse_date(raw) is None:
                raise _bad(param, raw, "use yyyy-MM-dd")
            bounds.append(raw)
        if bounds != ["0000-00-00", "9999-99-99"]:
            ranges.append((name, bounds[0], bounds[1]))
    sort_raw = q.get("sort") or "voucherDate,DESC"
    prop, _, direction = sort_raw.partition(",")
    direction = (direction or "ASC").upper()
    if prop.lower() not in SORTS or direction not in ("ASC", "DESC"):
        raise ApiError(
            400, "parameter 'sort' is invalid", [Issue("sort", "invalid", f"one of {', '.join(SORTS.values())}")]
        )
    sort_key = SORTS[prop.lower()]
    want_archived = query_bool(q, "archived")
    contact_id = q.get("contactId")
    number = html.unescape(q["voucherNumber"]).lower() if q.get("voucherNumber") else None
    today_iso = ctx.state.clock.today().isoformat()
    found: list[tuple[str, str, str, Doc, str | None]] = []
    kinds = [k for k, t in TYPES.items() if t.list_type and (types is None or t.list_type in types)]
    if list_dunnings and (types is None or "dunning" in types):
        kinds.append("dunnings")
    if types is None or types & {"salesinvoice", "salescreditnote", "purchaseinvoice", "purchasecreditnote"}:
        kinds.append(VOUCHER_KIND)
    for kind in kinds:
        is_voucher = kind == VOUCHER_KIND
        for doc in ctx.state.store.iter(ctx.org, kind):
            stored = doc.get("voucherStatus")
            if is_voucher and (stored == "blank" or (types is not None and doc.get("type") not in types)):
                continue
            status = derived_status(kind, doc, today_iso)
            if statuses is not None:
                if "overdue" in statuses:
                    if status != "overdue":
                        continue
                elif stored not in statuses and status not in statuses:
                    continue
            if want_archived is not None and bool(doc.get("archived", False)) != want_archived:
                continue
            if contact_id:
                cid = doc.get("contactId") if is_voucher else (doc.get("address") or {}).get("contactId")
                if cid != contact_id:
                    continue
            if number is not None and str(doc.get("voucherNumber") or "").lower() != number:
                continue
            if ranges and any(not (lo <= str(doc.get(name) or "")[:10] <= hi) for name, lo, hi in ranges):
                continue
            found.append((str(doc.get(sort_key) or ""), doc["id"], kind, doc, status))
    found.sort(key=lambda f: (f[0], f[1]), reverse=direction == "DESC")
    body = paged(
        found,
        page,
        size,
        [sort_entry(sort_key.lower(), direction)],
        window=True,
        mapper=lambda f: row(f[2], f[3], f[4]),
    )
    return json(body)


ROUTES = [ApiRoute("GET", "/v1/voucherlist", voucherlist, "voucherlist.read", summary="Filter the voucher list")]
