"""Bookkeeping vouchers, voucherlist rows and payments (docs/lexware.md#bookkeeping-vouchers, docs/lexware.md#voucher-list,
docs/lexware.md#payments)."""

from __future__ import annotations

from pydantic import Field

from lexflow.lexware.models._base import Amount, ApiModel, PlainDate


class VoucherItem(ApiModel):
    amount: Amount | None = None
    tax_amount: Amount | None = None
    tax_rate_percent: Amount | None = None
    category_id: str | None = None


class Voucher(ApiModel):
    """Dates are `yyyy-MM-dd` on write (they come back as timestamps). `files` must be echoed on PUT: a file id
    left out is deleted permanently, which is why `update` always starts from the current record."""

    id: str | None = None
    organization_id: str | None = None
    type: str | None = None
    voucher_status: str | None = None
    voucher_number: str | None = None
    voucher_date: PlainDate | None = None
    shipping_date: PlainDate | None = None
    due_date: PlainDate | None = None
    total_gross_amount: Amount | None = None
    total_tax_amount: Amount | None = None
    tax_type: str | None = None
    use_collective_contact: bool | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    remark: str | None = None
    voucher_items: list[VoucherItem] = Field(default_factory=list)
    files: list[str] | None = None
    created_date: str | None = None
    updated_date: str | None = None
    version: int | None = None


class VoucherListItem(ApiModel):
    id: str
    voucher_type: str | None = None
    voucher_status: str | None = None
    voucher_number: str | None = None
    voucher_date: str | None = None
    created_date: str | None = None
    updated_date: str | None = None
    due_date: str | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    total_amount: Amount | None = None
    open_amount: Amount | None = None
    currency: str | None = None
    archived: bool | None = None


class PaymentItem(ApiModel):
    payment_item_type: str | None = None
    posting_date: str | None = None
    amount: Amount | None = None
    currency: str | None = None


class Payment(ApiModel):
    open_amount: Amount | None = None
    currency: str | None = None
    payment_status: str | None = None
    voucher_type: str | None = None
    voucher_status: str | None = None
    paid_date: str | None = None
    payment_items: list[PaymentItem] = Field(default_factory=list)
