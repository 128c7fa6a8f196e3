"""Server-side totals (docs/lexware.md#totals): every vendor sample to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lexflow.lexware.models.totals import compute_document_totals, line_amount, other_unit_price, valid_tax_rates


def _line(qty, net=None, gross=None, rate=19, discount=None, **extra):
    price = {"currency": "EUR", "taxRatePercentage": rate}
    if net is not None:
        price["netAmount"] = net
    if gross is not None:
        price["grossAmount"] = gross
    item = {"type": "custom", "name": "x", "quantity": qty, "unitName": "Stück", "unitPrice": price}
    if discount is not None:
        item["discountPercentage"] = discount
    item.update(extra)
    return item


def test_line_discount_sample():
    assert line_amount(_line(2, net=13.40, discount=50), "net") == Decimal("13.40")


def test_net_document_sample_26_72():
    # the invoice sample: 13.40 at 19%, 8.32 at 7% and a 5.00 line at 0% (26.72 - 13.40 - 8.32)
    items = [_line(2, net=13.40, discount=50), _line(1, net=8.32, rate=7), _line(1, net=5.00, rate=0)]
    totals = compute_document_totals(items, "net")
    assert totals.total_net == Decimal("26.72")
    assert totals.total_tax == Decimal("3.13")
    assert totals.total_gross == Decimal("29.85")
    by_rate = {t["taxRatePercentage"]: t for t in totals.tax_amounts}
    assert by_rate[Decimal(19)]["taxAmount"] == Decimal("2.55")
    assert by_rate[Decimal(7)]["taxAmount"] == Decimal("0.58")


def test_gross_documents_samples():
    t = compute_document_totals([_line(1, gross=720.00)], "gross")
    assert (t.total_net, t.total_tax, t.total_gross) == (Decimal("605.04"), Decimal("114.96"), Decimal("720.00"))
    t = compute_document_totals([_line(2, gross=333.00)], "gross")
    assert (t.total_net, t.total_tax) == (Decimal("559.66"), Decimal("106.34"))


def test_other_unit_price_is_derived_to_four_decimals():
    assert other_unit_price(net=13.4, rate=19) == (Decimal("13.4"), Decimal("15.946"))
    net, gross = other_unit_price(gross=11.90, rate=19)
    assert net == Decimal("10") and gross == Decimal("11.9")


def test_optional_alternative_and_text_lines_do_not_count():
    items = [
        _line(1, net=100),
        _line(1, net=50, optional=True),
        {"type": "text", "name": "Hinweis"},
        _line(1, net=70, alternative=True),
    ]
    t = compute_document_totals(items, "net")
    assert t.total_net == Decimal("100.00")
    assert t.line_amounts == [Decimal("100.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00")]


def test_vat_free_types_have_no_tax():
    t = compute_document_totals([_line(3, net=10, rate=0)], "intraCommunitySupply")
    assert (t.total_net, t.total_tax, t.total_gross) == (Decimal("30.00"), Decimal("0.00"), Decimal("30.00"))


def test_total_discount_percentage_reduces_every_group():
    t = compute_document_totals([_line(1, net=100), _line(1, net=50, rate=7)], "net", total_discount_percentage=10)
    assert t.total_net == Decimal("135.00")
    assert t.total_tax == Decimal("17.10") + Decimal("3.15")


def test_valid_tax_rates_by_date():
    assert valid_tax_rates(date(2020, 7, 1)) == {Decimal(0), Decimal(5), Decimal(16)}
    assert valid_tax_rates(date(2020, 12, 31)) == {Decimal(0), Decimal(5), Decimal(16)}
    assert valid_tax_rates(date(2021, 1, 1)) == {Decimal(0), Decimal(7), Decimal(19)}
    assert valid_tax_rates(date(2020, 6, 30)) == {Decimal(0), Decimal(7), Decimal(19)}
