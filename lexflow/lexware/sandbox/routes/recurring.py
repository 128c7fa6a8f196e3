"""Recurring templates (docs/lexware.md#read-only-documents): read-only; they are created by seeding (`state.insert_document`)."""

from __future__ import annotations

from starlette.responses import Response

from lexflow.lexware.sandbox.common import page_params, paged, sort_entry
from lexflow.lexware.sandbox.errors import ApiError, Issue
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, json, public

KIND = "recurring-templates"
SORTS = ("createdDate", "updatedDate", "lastExecutionDate", "nextExecutionDate")


def _short(doc: dict) -> dict:
    """The list rows are shortened: contact, totals, payment conditions and settings."""
    keys = (
        "id",
        "organizationId",
        "createdDate",
        "updatedDate",
        "version",
        "address",
        "title",
        "totalPrice",
        "paymentConditions",
        "recurringTemplateSettings",
    )
    row = {k: doc[k] for k in keys if k in doc}
    addr = doc.get("address") or {}
    row["contactId"] = addr.get("contactId")
    row["contactName"] = addr.get("name")
    return row


async def list_templates(ctx: Ctx) -> Response:
    page, size = page_params(ctx.query)
    prop, _, direction = (ctx.query.get("sort") or "updatedDate,DESC").partition(",")
    direction = (direction or "ASC").upper()
    if prop not in SORTS or direction not in ("ASC", "DESC"):
        raise ApiError(400, "parameter 'sort' is invalid", [Issue("sort", "invalid", f"one of {', '.join(SORTS)}")])

    def key(d: dict) -> str:
        settings = d.get("recurringTemplateSettings") or {}
        return str(d.get(prop) or settings.get(prop) or "")

    items = sorted(ctx.state.store.all(ctx.org, KIND), key=key, reverse=direction == "DESC")
    return json(paged(items, page, size, [sort_entry(prop, direction)], mapper=_short))


async def get_template(ctx: Ctx) -> Response:
    return json(public(ctx.doc(KIND, "Recurring template")))


ROUTES = [
    ApiRoute(
        "GET", "/v1/recurring-templates", list_templates, "recurring-templates.read", summary="List recurring templates"
    ),
    ApiRoute(
        "GET",
        "/v1/recurring-templates/{id}",
        get_template,
        "recurring-templates.read",
        summary="Get recurring template",
    ),
]
