"""Purchase, Bill and Attachable: the expense side, through the client against the served sandbox."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lexflow.quickbooks.client import QuickBooksClient
from lexflow.quickbooks.models import BillInput, PurchaseInput, VendorInput
from lexflow.quickbooks.sandbox import ServedQuickBooks
from lexflow.transport import errors
from tests.quickbooks.conftest import Api, fault_code, unique

OFFICE = {"AccountRef": {"value": "13"}}


def test_bill_with_receipt_attached_once(client: QuickBooksClient, qbo: ServedQuickBooks) -> None:
    vendor = client.create_vendor(VendorInput(DisplayName=unique("Vendor")), business_key=unique("v"))
    key = unique("bill")
    bill_in = BillInput(
        VendorRef={"value": vendor.Id},
        DocNumber="R-2026-0311",
        TxnDate=date(2026, 3, 11),  # type: ignore[arg-type]
        Line=[{"Amount": Decimal("200.00"), "AccountBasedExpenseLineDetail": OFFICE}],
    )  # type: ignore[list-item]
    bill = client.create_bill(bill_in, business_key=key)
    assert bill.TotalAmt == Decimal("200") and bill.Balance == bill.TotalAmt and bill.DueDate == date(2026, 4, 10)
    assert client.create_bill(bill_in, business_key=key).Id == bill.Id  # requestid: created once
    pdf = b"%PDF-1.4 receipt"
    att = client.upload_attachment("Bill", bill.Id, "receipt.pdf", pdf, "application/pdf", business_key=key)
    again = client.upload_attachment("Bill", bill.Id, "receipt.pdf", pdf, "application/pdf", business_key=key)
    assert att.Id == again.Id and att.Size == len(pdf)
    assert att.AttachableRef[0]["EntityRef"] == {"type": "Bill", "value": bill.Id}
    download = client._request("GET", f"download/{att.Id}")
    assert download.content == pdf and download.headers["content-type"] == "application/pdf"
    assert [b.Id for b in client.find_bills(doc_number="R-2026-0311", vendor_id=vendor.Id)] == [bill.Id]


def test_purchase_needs_a_matching_account(client: QuickBooksClient, api: Api) -> None:
    p = client.create_purchase(
        PurchaseInput(
            PaymentType="CreditCard",
            AccountRef={"value": "42"},  # type: ignore[arg-type]
            Line=[{"Amount": Decimal("23.80"), "AccountBasedExpenseLineDetail": OFFICE}],
        ),  # type: ignore[list-item]
        business_key=unique("p"),
    )
    assert p.TotalAmt == Decimal("23.80") and p.AccountRef.name == "Visa"
    line = {"Amount": 5, "DetailType": "AccountBasedExpenseLineDetail", "AccountBasedExpenseLineDetail": OFFICE}
    wrong = api.post("/purchase", {"PaymentType": "Cash", "AccountRef": {"value": "42"}, "Line": [line]})
    assert wrong.status_code == 400 and fault_code(wrong) == "6000"  # a credit card is no cash account
    assert fault_code(api.post("/purchase", {"AccountRef": {"value": "35"}, "Line": [line]})) == "2020"
    rows = api.query(f"SELECT * FROM Purchase WHERE TxnDate >= '{date.today().isoformat()}'").json()
    assert p.Id in [r["Id"] for r in rows["QueryResponse"]["Purchase"]]


def test_upload_refuses_unknown_types_and_targets(client: QuickBooksClient) -> None:
    with pytest.raises(errors.NotFound):
        client.upload_attachment("Bill", "999999", "x.pdf", b"%PDF", "application/pdf", business_key=unique("u"))
    with pytest.raises(errors.ValidationFailed):
        client.upload_attachment("Bill", "1", "x.exe", b"MZ", "application/x-msdownload", business_key=unique("u"))
