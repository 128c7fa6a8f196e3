"""The public API surface (docs/lexware.md#operations), one module per resource group."""

from __future__ import annotations

from lexflow.lexware.sandbox.http import ApiRoute
from lexflow.lexware.sandbox.routes import (
    articles,
    contacts,
    files,
    payments,
    profile,
    recurring,
    sales,
    voucherlist,
    vouchers,
)

ROUTES: list[ApiRoute] = [
    *profile.ROUTES,
    *contacts.ROUTES,
    *articles.ROUTES,
    *sales.ROUTES,
    *vouchers.ROUTES,
    *files.ROUTES,
    *voucherlist.ROUTES,
    *payments.ROUTES,
    *recurring.ROUTES,
]


def unsupported_method_routes() -> list[ApiRoute]:
    """The measured 404 for PUT/DELETE on sales documents (config `unsupported_method_status=404`)."""
    return sales.unsupported_method_routes()
