"""The sandbox driven by lexflow's own client (the `sandbox_client` fixture other areas use)."""

from __future__ import annotations

import pytest

from tests.sandbox.helpers import company_contact, invoice_body, line


def test_client_round_trip(sandbox_client):
    created = sandbox_client.contacts.create(company_contact())
    contact = sandbox_client.contacts.get(created.id)
    assert contact.version == 1
    res = sandbox_client.invoices.create(invoice_body(str(created.id), [line(100)]), finalize=True)
    inv = sandbox_client.invoices.get(res.id)
    assert inv.voucher_status == "open"
    rows = list(sandbox_client.voucherlist.iter(voucher_type="invoice", voucher_status="any"))
    assert [str(r.id) for r in rows] == [str(res.id)]
    pay = sandbox_client.payments.get(res.id)
    assert float(pay.open_amount) == 119.0


def test_client_maps_validation_errors(sandbox_client):
    from lexflow.transport import errors

    with pytest.raises(errors.ValidationFailed) as info:
        sandbox_client.invoices.create(invoice_body(voucherDate="2026-08-21"))
    assert any(i.field == "voucherDate" for i in info.value.issues)
