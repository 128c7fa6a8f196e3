"""Profile and the bare-array master data lists (docs/lexware.md#master-data)."""

from __future__ import annotations

from starlette.responses import Response

from lexflow.lexware.sandbox import masterdata
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, json
from lexflow.lexware.sandbox.plumbing import connection_of_token


async def get_profile(ctx: Ctx) -> Response:
    org = ctx.state.organization(ctx.org)
    connection = org.connection_id
    if ctx.key.kind == "oauth":  # a partner token reports its own connection (the resourceId of token.revoked)
        connection = connection_of_token(ctx.state, ctx.key.key) or connection
    return json(
        {
            "organizationId": org.id,
            "companyName": org.company_name,
            "created": {
                "userId": org.user_id,
                "userName": org.user_name,
                "userEmail": org.user_email,
                "date": org.created,
            },
            "connectionId": connection,
            "features": ["cashbox"],
            "businessFeatures": ["INVOICING", "INVOICING_PRO", "BOOKKEEPING"],
            "subscriptionStatus": "active",
            "taxType": org.tax_type,
            "distanceSalesPrinciple": org.distance_sales_principle,
            "smallBusiness": org.small_business,
        }
    )


async def ping(ctx: Ctx) -> Response:
    """A credentials check: any valid key, no scope. The reference's samples show an answer like {"userEmail": ...}
    without naming the path, and connectors call GET /v1/ping for it (see docs/lexware.md)."""
    return json({"userEmail": ctx.state.organization(ctx.org).user_email})


PING = ApiRoute("GET", "/v1/ping", ping, None, summary="Check the credentials (unverified upstream)")
"""Served unless `SandboxConfig.ping_endpoint` is off (then the gateway's 403 of an unknown route)."""


async def list_countries(ctx: Ctx) -> Response:
    return json(masterdata.countries())


async def list_payment_conditions(ctx: Ctx) -> Response:
    return json(masterdata.PAYMENT_CONDITIONS)


async def list_posting_categories(ctx: Ctx) -> Response:
    return json(masterdata.POSTING_CATEGORIES)


async def list_print_layouts(ctx: Ctx) -> Response:
    return json(masterdata.PRINT_LAYOUTS)


ROUTES = [
    ApiRoute("GET", "/v1/profile", get_profile, "profile.read", summary="Get profile"),
    ApiRoute("GET", "/v1/countries", list_countries, "countries.read", summary="List countries"),
    ApiRoute(
        "GET",
        "/v1/payment-conditions",
        list_payment_conditions,
        "payment-conditions.read",
        summary="Payment conditions",
    ),
    ApiRoute(
        "GET",
        "/v1/posting-categories",
        list_posting_categories,
        "posting-categories.read",
        summary="Posting categories",
    ),
    ApiRoute("GET", "/v1/print-layouts", list_print_layouts, "print-layouts.read", summary="List print layouts"),
]
