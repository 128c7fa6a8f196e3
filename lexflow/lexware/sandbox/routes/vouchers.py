"""Bookkeeping vouchers (docs/lexware.md#bookkeeping-vouchers): totals checked (not computed), measured error codes, 409 on a stale version,
the unchecked -> open booking as the only status change, and `files` replace semantics. IssueList errors."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from lexflow.lexware.models.totals import VOUCHER_TAX_RATES, cents
from lexflow.lexware.sandbox.common import (
    check_shapes,
    number,
    out,
    page_params,
    paged,
    parse_date,
    parse_timestamp,
    stamp_new,
    touch,
)
from lexflow.lexware.sandbox.documents import VOUCHER_KIND
from lexflow.lexware.sandbox.errors import BERLIN, ApiError, Issue, validation
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, json, public, saved
from lexflow.lexware.sandbox.masterdata import CATEGORY_BY_ID
from lexflow.sandbox.store import Doc

TYPES = ("salesinvoice", "salescreditnote", "purchaseinvoice", "purchasecreditnote")
SALES = ("salesinvoice", "salescreditnote")
TOLERANCE = Decimal("0.01")
PAYMENT_STATUSES = ("paid", "paidoff", "transferred", "sepadebit")
"""Statuses payments set. Such a voucher can still be edited when the PUT leaves `voucherStatus` out (clients
strip it for that); sending any status for it is refused."""


def day_stamp(d: date) -> str:
    return datetime.combine(d, time(), BERLIN).isoformat(timespec="milliseconds")


def voucher_day(value: object) -> date | None:
    """A voucher date as written: the documented plain `yyyy-MM-dd`, or the timestamp the API itself answers on
    read (clients PUT back what they GET, and that works live). A timestamp means its calendar day in Berlin."""
    parsed = parse_date(value)
    if parsed is not None:
        return parsed
    stamp = parse_timestamp(value)
    return stamp.astimezone(BERLIN).date() if stamp is not None else None


SHAPES: dict[str, type | tuple[type, ...]] = {"voucherItems": list, "voucherItems[]": dict, "files": list}


def _validate(ctx: Ctx, body: dict[str, Any], status: str) -> tuple[list[Issue], dict[str, Any]]:
    check_shapes(body, SHAPES)
    issues: list[Issue] = []
    clean: dict[str, Any] = {}
    unchecked = status == "unchecked"
    vtype = body.get("type")
    if vtype not in TYPES:
        issues.append(
            Issue("type", "missing_entity" if vtype is None else "invalid_value", f"one of {', '.join(TYPES)}")
        )
    tax_type = body.get("taxType")
    if tax_type not in ("net", "gross", "vatfree"):
        issues.append(Issue("taxType", "missing_entity" if tax_type is None else "invalid_value", "net or gross"))
    elif unchecked and tax_type == "net":
        issues.append(Issue("taxType", "invalid_value", "unchecked vouchers cannot have taxType net"))
    if not unchecked and not str(body.get("voucherNumber") or "").strip():
        issues.append(Issue("voucherNumber", "missing_entity", "required unless the voucher is unchecked"))
    for key in ("voucherDate", "shippingDate", "dueDate"):
        raw = body.get(key)
        if raw is None:
            if key == "voucherDate" and not unchecked:
                issues.append(Issue(key, "missing_entity", "required unless the voucher is unchecked (yyyy-MM-dd)"))
            continue
        parsed = voucher_day(raw)
        if parsed is None:
            issues.append(
                Issue(key, "invalid_value", "a date yyyy-MM-dd (or a timestamp yyyy-MM-ddTHH:mm:ss.SSSXXX as read)")
            )
        elif key == "shippingDate" and vtype not in SALES:
            issues.append(Issue(key, "invalid_value", "shippingDate only for salesinvoice/salescreditnote"))
        else:
            clean[key] = day_stamp(parsed)
    if "dueDate" not in clean and "voucherDate" in clean and not unchecked:
        clean["dueDate"] = clean["voucherDate"]
    collective = bool(body.get("useCollectiveContact"))
    contact_id = body.get("contactId")
    if collective:
        contact_id = None
    elif contact_id is None:
        if not unchecked:  # like number, date and totals: an unchecked receipt may not know its contact yet
            issues.append(Issue("contactId", "Missing_ContactId", "name a contact or set useCollectiveContact"))
    elif ctx.state.store.get(ctx.org, "contacts", str(contact_id)) is None:
        issues.append(Issue("contactId", "invalid_value", "no contact with this id"))
    if contact_id is not None and body.get("contactName"):
        issues.append(
            Issue(
                "contactName",
                "custom_contact_name_for_referenced_contact_not_allowed",
                "contactName only with the collective contact",
            )
        )
    items = body.get("voucherItems") or []
    if not items and not unchecked:
        issues.append(Issue("voucherItems", "missing_entity", "at least one voucher item"))
    sum_amount = sum_tax = Decimal(0)
    for i, item in enumerate(items):
        path = f"voucherItems[{i}]"
        amount, tax, rate = (
            number(item.get("amount")),
            number(item.get("taxAmount")),
            number(item.get("taxRatePercent")),
        )
        cat = CATEGORY_BY_ID.get(str(item.get("categoryId")))
        for key, value in (("amount", amount), ("taxAmount", tax), ("taxRatePercent", rate)):
            if value is None:
                issues.append(Issue(f"{path}.{key}", "missing_entity", "required"))
        if cat is None:
            issues.append(
                Issue(f"{path}.categoryId", "invalid_value", "a posting category id (/v1/posting-categories)")
            )
        elif vtype in TYPES and cat["type"] != ("income" if vtype in SALES else "outgo"):
            issues.append(
                Issue(
                    f"{path}.categoryId",
                    "invalid_value",
                    f"{vtype} needs an {'income' if vtype in SALES else 'outgo'} category",
                )
            )
        if rate is not None and rate not in VOUCHER_TAX_RATES:
            issues.append(Issue(f"{path}.taxRatePercent", "invalid_value", "0, 5, 7, 16 or 19"))
        if amount is None or tax is None or rate is None or rate not in VOUCHER_TAX_RATES:
            continue
        expected = amount * rate / (100 + rate) if tax_type == "gross" else amount * rate / 100
        if tax_type == "vatfree":
            expected = Decimal(0)
        if abs(tax - cents(expected)) > TOLERANCE:
            issues.append(
                Issue(f"{path}.taxAmount", "invalid_taxamount", f"expected {cents(expected)} for taxType {tax_type}")
            )
        sum_amount += amount
        sum_tax += tax
    gross, total_tax = number(body.get("totalGrossAmount")), number(body.get("totalTaxAmount"))
    if not unchecked or items:
        if gross is None:
            issues.append(Issue("totalGrossAmount", "missing_entity", "required unless unchecked"))
        elif cents(gross) != cents(sum_amount if tax_type == "gross" else sum_amount + sum_tax):
            issues.append(Issue("totalGrossAmount", "invalid_total_amount", "must equal the sum of the voucher items"))
        if total_tax is None:
            issues.append(Issue("totalTaxAmount", "missing_entity", "required unless unchecked"))
        elif cents(total_tax) != cents(sum_tax):
            issues.append(Issue("totalTaxAmount", "invalid_total_amount", "must equal the sum of the item tax amounts"))
    files = body.get("files") or []
    for i, fid in enumerate(files):
        if ctx.state.store.get(ctx.org, "files", str(fid)) is None:
            issues.append(Issue(f"files[{i}]", "invalid_value", "unknown file id"))
    clean.update(
        {
            "type": vtype,
            "voucherNumber": body.get("voucherNumber"),
            "totalGrossAmount": out(gross) if gross is not None else None,
            "totalTaxAmount": out(total_tax) if total_tax is not None else None,
            "taxType": tax_type,
            "useCollectiveContact": collective,
            "contactId": contact_id,
            "contactName": body.get("contactName") if collective else None,
            "remark": body.get("remark"),
            "voucherItems": [
                {
                    **{k: _decimal_out(item.get(k)) for k in ("amount", "taxAmount", "taxRatePercent")},
                    "categoryId": item.get("categoryId"),
                }
                for item in items
            ],
            "files": list(files),
        }
    )
    return issues, clean


def _decimal_out(value: Any) -> Any:
    """Amounts and rates are answered as JSON floats (119.0, 19.0), whatever number form was sent."""
    parsed = number(value)
    return out(parsed) if parsed is not None else value


async def create_voucher(ctx: Ctx) -> Response:
    status = ctx.body.get("voucherStatus")
    if status is not None and (not ctx.state.config.voucher_post_status_allowed or status not in ("open", "unchecked")):
        raise validation(
            [Issue("voucherStatus", "invalid_value", "POST accepts voucherStatus open, unchecked or none")]
        )
    status = status or "open"
    issues, clean = _validate(ctx, ctx.body, status)
    if issues:
        raise validation(issues)
    doc: Doc = {}
    stamp_new(doc, ctx.org, ctx.state.clock.stamp())
    doc["voucherStatus"] = status
    doc.update(clean)
    return saved(ctx, VOUCHER_KIND, doc, "voucher.created", 200)


async def get_voucher(ctx: Ctx) -> Response:
    return json(public(ctx.doc(VOUCHER_KIND, "Voucher")))


async def update_voucher(ctx: Ctx) -> Response:
    doc = ctx.doc(VOUCHER_KIND, "Voucher")
    body = ctx.body
    if body.get("version") != doc["version"]:
        raise ApiError(
            409, "Conflict: stale version; GET the voucher and retry.", [Issue("version", "conflict", "stale")]
        )
    current = doc["voucherStatus"]
    if current not in ("open", "unchecked", "blank", *PAYMENT_STATUSES):
        raise validation([Issue("voucherStatus", "invalid_value", f"a {current} voucher cannot be changed")])
    wanted = body.get("voucherStatus")
    echo = wanted in ("unchecked", "blank") and current in ("unchecked", "blank")  # read-merge-write, no change
    if wanted is not None and (current in PAYMENT_STATUSES or (wanted != "open" and not echo)):
        raise validation(
            [
                Issue(
                    "voucherStatus",
                    "invalid_value",
                    "only 'open' (books an unchecked voucher) or the unchanged 'unchecked' may be sent",
                )
            ]
        )
    new_status = "open" if wanted == "open" else ("unchecked" if current == "blank" else current)
    issues, clean = _validate(ctx, body, new_status)
    if issues:
        raise validation(issues)
    removed = [f for f in doc.get("files") or [] if f not in clean["files"]]
    for fid in removed:  # leaving a file out of `files` deletes it for good (since 05.07.2023)
        ctx.state.store.delete(ctx.org, "files", fid)
        ctx.state.store.delete_blob(ctx.org, fid)
    status_changed = new_status != current
    doc.update(clean)
    doc["voucherStatus"] = new_status
    touch(doc, ctx.state.clock.stamp())
    response = saved(ctx, VOUCHER_KIND, doc, "voucher.changed", 200)
    if status_changed:
        ctx.state.emit(ctx.org, "voucher.status.changed", doc["id"])
    return response


async def find_vouchers(ctx: Ctx) -> Response:
    import html

    raw = ctx.query.get("voucherNumber")
    if not raw:
        raise ApiError(400, "voucherNumber is required", [Issue("voucherNumber", "bad_request_error", "required")])
    page, size = page_params(ctx.query)
    wanted = html.unescape(raw)
    items = [public(d) for d in ctx.state.store.iter(ctx.org, VOUCHER_KIND) if d.get("voucherNumber") == wanted]
    return json(paged(items, page, size))


ROUTES = [
    ApiRoute("POST", "/v1/vouchers", create_voucher, "vouchers.write", "issues", True, "Create bookkeeping voucher"),
    ApiRoute(
        "GET",
        "/v1/vouchers",
        find_vouchers,
        "vouchers.read",
        "issues",
        summary="Filter vouchers by number (deprecated)",
    ),
    ApiRoute("GET", "/v1/vouchers/{id}", get_voucher, "vouchers.read", "issues", summary="Get bookkeeping voucher"),
    ApiRoute(
        "PUT", "/v1/vouchers/{id}", update_voucher, "vouchers.write", "issues", True, "Update bookkeeping voucher"
    ),
]
