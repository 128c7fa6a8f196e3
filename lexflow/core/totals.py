"""An invoice's totals computed locally, the way the provider rounds: what an approver sees is what gets created.

Providers round tax in one of two ways: per line (Xero, sevDesk: each line's tax rounded, then summed) or per tax
rate (Lexware Office, QuickBooks: the lines of one rate summed, then the tax rounded once). Amounts are rounded
half up to cents (docs/providers.md#invoice-totals).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from lexflow.core.models import InvoiceDraft, InvoicePreview, TaxRef, TaxTotal
from lexflow.core.tax import TaxMapping

Rounding = Literal["line", "tax_rate"]
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


def _tax(amount: Decimal, rate: Decimal, inclusive: bool) -> Decimal:
    """The tax on `amount` (net), or the tax contained in it (gross), in cents."""
    return cents(amount * rate / (HUNDRED + rate) if inclusive else amount * rate / HUNDRED)


def invoice_preview(draft: InvoiceDraft, tax: TaxMapping, rounding: Rounding) -> InvoicePreview:
    """Totals of `draft` with the provider's tax mapping (an unknown tax key raises `UnknownTaxCode`)."""
    inclusive = draft.prices_include_tax
    amounts: list[Decimal] = []
    refs: dict[str, TaxRef] = {}
    lines_by_code: dict[str, list[Decimal]] = {}
    for line in draft.lines:
        ref = tax.resolve(line.tax)
        amount = cents(line.quantity * line.unit_price)
        amounts.append(amount)
        refs[ref.code] = ref
        lines_by_code.setdefault(ref.code, []).append(amount)
    taxes = []
    for code, lines in lines_by_code.items():
        rate = refs[code].rate or Decimal(0)
        total = sum(lines, Decimal("0.00"))
        if rounding == "line":
            tax_amount = sum((_tax(a, rate, inclusive) for a in lines), Decimal("0.00"))
        else:
            tax_amount = _tax(total, rate, inclusive)
        taxes.append(TaxTotal(tax=refs[code], net=total - tax_amount if inclusive else total, amount=tax_amount))
    total_net = sum((t.net for t in taxes), Decimal("0.00"))
    total_tax = sum((t.amount for t in taxes), Decimal("0.00"))
    return InvoicePreview(
        currency=draft.currency,
        line_amounts=amounts,
        taxes=taxes,
        total_net=total_net,
        total_tax=total_tax,
        total_gross=total_net + total_tax,
    )
