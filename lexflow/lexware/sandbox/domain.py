"""State changes shared by the API routes and the UI-only actions of the control API (payments, void, OCR ...).

Every change emits its webhook events through `state.emit`. Functions take the state first; `SandboxState`
exposes them as methods (`state.assign_payment(...)` etc.).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lexflow.lexware.models.totals import dec
from lexflow.lexware.sandbox.common import new_id, out, stamp_new, touch
from lexflow.lexware.sandbox.documents import PAYABLE_KINDS, TYPES, VOUCHER_KIND, open_amount
from lexflow.lexware.sandbox.errors import BERLIN, ApiError
from lexflow.sandbox.store import Doc

if TYPE_CHECKING:
    from lexflow.lexware.sandbox.state import SandboxState

PAYMENT_KINDS = {
    "bank": "partPaymentFinancialTransaction",
    "manual": "manualPayment",
    "cashDiscount": "cashDiscount",
    "cashBox": "partPaymentCashBox",
    "creditNote": "partPaymentCreditNote",
    "irrecoverable": "irrecoverableReceivable",
    "dunningCosts": "dunningCosts",
    "currencyConversion": "currencyConversion",
}
PAYMENT_ITEM_TYPES = frozenset(PAYMENT_KINDS.values())


def _event_prefix(kind: str) -> str:
    return "voucher" if kind == VOUCHER_KIND else TYPES[kind].event


def find_payable(state: SandboxState, org: str, voucher_id: str) -> tuple[str, Doc]:
    found = state.store.find(org, PAYABLE_KINDS, voucher_id)
    if found is None:
        raise ApiError(404, f"no invoice, credit note, down payment invoice or voucher with id {voucher_id}")
    return found


def add_payment_item(
    state: SandboxState, org: str, kind: str, doc: Doc, amount: Decimal, item_type: str, when: str, save: bool = True
) -> list[tuple[str, str]]:
    """Append a payment item; settle the document when nothing is open any more. Returns the events to emit."""
    doc.setdefault("_payments", []).append(
        {"paymentItemType": item_type, "postingDate": when, "amount": out(amount), "currency": "EUR"}
    )
    events = [("payment.changed", doc["id"])]
    if open_amount(doc) <= 0 and doc.get("voucherStatus") == "open":
        credit = kind == "credit-notes" or doc.get("type") in ("salescreditnote", "purchasecreditnote")
        doc["voucherStatus"] = "paidoff" if credit else "paid"
        doc["_paidDate"] = when
        events.append((f"{_event_prefix(kind)}.status.changed", doc["id"]))
    touch(doc, when)
    if save:
        state.store.put(org, kind, doc)
    return events


def assign_payment(state: SandboxState, org: str, voucher_id: str, amount: Decimal, kind: str, on: date | None) -> Doc:
    coll, doc = find_payable(state, org, voucher_id)
    if doc.get("voucherStatus") != "open":
        raise ApiError(409, f"only open vouchers take payments (this one is {doc.get('voucherStatus')})")
    if amount <= 0:
        raise ApiError(406, "amount must be positive")
    item_type = PAYMENT_KINDS.get(kind, kind)
    if item_type not in PAYMENT_ITEM_TYPES:
        raise ApiError(406, f"unknown payment kind {kind!r}; use one of {', '.join(PAYMENT_KINDS)}")
    remaining = open_amount(doc)
    if amount > remaining:
        raise ApiError(406, f"amount {amount} exceeds the open amount {remaining}")
    when = (
        datetime.combine(on, time(), BERLIN).isoformat(timespec="milliseconds")
        if on is not None
        else state.clock.stamp()
    )
    for event_type, resource_id in add_payment_item(state, org, coll, doc, amount, item_type, when):
        state.emit(org, event_type, resource_id)
    return doc


def void(state: SandboxState, org: str, voucher_id: str) -> Doc:
    coll, doc = find_payable(state, org, voucher_id)
    if doc.get("voucherStatus") in ("draft", "blank", "voided"):
        raise ApiError(409, f"a {doc.get('voucherStatus')} voucher cannot be voided")
    doc["voucherStatus"] = "voided"
    touch(doc, state.clock.stamp())
    state.store.put(org, coll, doc)
    state.emit(org, f"{_event_prefix(coll)}.status.changed", doc["id"])
    state.emit(org, "payment.changed", doc["id"])
    return doc


def set_quotation_status(state: SandboxState, org: str, quotation_id: str, status: str) -> Doc:
    doc = state.store.get(org, "quotations", quotation_id)
    if doc is None:
        raise ApiError(404, f"no quotation with id {quotation_id}")
    if doc.get("voucherStatus") != "open":
        raise ApiError(409, f"only open quotations can be {status} (this one is {doc.get('voucherStatus')})")
    doc["voucherStatus"] = status
    touch(doc, state.clock.stamp())
    state.store.put(org, "quotations", doc)
    state.emit(org, "quotation.status.changed", doc["id"])
    return doc


def delete_draft(state: SandboxState, org: str, kind: str, doc_id: str) -> None:
    if kind not in TYPES:
        raise ApiError(404, f"unknown document type {kind!r}; use one of {', '.join(TYPES)}")
    doc = state.store.get(org, kind, doc_id)
    if doc is None:
        raise ApiError(404, f"no {kind} with id {doc_id}")
    if doc.get("voucherStatus") != "draft":
        raise ApiError(409, "only drafts can be deleted (GoBD)")
    state.store.delete(org, kind, doc_id)
    state.emit(org, f"{TYPES[kind].event}.deleted", doc_id)


def insert_document(state: SandboxState, org: str, kind: str, doc: Doc, emit: bool) -> Doc:
    now = state.clock.stamp()
    doc.setdefault("id", new_id())
    if "createdDate" not in doc:
        stamp_new(doc, org, now, doc.get("version", 1))
    doc["organizationId"] = org
    doc.setdefault("version", 1)
    doc.setdefault("updatedDate", doc["createdDate"])
    if kind in TYPES:
        doc.setdefault("relatedVouchers", [])
        doc.setdefault("archived", False)
    state.store.put(org, kind, doc)
    if emit:
        prefix = "voucher" if kind == VOUCHER_KIND else TYPES[kind].event if kind in TYPES else kind.rstrip("s")
        state.emit(org, f"{prefix}.created", doc["id"])
    return doc


_OCR_FIELDS = (
    "type",
    "voucherNumber",
    "voucherDate",
    "dueDate",
    "shippingDate",
    "totalGrossAmount",
    "totalTaxAmount",
    "taxType",
    "contactName",
    "useCollectiveContact",
    "contactId",
    "remark",
    "voucherItems",
)


def finish_ocr(state: SandboxState, org: str, voucher_or_file_id: str, fields: dict[str, Any]) -> Doc:
    """blank -> unchecked with the recognised fields; emits voucher.created (and nothing when already done)."""
    doc = state.store.get(org, VOUCHER_KIND, voucher_or_file_id)
    if doc is None:
        file_doc = state.store.get(org, "files", voucher_or_file_id)
        if file_doc is not None and file_doc.get("voucherId"):
            doc = state.store.get(org, VOUCHER_KIND, file_doc["voucherId"])
    if doc is None:
        raise ApiError(404, f"no uploaded voucher or file with id {voucher_or_file_id}")
    state._pending_ocr.pop((org, doc["id"]), None)
    doc.pop("_ocrDue", None)
    if doc.get("voucherStatus") != "blank":
        return doc
    for key in _OCR_FIELDS:
        if fields.get(key) is not None:
            value = fields[key]
            doc[key] = out(dec(value)) if key in ("totalGrossAmount", "totalTaxAmount") else value
    doc.setdefault("type", "purchaseinvoice")
    doc["taxType"] = doc.get("taxType") or "gross"
    doc["voucherStatus"] = "unchecked"
    touch(doc, state.clock.stamp())
    state.store.put(org, VOUCHER_KIND, doc)
    state.emit(org, "voucher.created", doc["id"])
    return doc


_INTERVAL_MONTHS = {"MONTHLY": 1, "QUARTERLY": 3, "BIANNUALLY": 6, "ANNUALLY": 12}


def _next_execution(current: date, interval: str) -> date:
    if interval == "WEEKLY":
        return current + timedelta(days=7)
    if interval == "BIWEEKLY":
        return current + timedelta(days=14)
    months = _INTERVAL_MONTHS.get(interval, 1)
    month = current.month - 1 + months
    year, month = current.year + month // 12, month % 12 + 1
    return date(year, month, min(current.day, calendar.monthrange(year, month)[1]))


def run_recurring_templates(state: SandboxState) -> list[Doc]:
    """Invoices from active templates whose nextExecutionDate has come (finalized if the template says so)."""
    today = state.clock.today()
    created: list[Doc] = []
    for org in state.store.organizations("recurring-templates"):
        for tpl in state.store.all(org, "recurring-templates"):
            settings = tpl.get("recurringTemplateSettings") or {}
            before, ended = len(created), False
            while settings.get("executionStatus", "ACTIVE") == "ACTIVE" and settings.get("nextExecutionDate"):
                due = date.fromisoformat(settings["nextExecutionDate"])
                end = date.fromisoformat(settings["endDate"]) if settings.get("endDate") else None
                if due > today:
                    break
                if end is not None and due > end:
                    settings["executionStatus"] = "ENDED"
                    ended = True
                    break
                finalize = bool(settings.get("finalize"))
                stamp = datetime.combine(due, time(), BERLIN).isoformat(timespec="milliseconds")
                invoice: Doc = {
                    key: tpl[key]
                    for key in (
                        "language",
                        "address",
                        "lineItems",
                        "totalPrice",
                        "taxAmounts",
                        "taxConditions",
                        "paymentConditions",
                        "title",
                        "introduction",
                        "remark",
                        "printLayoutId",
                    )
                    if key in tpl
                }
                stamp_new(invoice, org, state.clock.stamp())
                invoice.update(
                    {
                        "voucherStatus": "open" if finalize else "draft",
                        "voucherDate": stamp,
                        "shippingConditions": {"shippingType": "none"},
                        "recurringTemplateId": tpl["id"],
                        "relatedVouchers": [],
                        "archived": False,
                        "closingInvoice": False,
                        "electronicDocumentProfile": "NONE",
                        "dueDate": None,
                    }
                )
                if finalize or state.config.draft_voucher_numbers:
                    seq = state.store.next_number(org, "number:invoices", 1001)
                    invoice["voucherNumber"] = f"{TYPES['invoices'].prefix}{seq}"
                if finalize:
                    days = int((invoice.get("paymentConditions") or {}).get("paymentTermDuration") or 14)
                    invoice["dueDate"] = datetime.combine(due + timedelta(days=days), time(), BERLIN).isoformat(
                        timespec="milliseconds"
                    )
                state.store.put(org, "invoices", invoice)
                state.emit(org, "invoice.created", invoice["id"])
                created.append(invoice)
                settings["lastExecutionDate"] = due.isoformat()
                settings["nextExecutionDate"] = _next_execution(
                    due, settings.get("executionInterval", "MONTHLY")
                ).isoformat()
                settings["lastExecutionFailed"] = False
            tpl["recurringTemplateSettings"] = settings
            if len(created) > before or ended:  # ENDED is a change too (persisted, announced)
                touch(tpl, state.clock.stamp())
                state.store.put(org, "recurring-templates", tpl)
                state.emit(org, "recurring-template.changed", tpl["id"])
    return created
