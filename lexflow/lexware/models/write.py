"""Write rules checked before sending (strict on write): what the API would refuse with a 406/400 anyway.

Returns problems as `(field path, code, what to do)` so the client can raise one error naming every field at once.
Non-EUR currencies are reported separately: that is not a mistake to fix but something the API cannot do (docs/lexware.md#eur-only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["SALES_REQUIRED", "TIMESTAMP_RE", "check_write", "non_eur_fields"]

TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Problem = tuple[str, str, str]

SALES_REQUIRED: dict[str, tuple[str, ...]] = {
    "invoice": ("voucherDate", "address", "lineItems", "totalPrice", "taxConditions", "shippingConditions"),
    "credit_note": ("voucherDate", "address", "lineItems", "totalPrice", "taxConditions"),
    "order_confirmation": ("voucherDate", "address", "lineItems", "totalPrice", "taxConditions"),
    "quotation": ("voucherDate", "expirationDate", "address", "lineItems", "totalPrice", "taxConditions"),
    "delivery_note": ("voucherDate", "address", "lineItems", "taxConditions", "shippingConditions"),
    "dunning": ("voucherDate", "address", "lineItems", "taxConditions", "shippingConditions", "totalPrice"),
}
_TS_FIELDS = ("voucherDate", "expirationDate")
_LENGTHS = {"title": 25, "introduction": 2000, "remark": 2000, "deliveryTerms": 255}


def _missing(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    return value is None or value == "" or value == []


def _timestamp(path: str, value: Any) -> Iterator[Problem]:
    if value is not None and not (isinstance(value, str) and TIMESTAMP_RE.match(value)):
        yield (
            path,
            "invalid_format",
            f"use yyyy-MM-ddTHH:mm:ss.SSS+hh:mm (e.g. 2026-03-01T00:00:00.000+01:00), got {value!r}",
        )


def _plain_date(path: str, value: Any) -> Iterator[Problem]:
    if value is not None and not (isinstance(value, str) and DATE_RE.match(value)):
        yield (path, "invalid_format", f"use a plain date yyyy-MM-dd, got {value!r}")


def _sales(kind: str, body: dict[str, Any]) -> Iterator[Problem]:
    for name in SALES_REQUIRED.get(kind, ()):
        if _missing(body, name):
            yield (name, "required", f"set {name}")
    for name in _TS_FIELDS:
        yield from _timestamp(name, body.get(name))
    shipping = body.get("shippingConditions") or {}
    if isinstance(shipping, dict):
        for name in ("shippingDate", "shippingEndDate"):
            yield from _timestamp(f"shippingConditions.{name}", shipping.get(name))
        stype = shipping.get("shippingType")
        if stype in ("service", "serviceperiod", "delivery", "deliveryperiod") and not shipping.get("shippingDate"):
            yield ("shippingConditions.shippingDate", "required", f"shippingType {stype} needs a shippingDate")
        if stype in ("serviceperiod", "deliveryperiod") and not shipping.get("shippingEndDate"):
            yield ("shippingConditions.shippingEndDate", "required", f"shippingType {stype} needs a shippingEndDate")
    for name, limit in _LENGTHS.items():
        value = body.get(name)
        if isinstance(value, str) and len(value) > limit:
            yield (name, "too_long", f"at most {limit} characters (got {len(value)})")
    address = body.get("address")
    if (
        isinstance(address, dict)
        and not address.get("contactId")
        and not (address.get("name") and address.get("countryCode"))
    ):
        yield ("address", "required", "reference a contact (contactId) or give a one-time name and countryCode")
    items = body.get("lineItems") or []
    if len(items) > 300:
        yield ("lineItems", "too_many", f"at most 300 line items per document (got {len(items)})")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        p = f"lineItems[{i}]"
        itype = item.get("type")
        if itype not in ("custom", "material", "service", "text"):
            yield (f"{p}.type", "invalid_value", "use custom, material, service or text")
        if item.get("id") and itype not in ("material", "service"):
            yield (f"{p}.id", "not_allowed", "only material/service lines may carry an article id")
        if itype in ("material", "service") and not item.get("id"):
            yield (f"{p}.id", "required", "material/service lines need the article id")
        if itype != "text":
            if not item.get("name"):
                yield (f"{p}.name", "required", "give the line a name")
            if item.get("quantity") is None:
                yield (f"{p}.quantity", "required", "give a quantity")
            if not item.get("unitName"):
                yield (f"{p}.unitName", "required", "give a unit name (e.g. Stück, Stunde)")
            price = item.get("unitPrice")
            if kind != "delivery_note" and not isinstance(price, dict):
                yield (
                    f"{p}.unitPrice",
                    "required",
                    "give unitPrice {currency, netAmount|grossAmount, taxRatePercentage}",
                )
            elif isinstance(price, dict) and price.get("taxRatePercentage") is None:
                yield (f"{p}.unitPrice.taxRatePercentage", "required", "give the tax rate (0 for vat-free)")
        line_name = item.get("name")
        if isinstance(line_name, str) and len(line_name) > 255:
            yield (f"{p}.name", "too_long", "at most 255 characters")
        desc = item.get("description")
        if isinstance(desc, str) and len(desc) > 2000:
            yield (f"{p}.description", "too_long", "at most 2000 characters")
        if kind in ("credit_note", "delivery_note") and item.get("discountPercentage") not in (None, 0):
            yield (f"{p}.discountPercentage", "not_allowed", f"{kind.replace('_', ' ')}s take no line discounts")


def _contact(body: dict[str, Any]) -> Iterator[Problem]:
    company, person = body.get("company"), body.get("person")
    if bool(company) == bool(person):
        yield ("company", "exclusive", "give exactly one of company or person")
    if isinstance(company, dict) and not company.get("name"):
        yield ("company.name", "required", "give the company name")
    if isinstance(person, dict):
        if not person.get("lastName"):
            yield ("person.lastName", "required", "give the last name")
        if len(person.get("salutation") or "") > 25:
            yield ("person.salutation", "too_long", "at most 25 characters")
    roles = body.get("roles") or {}
    if not isinstance(roles, dict) or not ({"customer", "vendor"} & set(roles)):
        yield ("roles", "required", 'give at least one role, e.g. "roles": {"customer": {}}')
    if len(body.get("note") or "") > 1000:
        yield ("note", "too_long", "at most 1000 characters")
    singles: list[tuple[str, Any]] = []
    for group in ("addresses", "emailAddresses", "phoneNumbers"):
        for key, value in (body.get(group) or {}).items():
            singles.append((f"{group}.{key}", value))
    if isinstance(company, dict):
        singles.append(("company.contactPersons", company.get("contactPersons")))
    for path, value in singles:
        if isinstance(value, list) and len(value) > 1:
            yield (path, "too_many", "the API writes at most one entry here; keep one (edit the rest in the web app)")
    xr = body.get("xRechnung") or {}
    if isinstance(xr, dict) and xr.get("buyerReference") and not xr.get("vendorNumberAtCustomer"):
        yield ("xRechnung.vendorNumberAtCustomer", "required", "a buyerReference needs vendorNumberAtCustomer too")


def _article(body: dict[str, Any]) -> Iterator[Problem]:
    for name in ("title", "type", "unitName", "price"):
        if _missing(body, name):
            yield (name, "required", f"set {name}")
    if body.get("type") not in (None, "PRODUCT", "SERVICE"):
        yield ("type", "invalid_value", "use PRODUCT or SERVICE")
    price = body.get("price")
    if isinstance(price, dict):
        leading = price.get("leadingPrice")
        if leading not in ("NET", "GROSS"):
            yield ("price.leadingPrice", "required", "set leadingPrice to NET or GROSS")
        elif price.get("netPrice" if leading == "NET" else "grossPrice") is None:
            yield (f"price.{'netPrice' if leading == 'NET' else 'grossPrice'}", "required", "give the leading price")
        if price.get("taxRate") is None:
            yield ("price.taxRate", "required", "give taxRate (0, 7 or 19)")


def _voucher(body: dict[str, Any]) -> Iterator[Problem]:
    if body.get("type") not in ("salesinvoice", "salescreditnote", "purchaseinvoice", "purchasecreditnote"):
        yield ("type", "required", "use salesinvoice, salescreditnote, purchaseinvoice or purchasecreditnote")
    if body.get("taxType") is None:
        yield ("taxType", "required", "set taxType (net or gross)")
    unchecked = body.get("voucherStatus") == "unchecked"
    if unchecked and body.get("taxType") == "net":
        yield ("taxType", "invalid_value", "unchecked vouchers cannot be net; use gross")
    if not unchecked:
        for name in ("voucherNumber", "voucherDate", "totalGrossAmount", "totalTaxAmount"):
            if _missing(body, name):
                yield (name, "required", f"set {name}")
    for name in ("voucherDate", "shippingDate", "dueDate"):
        yield from _plain_date(name, body.get(name))
    if not body.get("useCollectiveContact") and not body.get("contactId") and not unchecked:
        yield ("contactId", "required", "give contactId or set useCollectiveContact true")
    if body.get("contactId") and body.get("contactName") and not body.get("useCollectiveContact"):
        yield ("contactName", "not_allowed", "contactName is only for the collective contact")
    for i, item in enumerate(body.get("voucherItems") or []):
        for name in ("amount", "taxAmount", "taxRatePercent", "categoryId"):
            if isinstance(item, dict) and item.get(name) is None:
                yield (f"voucherItems[{i}].{name}", "required", f"set {name}")


_CHECKS = {"contact": _contact, "article": _article, "voucher": _voucher}


def check_write(kind: str, body: dict[str, Any]) -> list[Problem]:
    """Every rule violation of a create/update body of `kind` (contact, article, voucher, invoice, ...)."""
    if kind in _CHECKS:
        return list(_CHECKS[kind](body))
    if kind in SALES_REQUIRED:
        return list(_sales(kind, body))
    return []


def non_eur_fields(body: Any, path: str = "") -> list[str]:
    """Paths of every `currency` that is not EUR (the API supports only EUR, docs/lexware.md#eur-only)."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            sub = f"{path}.{key}" if path else key
            if key == "currency" and value not in (None, "EUR"):
                found.append(sub)
            else:
                found.extend(non_eur_fields(value, sub))
    elif isinstance(body, list):
        for i, value in enumerate(body):
            found.extend(non_eur_fields(value, f"{path}[{i}]"))
    return found
