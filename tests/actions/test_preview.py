"""preview_invoice needs no backend: the totals come from lexflow.lexware.models.totals (the sandbox's own rules)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lexflow.actions import run
from lexflow.audit import AuditTrail


@pytest.fixture
def preview(tmp_path):
    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")
    return lambda data: run("lexware_preview_invoice", data, client=object(), trail=trail)


def test_net_sample_from_the_reference(preview):
    out = preview(
        {
            "recipient_name": "Einmalkunde",
            "voucher_date": "2026-11-24",
            "line_items": [
                {"name": "A", "quantity": "2", "unit_price": "13.40", "tax_rate": "19", "discount_percentage": "50"},
                {"name": "B", "quantity": "1", "unit_price": "8.32", "tax_rate": "7"},
                {"name": "Hinweis", "type": "text", "unit_price": "0"},
            ],
        }
    )
    assert (out.totals.total_net, out.totals.total_tax, out.totals.total_gross) == (
        Decimal("21.72"),
        Decimal("3.13"),
        Decimal("24.85"),
    )
    assert [t.tax_amount for t in out.totals.tax_amounts] == [Decimal("0.58"), Decimal("2.55")]
    body = out.request_body
    assert body["lineItems"][0]["discountPercentage"] == 50 and body["lineItems"][2] == {
        "type": "text",
        "name": "Hinweis",
    }
    assert body["voucherDate"] == "2026-11-24T00:00:00.000+01:00"
    assert body["address"] == {"name": "Einmalkunde", "countryCode": "DE"} and not out.warnings


def test_gross_sample_and_invalid_rate_warning(preview):
    out = preview(
        {
            "recipient_name": "X",
            "tax_type": "gross",
            "voucher_date": "2026-11-24",
            "line_items": [
                {"name": "A", "unit_price": "720", "tax_rate": "19"},
                {"name": "B", "unit_price": "10", "tax_rate": "16"},
            ],
        }
    )
    first = next(t for t in out.totals.tax_amounts if t.tax_rate == 19)
    assert (first.net_amount, first.tax_amount) == (Decimal("605.04"), Decimal("114.96"))
    assert out.request_body["lineItems"][0]["unitPrice"]["grossAmount"] == 720
    assert any("16" in w for w in out.warnings)


def test_the_request_body_is_the_typed_invoice_the_client_sends(preview):
    """One typed write path: the draft becomes an `lx.Invoice` with Decimal amounts, and the preview shows exactly
    the JSON the client would POST for it (reference folded into the remark, 4-decimal prices kept)."""
    from lexflow.actions.business.invoices import InvoiceDraft
    from lexflow.lexware import models as lx
    from lexflow.lexware.client._resources import body_of

    data = {
        "recipient_name": "X",
        "voucher_date": "2026-11-24",
        "payment_term_days": 14,
        "remark": "Danke",
        "reference": "ORDER-7",
        "line_items": [{"name": "A", "quantity": "1.5", "unit_price": "8.3213", "tax_rate": "7"}],
    }
    typed = InvoiceDraft.model_validate(data).body()
    assert isinstance(typed, lx.Invoice)
    assert typed.line_items[0].unit_price is not None
    assert typed.line_items[0].unit_price.net_amount == Decimal("8.3213")
    sent = body_of(typed)
    assert preview(data).request_body == sent
    assert sent["remark"] == "Danke\nReferenz: ORDER-7"
    assert sent["paymentConditions"] == {
        "paymentTermLabel": "Zahlbar innerhalb von 14 Tagen",
        "paymentTermDuration": 14,
    }
    assert sent["lineItems"][0]["unitPrice"] == {"currency": "EUR", "netAmount": 8.3213, "taxRatePercentage": 7}
