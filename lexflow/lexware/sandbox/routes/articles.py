"""Articles (docs/lexware.md#articles): price net/gross derivation, GTIN check, 409 on a stale version, list size 25..250."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.responses import Response

from lexflow.lexware.models.totals import dec
from lexflow.lexware.sandbox.common import check_len, number, out, page_params, paged, sort_entry, stamp_new, touch
from lexflow.lexware.sandbox.errors import ApiError, Issue, validation
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, public, saved
from lexflow.lexware.sandbox.http import json as json_response
from lexflow.sandbox.store import Doc

KIND = "articles"
CENT = Decimal("0.01")


def gtin_ok(value: str) -> bool:
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in value]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def _validate(body: dict[str, Any]) -> list[Issue]:
    issues: list[Issue] = []
    for key in ("title", "unitName"):
        if not str(body.get(key) or "").strip():
            issues.append(Issue(key, "blank", f"{key} must not be blank"))
    if body.get("type") not in ("PRODUCT", "SERVICE"):
        issues.append(Issue("type", "invalid", "type must be PRODUCT or SERVICE"))
    gtin = body.get("gtin")
    if gtin and not gtin_ok(str(gtin)):
        issues.append(Issue("gtin", "invalid", "not a valid GTIN-8/12/13/14 (check digit)"))
    check_len(issues, body, "title", 255)
    price = body.get("price")
    if not isinstance(price, dict):
        issues.append(Issue("price", "missing", "price is required"))
        return issues
    leading = price.get("leadingPrice")
    if leading not in ("NET", "GROSS"):
        issues.append(Issue("price.leadingPrice", "invalid", "leadingPrice must be NET or GROSS"))
    rate = number(price.get("taxRate"))
    if rate is None or rate not in (0, 7, 19):
        issues.append(Issue("price.taxRate", "invalid", "taxRate must be 0, 7 or 19"))
    field = "netPrice" if leading == "NET" else "grossPrice"
    if leading in ("NET", "GROSS") and number(price.get(field)) is None:
        issues.append(Issue(f"price.{field}", "missing", f"{field} is required when leadingPrice is {leading}"))
    return issues


def _price(price: dict[str, Any]) -> dict[str, Any]:
    rate = dec(price["taxRate"])
    factor = 1 + rate / 100
    if price["leadingPrice"] == "NET":
        net = dec(price["netPrice"])
        gross = (net * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        gross = dec(price["grossPrice"])
        net = (gross / factor).quantize(CENT, rounding=ROUND_HALF_UP)
    return {"netPrice": out(net), "grossPrice": out(gross), "leadingPrice": price["leadingPrice"], "taxRate": out(rate)}


def _apply(doc: Doc, body: dict[str, Any]) -> None:
    for key in ("title", "description", "type", "articleNumber", "gtin", "note", "unitName"):
        if body.get(key) is not None:
            doc[key] = body[key]
        else:
            doc.pop(key, None)
    doc["price"] = _price(body["price"])
    doc.setdefault("archived", False)


async def create_article(ctx: Ctx) -> Response:
    issues = _validate(ctx.body)
    if issues:
        raise validation(issues)
    doc: Doc = {}
    _apply(doc, ctx.body)
    stamp_new(doc, ctx.org, ctx.state.clock.stamp(), version=0)
    return saved(ctx, KIND, doc, "article.created", 201)


async def get_article(ctx: Ctx) -> Response:
    return json_response(public(ctx.doc(KIND, "Article")))


async def update_article(ctx: Ctx) -> Response:
    doc = ctx.doc(KIND, "Article")
    if ctx.body.get("version") != doc["version"]:
        raise ApiError(409, "Conflict: the article was changed meanwhile (stale version); GET it and retry.")
    issues = _validate(ctx.body)
    if issues:
        raise validation(issues)
    _apply(doc, ctx.body)
    touch(doc, ctx.state.clock.stamp())
    return saved(ctx, KIND, doc, "article.changed", 200)


async def delete_article(ctx: Ctx) -> Response:
    doc = ctx.doc(KIND, "Article")
    ctx.state.store.delete(ctx.org, KIND, doc["id"])
    ctx.state.emit(ctx.org, "article.deleted", doc["id"])
    return Response(status_code=204)


async def list_articles(ctx: Ctx) -> Response:
    page, size = page_params(ctx.query, min_size=25)
    items = ctx.state.store.all(ctx.org, KIND)
    for name in ("articleNumber", "gtin", "type"):
        value = ctx.query.get(name)
        if value is not None:
            items = [d for d in items if str(d.get(name) or "") == value]
    items.sort(key=lambda d: str(d.get("title") or "").lower())
    return json_response(paged(items, page, size, [sort_entry("title", "ASC")], mapper=public))


ROUTES = [
    ApiRoute("POST", "/v1/articles", create_article, "articles.write", "details", True, "Create article"),
    ApiRoute("GET", "/v1/articles", list_articles, "articles.read", summary="List/filter articles"),
    ApiRoute("GET", "/v1/articles/{id}", get_article, "articles.read", summary="Get article"),
    ApiRoute("PUT", "/v1/articles/{id}", update_article, "articles.write", "details", True, "Update article"),
    ApiRoute("DELETE", "/v1/articles/{id}", delete_article, "articles.write", summary="Delete article"),
]
