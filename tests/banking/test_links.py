from __future__ import annotations

from decimal import Decimal

import pytest

from lexflow.banking.open_items import OpenItem
from lexflow.banking.reconcile import voucher_link

APP = "https://app.lexware.de"


@pytest.mark.parametrize(
    ("voucher_type", "segment"),
    [
        ("invoice", "invoices"),
        ("downpaymentinvoice", "invoices"),  # §2.2: down payment invoices open on the invoice page
        ("creditnote", "credit-notes"),
        ("salesinvoice", "vouchers"),  # bookkeeping vouchers (§4.8) have their own permalink
        ("salescreditnote", "vouchers"),
        ("somethingnew", "invoices"),  # §4.8: new types may appear; the invoice page is the best guess
    ],
)
def test_review_links_open_the_voucher_on_its_own_page(voucher_type: str, segment: str) -> None:
    item = OpenItem(voucher_id="v-1", voucher_type=voucher_type, open_amount=Decimal("10"))
    assert voucher_link(item, APP) == f"{APP}/permalink/{segment}/view/v-1"
