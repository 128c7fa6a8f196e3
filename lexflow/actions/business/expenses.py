"""Expenses: book a supplier invoice or receipt as an open bookkeeping voucher with its file."""

from __future__ import annotations

import base64
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import Field, model_validator

from lexflow.actions.business._catalogue import business_action
from lexflow.actions.business._shared import TWO, _d, _dump, _get, _norm, _view_url
from lexflow.actions.errors import InvalidInput
from lexflow.actions.io import UUID_PATTERN, FileContent, Input, Output
from lexflow.lexware import models as lx


class ExpenseItem(Input):
    amount: Decimal = Field(
        gt=0,
        description="Gross amount (net when tax_type=net) of this item, positive: a refund or credit from the "
        "supplier is type=purchasecreditnote with positive amounts.",
    )
    tax_rate: Decimal = Field(default=Decimal(19), ge=0, le=100, description="Percent: 0, 7 or 19 in Germany.")
    category: str = Field(
        min_length=2,
        description="Posting category (type outgo): its id, or its name as in posting_categories_list, e.g. 'Bürobedarf'.",
    )


class CreateExpenseInput(Input):
    receipt: FileContent | None = Field(
        default=None, description="The receipt file; not needed with file_id and voucher_id of an earlier upload."
    )
    voucher_number: str = Field(min_length=1, description="The supplier's invoice number.")
    voucher_date: date
    due_date: date | None = None
    type: Literal["purchaseinvoice", "purchasecreditnote"] = "purchaseinvoice"
    tax_type: Literal["gross", "net"] = "gross"
    items: list[ExpenseItem] = Field(min_length=1)
    contact_id: str | None = Field(
        default=None, pattern=UUID_PATTERN, description="Vendor; omit to use the collective contact."
    )
    supplier_name: str | None = Field(default=None, description="Shown with the collective contact.")
    remark: str | None = None
    file_id: str | None = Field(
        default=None,
        pattern=UUID_PATTERN,
        description="Set with voucher_id when files_upload already sent this receipt.",
    )
    voucher_id: str | None = Field(
        default=None,
        pattern=UUID_PATTERN,
        description="The voucher that upload created: it is completed without sending the file a second time.",
    )

    @model_validator(mode="after")
    def _upload_pair(self) -> CreateExpenseInput:
        if bool(self.file_id) != bool(self.voucher_id):
            raise ValueError("give file_id and voucher_id together (both from the files_upload result), or neither")
        if self.receipt is None and not self.file_id:
            raise ValueError("receipt: give the file, or file_id and voucher_id of an earlier files_upload")
        return self


class CreateExpenseOutput(Output):
    voucher_id: str
    file_id: str
    voucher_status: str | None = None
    total_gross: Decimal
    total_tax: Decimal
    view_url: str | None = None


def _category_ids(client: Any, data: CreateExpenseInput) -> list[str]:
    """Resolve each item's category (an id, or an outgo category's name) to an id; name the choices on a miss."""
    import re

    wanted = [it.category for it in data.items]
    if all(re.match(UUID_PATTERN, w) for w in wanted):
        return wanted
    outgo = [_dump(c) for c in client.posting_categories.list()]
    outgo = [c for c in outgo if c.get("type") == "outgo"]
    by_name = {_norm(c.get("name")): str(c["id"]) for c in outgo}
    ids = []
    for w in wanted:
        if re.match(UUID_PATTERN, w):
            ids.append(w)
        elif _norm(w) in by_name:
            ids.append(by_name[_norm(w)])
        else:
            names = ", ".join(sorted(str(c.get("name")) for c in outgo))
            raise InvalidInput(f"items.category {w!r} is not an outgo posting category. Use one of: {names}.")
    return ids


def _expense_body(data: CreateExpenseInput, file_id: str, categories: list[str]) -> lx.Voucher:
    items, gross, tax = [], Decimal("0.00"), Decimal("0.00")
    for it, category_id in zip(data.items, categories, strict=True):
        rate = _d(it.tax_rate)
        amount = _d(it.amount).quantize(TWO)
        if data.tax_type == "gross":
            t = (amount - (amount / (1 + rate / 100)).quantize(TWO, ROUND_HALF_UP)).quantize(TWO)
            gross += amount
        else:
            t = (amount * rate / 100).quantize(TWO, ROUND_HALF_UP)
            gross += amount + t
        tax += t
        items.append(lx.VoucherItem(amount=amount, tax_amount=t, tax_rate_percent=rate, category_id=category_id))
    collective = not data.contact_id
    return lx.Voucher(
        type=data.type,
        voucher_status="open",
        voucher_number=data.voucher_number,
        voucher_date=data.voucher_date,
        due_date=data.due_date,
        total_gross_amount=gross,
        total_tax_amount=tax,
        tax_type=data.tax_type,
        use_collective_contact=collective,
        contact_id=data.contact_id or None,
        contact_name=(data.supplier_name or None) if collective else None,
        remark=data.remark or None,
        voucher_items=items,
        files=[file_id],
    )


@business_action(
    "lexware_create_expense",
    description=(
        "Book a supplier invoice or receipt: upload the file, then complete the bookkeeping voucher with number, "
        "date and items and book it (open). Totals are computed from the items so they match exactly. Already "
        "uploaded with files_upload: pass its file_id and voucher_id and the file is not sent again."
    ),
    scope="vouchers:write",
    effect="write",
    idempotent=False,
    examples=(
        {
            "receipt": {"filename": "beleg.pdf", "content_base64": base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()},
            "voucher_number": "R-2026-17",
            "voucher_date": "2026-11-20",
            "supplier_name": "Bürobedarf AG",
            "items": [{"amount": "119.00", "tax_rate": "19", "category": "Bürobedarf"}],
        },
    ),
)
def create_expense(client: Any, data: CreateExpenseInput) -> CreateExpenseOutput:
    categories = _category_ids(client, data)
    voucher_id: str | None
    if data.file_id and data.voucher_id:  # uploaded before (the flow waited for its OCR): no second upload
        file_id, voucher_id = data.file_id, data.voucher_id
    else:
        assert data.receipt is not None  # the input's validator demands one or the other
        upload = _dump(client.files.upload(data.receipt.read(), data.receipt.filename))
        file_id, voucher_id = str(upload.get("id")), upload.get("voucherId") or upload.get("voucher_id")
    body = _expense_body(data, file_id, categories)
    if voucher_id:
        # The upload created a voucher (unchecked after OCR); complete it and book it (`open`), keeping the file.
        client.vouchers.update(str(voucher_id), body)
    else:
        voucher_id = str(_get(client.vouchers.create(body.model_copy(update={"files": None})), "id"))
        if data.receipt is None:
            raise InvalidInput("receipt: the upload created no voucher to complete; give the receipt file")
        client.vouchers.upload_file(voucher_id, data.receipt.read(), data.receipt.filename)
    v = _dump(client.vouchers.get(str(voucher_id)))
    return CreateExpenseOutput(
        voucher_id=str(voucher_id),
        file_id=file_id,
        voucher_status=v.get("voucherStatus"),
        total_gross=_d(body.total_gross_amount),
        total_tax=_d(body.total_tax_amount),
        view_url=_view_url(client, "vouchers", str(voucher_id)),
    )
