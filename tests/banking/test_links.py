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
        ("downpaymentinvoice", "invoices"),  # docs/lexware.md#deeplinks: down payment invoices open on the invoice page
        ("creditnote", "credit-notes"),
        ("salesinvoice", "vouchers"),  # bookkeeping vouchers (docs/lexware.md#voucher-list) have their own permalink
        ("salescreditnote", "vouchers"),
        # docs/lexware.md#voucher-list: new types may appear; the invoice page is the best guess
        ("somethingnew", "invoices"),
    ],
)
def test_review_links_open_the_voucher_on_its_own_page(voucher_type: str, segment: str) -> None:
    item = OpenItem(voucher_id="v-1", voucher_type=voucher_type, open_amount=Decimal("10"))
    assert voucher_link(item, APP) == f"{APP}/permalink/{segment}/view/v-1"


def test_no_link_into_the_web_app_without_one() -> None:
    """On the sandbox reconcile passes no web-app URL: a permalink with a sandbox id opens nothing real."""
    item = OpenItem(voucher_id="v-1", voucher_type="invoice", open_amount=Decimal("10"))
    assert voucher_link(item, None) is None


def test_draft_notice_links_the_web_app_only_for_the_real_api() -> None:
    """Even a link stored by a run before this rule is not offered on the sandbox."""
    from types import SimpleNamespace

    from lexflow.banking.ledger import _draft_notice, _link

    stored = SimpleNamespace(stored_link=lambda v: f"{APP}/permalink/credit-notes/view/{v}")
    nothing = SimpleNamespace(stored_link=lambda v: None)
    real = SimpleNamespace(base_url="https://api.lexware.io")
    assert _link(stored, "v-1", real) == f"{APP}/permalink/credit-notes/view/v-1"  # type: ignore[arg-type]
    assert _link(nothing, "v-1", real) == f"{APP}/permalink/invoices/view/v-1"  # type: ignore[arg-type]
    for sandbox in ("http://sandbox.local", "http://127.0.0.1:8484"):
        client = SimpleNamespace(base_url=sandbox)
        assert _link(stored, "v-1", client) is None  # type: ignore[arg-type]
        notice = _draft_notice("RE1", _link(stored, "v-1", client))  # type: ignore[arg-type]
        assert "app.lexware.de" not in notice and "sandbox has no web app" in notice
