"""Vouchers (expenses and receipts): `Factory/uploadTempFile` + `Factory/saveVoucher`, booking accounts from
`ReceiptGuidance`, payments by `bookAmount` (docs/sevdesk.md#vouchers, docs/sevdesk.md#booking-payments); plus the small reference data
lexflow reads (`SevUser`, `Tools/bookkeepingSystemVersion`)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from lexflow.sevdesk.sandbox.banking import book_amount, unbook
from lexflow.sevdesk.sandbox.core import (
    CENT,
    SevdeskState,
    bad,
    day_start,
    dec,
    invalid,
    iso,
    money,
    parse_date,
    ref,
    ref_id,
    s,
)
from lexflow.sevdesk.sandbox.invoices import REVENUE_TAX_RULES, check_tax
from lexflow.sevdesk.sandbox.web import CountAll, Limit, Offset, after, flag, objects, paged, read_body, state_of

router = APIRouter(tags=["Voucher"])

DRAFT, OPEN, PARTIAL, PAID = "50", "100", "750", "1000"
EXPENSE_TAX_RULES: dict[int, set[int]] = {
    8: {0, 7, 19},
    9: {0, 7, 19},
    10: {0},
    12: {0, 7, 19},
    13: {0},
    14: {0, 7, 19},
}
ACCOUNTS: dict[int, dict[str, Any]] = {
    4711: {"name": "Bürobedarf", "number": "6815", "side": "C", "rules": {8, 9, 10}},
    4712: {"name": "Reisekosten Arbeitnehmer", "number": "6650", "side": "C", "rules": {9, 10}},
    4713: {"name": "Fremdleistungen", "number": "5900", "side": "C", "rules": {9, 12, 13, 14}},
    4714: {"name": "Porto", "number": "6800", "side": "C", "rules": {9, 10}},
    4801: {"name": "Erlöse 19 % USt", "number": "4400", "side": "D", "rules": {1}},
    4802: {"name": "Erlöse 7 % USt", "number": "4300", "side": "D", "rules": {1}},
}
"""The booking accounts of the sandbox company (`accountDatev` ids are client-specific in sevDesk)."""
MAX_UPLOAD = 10 * 1024 * 1024
MEDIA = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "xml": "application/xml",
}


@router.get("/Tools/bookkeepingSystemVersion", tags=["Tools"], summary="Bookkeeping system version (2.0)")
async def bookkeeping_version(request: Request) -> Response:
    return objects({"version": "2.0"})


@router.get("/SevUser", tags=["SevUser"], summary="Users (the contactPerson of invoices)")
async def list_users(request: Request) -> Response:
    return objects(state_of(request).all("SevUser"))


def _guidance(side: str | None) -> list[dict[str, Any]]:
    return [
        {
            "accountDatevId": str(id_),
            "accountNumber": acc["number"],
            "accountName": acc["name"],
            "description": acc["name"],
            "allowedTaxRules": [
                {
                    "id": str(rule),
                    "name": f"Steuerregel {rule}",
                    "taxRates": [
                        str(r) for r in sorted(EXPENSE_TAX_RULES.get(rule) or REVENUE_TAX_RULES.get(rule) or set())
                    ],
                }
                for rule in sorted(acc["rules"])
            ],
            "allowedReceiptTypes": ["EXPENSE" if acc["side"] == "C" else "REVENUE"],
        }
        for id_, acc in ACCOUNTS.items()
        if side is None or acc["side"] == side
    ]


@router.get("/ReceiptGuidance/forAllAccounts", tags=["ReceiptGuidance"], summary="All booking accounts")
async def guidance_all(request: Request) -> Response:
    return objects(_guidance(None))


@router.get("/ReceiptGuidance/forExpense", tags=["ReceiptGuidance"], summary="Booking accounts for expenses")
async def guidance_expense(request: Request) -> Response:
    return objects(_guidance("C"))


@router.get("/ReceiptGuidance/forRevenue", tags=["ReceiptGuidance"], summary="Booking accounts for revenue")
async def guidance_revenue(request: Request) -> Response:
    return objects(_guidance("D"))


@router.post(
    "/Voucher/Factory/uploadTempFile", summary="Upload a receipt file (multipart field `file`)", status_code=201
)
async def upload_temp_file(request: Request, file: UploadFile | None = None) -> Response:
    state = state_of(request)
    if file is None:
        raise bad("Can't read file")
    data = await file.read()
    if not data:
        raise bad("Can't read file")
    if len(data) > MAX_UPLOAD:
        raise bad("The file is too large")
    ext = (file.filename or "").rsplit(".", 1)[-1].lower()
    if ext not in MEDIA:
        raise bad("Unsupported file type: upload PDF, JPG, PNG or XML")
    digest = hashlib.md5(data).hexdigest()
    name = f"{digest}.{ext}"
    state.store.put_blob("sevdesk", f"temp:{name}", data)
    return objects(
        {
            "pages": 1,
            "mimeType": "image/jpg" if ext == "pdf" else MEDIA[ext],
            "originMimeType": MEDIA[ext],
            "filename": name,
            "contentHash": hashlib.sha256(data).hexdigest(),
            "content": [],
        },
        201,
    )


def positions_of(state: SevdeskState, voucher_id: str) -> list[dict[str, Any]]:
    return [p for p in state.all("VoucherPos") if p["voucher"]["id"] == voucher_id]


def _save_position(state: SevdeskState, voucher: dict[str, Any], raw: Any, index: int, rule: int) -> None:
    where = f"voucherPosSave[{index}]"
    if not isinstance(raw, dict) or raw.get("objectName") != "VoucherPos" or not raw.get("mapAll"):
        raise bad(f"{where}: objectName 'VoucherPos' and mapAll: true are required in factory calls")
    account_id = ref_id(raw, "accountDatev", "AccountDatev")
    account = ACCOUNTS.get(account_id or 0)
    if account is None:
        raise invalid(f"{where}: accountDatev {account_id} does not exist for this client (see ReceiptGuidance)")
    if account["side"] != voucher["creditDebit"] or rule not in account["rules"]:
        raise invalid(f"Account {account['number']} is not allowed with tax rule {rule} on this voucher")
    rate = dec(raw.get("taxRate"), f"{where}.taxRate")
    net_flag = bool(raw.get("net"))
    if raw.get("sumGross") is None and raw.get("sumNet") is None:
        raise bad(f"{where}: sumGross (net=false) or sumNet (net=true) is required")
    if net_flag:
        net = dec(raw.get("sumNet"), f"{where}.sumNet").quantize(CENT)
        gross = (net * (100 + rate) / 100).quantize(CENT)
    else:
        gross = dec(raw.get("sumGross"), f"{where}.sumGross").quantize(CENT)
        net = (gross * 100 / (100 + rate)).quantize(CENT)
    state.create(
        "VoucherPos",
        {
            "voucher": ref(voucher["id"], "Voucher"),
            "accountDatev": ref(account_id, "AccountDatev"),
            "taxRate": money(rate),
            "net": s(net_flag),
            "sumNet": money(net),
            "sumTax": money(gross - net),
            "sumGross": money(gross),
            "comment": raw.get("comment"),
            "isAsset": s(bool(raw.get("isAsset"))),
        },
    )


@router.post("/Voucher/Factory/saveVoucher", summary="Create or update a voucher with positions", status_code=201)
async def save_voucher(request: Request) -> Response:
    state = state_of(request)
    body = await read_body(request)
    raw = body.get("voucher")
    if not isinstance(raw, dict) or raw.get("objectName") != "Voucher" or not raw.get("mapAll"):
        raise bad("voucher: objectName 'Voucher' and mapAll: true are required in factory calls")
    saves = body.get("voucherPosSave") or []
    if not isinstance(saves, list):
        raise bad("voucherPosSave must be a list")
    if raw.get("id") is not None:
        doc = state.need("Voucher", raw["id"])
        if doc["status"] != DRAFT or doc["enshrined"]:
            raise bad("Only draft vouchers (status 50) can be updated with saveVoucher")
        status = str(raw.get("status") or doc["status"])
    else:
        doc = {"id": None}
        status = str(raw.get("status") or OPEN)
        if not saves:
            raise bad("The given document must have at least one position")
    if status not in (DRAFT, OPEN):
        raise bad("status must be 50 (draft) or 100 (open) when saving a voucher; it cannot be created paid")
    credit_debit = str(raw.get("creditDebit") or doc.get("creditDebit") or "")
    if credit_debit not in ("C", "D"):
        raise bad("creditDebit is required: C (expense) or D (revenue)")
    rule = ref_id(raw, "taxRule", "TaxRule") if (doc["id"] is None or "taxRule" in raw) else int(doc["taxRule"]["id"])
    assert rule is not None
    table = EXPENSE_TAX_RULES if credit_debit == "C" else REVENUE_TAX_RULES
    check_tax(
        rule,
        [dec(p.get("taxRate"), f"voucherPosSave[{i}].taxRate") for i, p in enumerate(saves) if isinstance(p, dict)],
        table,
    )
    supplier = ref_id(raw, "supplier", "Contact", required=False)
    if supplier is not None:
        state.need("Contact", supplier)
    currency = str(raw.get("currency") or doc.get("currency") or "").upper()
    if len(currency) != 3:
        raise bad("Currency is required.")
    fields: dict[str, Any] = {
        "voucherDate": iso(day_start(parse_date(raw.get("voucherDate") or doc.get("voucherDate"), "voucherDate"))),
        "supplier": None if supplier is None else ref(supplier, "Contact"),
        "supplierName": raw.get("supplierName", doc.get("supplierName")),
        "description": raw.get("description", doc.get("description")),
        "status": status,
        "creditDebit": credit_debit,
        "voucherType": str(raw.get("voucherType") or "VOU"),
        "taxRule": ref(rule, "TaxRule"),
        "taxType": raw.get("taxType", "default"),
        "currency": currency,
        "paymentDeadline": iso(day_start(parse_date(raw["paymentDeadline"], "paymentDeadline")))
        if raw.get("paymentDeadline")
        else doc.get("paymentDeadline"),
        "deliveryDate": doc.get("deliveryDate"),
    }
    if doc["id"] is None:
        fields.update(paidAmount=0, payDate=None, enshrined=None, document=None)
        doc = state.create("Voucher", fields)
    else:
        doc.update(fields)
    for pos in body.get("voucherPosDelete") or []:
        pos_id = ref_id({"p": pos}, "p", "VoucherPos")
        found = state.get("VoucherPos", pos_id)
        if found is None or found["voucher"]["id"] != doc["id"]:
            raise bad(f"VoucherPos {pos_id} does not belong to this voucher")
        state.delete("VoucherPos", pos_id)
    for index, pos in enumerate(saves):
        _save_position(state, doc, pos, index, rule)
    if body.get("filename"):
        name = str(body["filename"])
        data = state.store.get_blob("sevdesk", f"temp:{name}")
        if data is None:
            raise bad(f"The file {name} was not uploaded (uploadTempFile first)")
        document_id = state.new_id("Document")
        state.store.put_blob("sevdesk", f"document:{document_id}", data)
        doc["document"] = ref(document_id, "Document")
    positions = positions_of(state, doc["id"])
    net = sum((Decimal(p["sumNet"]) for p in positions), Decimal(0))
    gross = sum((Decimal(p["sumGross"]) for p in positions), Decimal(0))
    doc.update(sumNet=money(net), sumTax=money(gross - net), sumGross=money(gross))
    state.touch("Voucher", doc)
    return objects({"voucher": doc, "voucherPos": positions, "filename": body.get("filename")}, 201)


@router.get("/Voucher", summary="List vouchers")
async def list_vouchers(
    request: Request,
    status: int | None = None,
    creditDebit: str | None = None,
    descriptionLike: str | None = None,
    contact_id: int | None = Query(None, alias="contact[id]"),
    supplierName: str | None = None,
    hasDocument: str | None = None,
    updateAfter: int | None = None,
    limit: int | None = Limit,
    offset: int | None = Offset,
    countAll: str | None = CountAll,
) -> Response:
    docs = state_of(request).all("Voucher")
    if status is not None:
        docs = [d for d in docs if d["status"] == str(status)]
    if creditDebit:
        docs = [d for d in docs if d["creditDebit"] == creditDebit.upper()]
    if descriptionLike:
        docs = [d for d in docs if descriptionLike.lower() in str(d.get("description") or "").lower()]
    if contact_id is not None:
        docs = [d for d in docs if (d.get("supplier") or {}).get("id") == str(contact_id)]
    if supplierName:
        docs = [d for d in docs if supplierName.lower() in str(d.get("supplierName") or "").lower()]
    if hasDocument is not None:
        docs = [d for d in docs if (d.get("document") is not None) == flag(hasDocument)]
    docs = [d for d in docs if after(d, "update", updateAfter)]
    return paged(request, docs, limit, offset, countAll)


@router.get("/Voucher/{voucherId}", summary="One voucher (an array of one)")
async def get_voucher(request: Request, voucherId: int) -> Response:
    return objects([state_of(request).need("Voucher", voucherId)])


@router.get("/VoucherPos", tags=["Voucher"], summary="Positions of a voucher")
async def list_voucher_positions(
    request: Request,
    voucher_id: int | None = Query(None, alias="voucher[id]"),
    limit: int | None = Limit,
    offset: int | None = Offset,
    countAll: str | None = CountAll,
) -> Response:
    docs = state_of(request).all("VoucherPos")
    if voucher_id is not None:
        docs = [d for d in docs if d["voucher"]["id"] == str(voucher_id)]
    return paged(request, docs, limit, offset, countAll)


@router.put("/Voucher/{voucherId}/bookAmount", summary="Book a payment on a voucher")
async def book_voucher_amount(request: Request, voucherId: int) -> Response:
    state = state_of(request)
    doc = state.need("Voucher", voucherId)
    if doc["status"] not in (OPEN, PARTIAL):
        raise bad(f"Only open or partially paid vouchers can be booked (status is {doc['status']})")
    open_amount = Decimal(doc["sumGross"]) - Decimal(str(doc["paidAmount"]))
    return objects(book_amount(state, "Voucher", doc, await read_body(request), open_amount, (PARTIAL, PAID)))


@router.put("/Voucher/{voucherId}/resetToOpen", summary="Back to open (unbooks payments)")
async def reset_voucher_to_open(request: Request, voucherId: int) -> Response:
    state = state_of(request)
    doc = state.need("Voucher", voucherId)
    if doc["enshrined"] or doc["status"] not in (PARTIAL, PAID):
        raise bad("Only paid or partially paid vouchers that are not enshrined can be reset to open")
    unbook(state, "Voucher", doc)
    doc["status"] = OPEN
    return objects(state.touch("Voucher", doc))
