"""Server-side document totals of Lexware Office (docs/lexware.md#totals), as pure Decimal functions.

The sandbox computes every sales document with these, and `preview_invoice` shows the same numbers before anything
is sent, so a preview and the stored document can never disagree. The rules reproduce every official sample:

- line amount = quantity x unit price x (1 - discount/100), rounded to cents; net prices unless taxType is gross;
- net documents: per tax rate, net = sum of lines, tax = round(net x rate/100);
- gross documents: per tax rate, gross = sum of lines, net = round(gross / (1 + rate/100)), tax = gross - net;
- quotation lines marked `optional` and alternative `subItems` are not counted; text lines carry no amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
FOUR = Decimal("0.0001")
HUNDRED = Decimal(100)

VAT_FREE_TAX_TYPES = frozenset(
    {
        "vatfree",
        "intraCommunitySupply",
        "constructionService13b",
        "externalService13b",
        "thirdPartyCountryService",
        "thirdPartyCountryDelivery",
        "photovoltaicEquipment",
    }
)
TAX_TYPES = frozenset({"net", "gross"}) | VAT_FREE_TAX_TYPES

REDUCED_2020_START = date(2020, 7, 1)
REDUCED_2020_END = date(2020, 12, 31)  # general knowledge; the reference only gives 2020-07-01 as an example


def dec(value: Any) -> Decimal:
    """Decimal from JSON numbers (floats via their repr, so 13.4 stays 13.4)."""
    if isinstance(value, Decimal):
        return value
    if value is None:
        return Decimal(0)
    return Decimal(str(value))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DocumentTotals:
    line_amounts: list[Decimal]  # one per line item (text, optional and alternative lines: 0.00)
    tax_amounts: list[dict[str, Decimal]]  # [{taxRatePercentage, netAmount, taxAmount}] by ascending rate
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    gross_by_rate: dict[Decimal, Decimal] = field(default_factory=dict)


def line_amount(item: Mapping[str, Any], tax_type: str) -> Decimal:
    """Amount of one line: net or gross price by taxType, times quantity, minus the line discount, in cents."""
    if item.get("type") == "text":
        return Decimal("0.00")
    price = item.get("unitPrice") or {}
    unit = dec(price.get("grossAmount") if tax_type == "gross" else price.get("netAmount"))
    amount = dec(item.get("quantity")) * unit
    discount = item.get("discountPercentage")
    if discount:
        amount = amount * (1 - dec(discount) / HUNDRED)
    return cents(amount)


def _counts(item: Mapping[str, Any]) -> bool:
    return item.get("type") != "text" and not item.get("optional") and not item.get("alternative")


def compute_document_totals(
    line_items: list[Mapping[str, Any]],
    tax_type: str,
    total_discount_percentage: Any = None,
    total_discount_absolute: Any = None,
) -> DocumentTotals:
    """Totals of a sales document. Alternative `subItems` of quotation lines are ignored by construction."""
    gross_mode = tax_type == "gross"
    vat_free = tax_type in VAT_FREE_TAX_TYPES
    amounts: list[Decimal] = []
    groups: dict[Decimal, Decimal] = {}
    for item in line_items:
        amount = line_amount(item, tax_type)
        if not _counts(item):
            amounts.append(Decimal("0.00"))
            continue
        amounts.append(amount)
        rate = Decimal(0) if vat_free else dec((item.get("unitPrice") or {}).get("taxRatePercentage"))
        groups[rate] = groups.get(rate, Decimal(0)) + amount
    groups = _apply_total_discount(groups, total_discount_percentage, total_discount_absolute)
    taxes: list[dict[str, Decimal]] = []
    gross_by_rate: dict[Decimal, Decimal] = {}
    for rate in sorted(groups):
        total = groups[rate]
        if gross_mode:
            net = cents(total / (1 + rate / HUNDRED))
            tax = total - net
        else:
            net = total
            tax = cents(net * rate / HUNDRED)
        taxes.append({"taxRatePercentage": rate, "netAmount": cents(net), "taxAmount": cents(tax)})
        gross_by_rate[rate] = cents(net + tax)
    total_net = sum((t["netAmount"] for t in taxes), Decimal("0.00"))
    total_tax = sum((t["taxAmount"] for t in taxes), Decimal("0.00"))
    return DocumentTotals(
        amounts, taxes, cents(total_net), cents(total_tax), cents(total_net + total_tax), gross_by_rate
    )


def _apply_total_discount(groups: dict[Decimal, Decimal], percentage: Any, absolute: Any) -> dict[Decimal, Decimal]:
    """A document discount reduces every tax group (an absolute one proportionally, the last group takes the rest)."""
    if percentage:
        factor = 1 - dec(percentage) / HUNDRED
        return {rate: cents(amount * factor) for rate, amount in groups.items()}
    if absolute:
        total = sum(groups.values(), Decimal(0))
        if total <= 0:
            return groups
        discount = min(cents(dec(absolute)), total)
        rates = sorted(groups)
        result: dict[Decimal, Decimal] = {}
        left = discount
        for i, rate in enumerate(rates):
            share = left if i == len(rates) - 1 else cents(discount * groups[rate] / total)
            left -= share
            result[rate] = groups[rate] - share
        return result
    return groups


def other_unit_price(net: Any = None, gross: Any = None, rate: Any = 0) -> tuple[Decimal, Decimal]:
    """(net, gross) unit prices, the missing one derived to 4 decimals (13.4 at 19% -> gross 15.946)."""
    r = 1 + dec(rate) / HUNDRED
    if net is not None:
        n = dec(net)
        return n, (n * r).quantize(FOUR, rounding=ROUND_HALF_UP).normalize()
    g = dec(gross)
    return (g / r).quantize(FOUR, rounding=ROUND_HALF_UP).normalize(), g


def valid_tax_rates(on: date) -> set[Decimal]:
    """German rates valid for a document whose tax date is `on` (2020-07-01..2020-12-31: 0/5/16, else 0/7/19)."""
    if REDUCED_2020_START <= on <= REDUCED_2020_END:
        return {Decimal(0), Decimal(5), Decimal(16)}
    return {Decimal(0), Decimal(7), Decimal(19)}


VOUCHER_TAX_RATES = frozenset({Decimal(0), Decimal(5), Decimal(7), Decimal(16), Decimal(19)})
"""Bookkeeping vouchers accept these for any date."""
