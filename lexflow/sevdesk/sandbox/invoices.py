"""Invoices: `Factory/saveInvoice`, the status machine (docs/sevdesk.md#invoice-status) and its action endpoints (docs/sevdesk.md#files-and-e-mail).

Draft 100 → open 200 (by sendViaEmail, sendBy, or getPdf without preventSendBy) → partially paid 750 / paid 1000
(bookAmount); resetToOpen, resetToDraft, enshrine; cancelInvoice makes a paid cancellation invoice (SR) and marks
the original cancelled (code 500 after the community spec: the real code is undocumented).
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query
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
from lexflow.sevdesk.sandbox.web import CountAll, Limit, Offset, after, flag, objects, paged, read_body, state_of

router = APIRouter(tags=["Invoice"])

DRAFT, OPEN, CANCELLED, PARTIAL, PAID = "100", "200", "500", "750", "1000"
REVENUE_TAX_RULES: dict[int, set[int]] = {
    1: {0, 7, 19},
    2: {0},
    3: {0, 7, 19},
    4: {0},
    5: {0},
    11: {0},
    17: {0},
    21: {0},
}
INVOICE_TYPES = {"RE", "WKR", "SR", "MA", "TR", "AR", "ER"}
SEND_TYPES = {"VPR", "VP", "VM", "VPDF"}
TEXT_FIELDS = ("header", "headText", "footText", "address", "customerInternalNote", "deliveryDateUntil")


def check_tax(rule: int, rates: list[Decimal], table: dict[int, set[int]]) -> None:
    allowed = table.get(rule)
    if allowed is None:
        raise invalid(f"Tax rule {rule} is not allowed here (allowed: {', '.join(map(str, sorted(table)))})")
    for rate in rates:
        if rate != rate.to_integral_value() or int(rate) not in allowed:
            raise invalid(f"Tax rate {money(rate)} is not allowed for tax rule {rule}")


def _need_model(body: Any, field: str, model: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad(f"{field} must be an object with objectName '{model}' and mapAll true")
    if body.get("objectName") != model or not body.get("mapAll"):
        raise bad(f"{field}: objectName '{model}' and mapAll: true are required in factory calls")
    return body


def _position_sums(pos: dict[str, Any], show_net: bool) -> None:
    quantity, price = Decimal(pos["quantity"]), Decimal(pos["price"] or "0")
    rate = Decimal(pos["taxRate"])
    factor = 1 - Decimal(pos.get("discount") or "0") / 100
    if show_net:
        net = (quantity * price * factor).quantize(CENT)
        gross = (net * (100 + rate) / 100).quantize(CENT)
    else:
        gross = (quantity * price * factor).quantize(CENT)
        net = (gross * 100 / (100 + rate)).quantize(CENT)
    pos.update(sumNet=money(net), sumTax=money(gross - net), sumGross=money(gross))
    pos["priceNet"] = money(price if show_net else price * 100 / (100 + rate))
    pos["priceGross"] = money(price * (100 + rate) / 100 if show_net else price)


def positions_of(state: SevdeskState, invoice_id: str) -> list[dict[str, Any]]:
    return [p for p in state.all("InvoicePos") if p["invoice"]["id"] == invoice_id]


def recompute(state: SevdeskState, doc: dict[str, Any]) -> None:
    positions = positions_of(state, doc["id"])
    net = sum((Decimal(p["sumNet"]) for p in positions), Decimal(0))
    gross = sum((Decimal(p["sumGross"]) for p in positions), Decimal(0))
    doc.update(sumNet=money(net), sumTax=money(gross - net), sumGross=money(gross), sumDiscounts="0")
    doc.update(sumNetAccounting=doc["sumNet"], sumTaxAccounting=doc["sumTax"], sumGrossAccounting=doc["sumGross"])


def _save_position(state: SevdeskState, invoice: dict[str, Any], raw: Any, index: int, show_net: bool) -> None:
    body = _need_model(raw, f"invoicePosSave[{index}]", "InvoicePos")
    existing = None
    if body.get("id") is not None:
        existing = state.get("InvoicePos", body["id"])
        if existing is None or existing["invoice"]["id"] != invoice["id"]:
            raise bad(f"invoicePosSave[{index}]: InvoicePos {body['id']} does not belong to this invoice")
    pos: dict[str, Any] = existing or {"invoice": ref(invoice["id"], "Invoice"), "discount": "0", "text": None}
    for name, required in (("quantity", True), ("price", False), ("taxRate", True), ("discount", False)):
        if name in body and body[name] is not None:
            pos[name] = money(dec(body[name], f"invoicePosSave[{index}].{name}"))
        elif required and name not in pos:
            raise bad(f"invoicePosSave[{index}].{name} is required")
    pos.setdefault("price", "0")
    if existing is None or "unity" in body:
        pos["unity"] = ref(ref_id(body, "unity", "Unity"), "Unity")
    for name in ("name", "text"):
        if name in body:
            pos[name] = body[name]
    pos.setdefault("positionNumber", str(len(positions_of(state, invoice["id"]))))
    _position_sums(pos, show_net)
    if existing is None:
        state.create("InvoicePos", pos)
    else:
        state.touch("InvoicePos", pos)


def _apply_invoice(state: SevdeskState, doc: dict[str, Any], body: dict[str, Any], create: bool) -> None:
    if create or "contact" in body:
        contact = ref_id(body, "contact", "Contact")
        state.need("Contact", contact)
        doc["contact"] = ref(contact, "Contact")
    if create or "contactPerson" in body:
        user = ref_id(body, "contactPerson", "SevUser")
        state.need("SevUser", user)
        doc["contactPerson"] = ref(user, "SevUser")
    if create or "invoiceDate" in body:
        doc["invoiceDate"] = iso(day_start(parse_date(body.get("invoiceDate"), "invoiceDate")))
    if "deliveryDate" in body:
        doc["deliveryDate"] = (
            None if body["deliveryDate"] is None else iso(day_start(parse_date(body["deliveryDate"], "deliveryDate")))
        )
    if create or "currency" in body:
        currency = str(body.get("currency") or "").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise bad("Currency is required.")
        doc["currency"] = currency
    if create or "taxRule" in body:
        doc["taxRule"] = ref(ref_id(body, "taxRule", "TaxRule"), "TaxRule")
    if "invoiceType" in body or create:
        kind = str(body.get("invoiceType") or "RE")
        if kind not in INVOICE_TYPES:
            raise bad(f"invoiceType must be one of {', '.join(sorted(INVOICE_TYPES))}")
        doc["invoiceType"] = kind
    for name in ("timeToPay", "discount", "discountTime", "taxRate"):
        if name in body:
            doc[name] = s(body[name])
    for name in ("taxText", "taxType"):
        if name in body:
            doc[name] = body[name]
    if "showNet" in body or create:
        doc["showNet"] = s(body.get("showNet", True) not in (False, 0, "0", "false"))
    for name in TEXT_FIELDS:
        if name in body:
            doc[name] = body[name]
    if "addressCountry" in body:
        doc["addressCountry"] = ref(ref_id(body, "addressCountry", "StaticCountry"), "StaticCountry")
    if body.get("invoiceNumber"):
        doc["invoiceNumber"] = str(body["invoiceNumber"])
    if doc.get("deliveryDate") and doc["invoiceType"] == "RE" and doc["deliveryDate"] > doc["invoiceDate"]:
        raise invalid("deliveryDate must not be after invoiceDate on a regular invoice (use an advance invoice)")


def _default_address(state: SevdeskState, contact_id: str) -> str:
    contact = state.need("Contact", contact_id)
    name = contact.get("name") or " ".join(filter(None, [contact.get("surename"), contact.get("familyname")]))
    lines = [name]
    for address in state.all("ContactAddress"):
        if address["contact"]["id"] == contact_id:
            lines += [address.get("street") or "", f"{address.get('zip') or ''} {address.get('city') or ''}".strip()]
            break
    return "\n".join(line for line in lines if line)


def _new_invoice_fields() -> dict[str, Any]:
    return {
        "invoiceNumber": None,
        "status": DRAFT,
        "header": None,
        "headText": None,
        "footText": None,
        "address": None,
        "addressCountry": ref(1, "StaticCountry"),
        "deliveryDate": None,
        "deliveryDateUntil": None,
        "timeToPay": None,
        "discount": "0",
        "discountTime": None,
        "taxRate": "0",
        "taxText": None,
        "taxType": "default",
        "payDate": None,
        "sendDate": None,
        "sendType": None,
        "paidAmount": 0,
        "enshrined": None,
        "customerInternalNote": None,
        "dunningLevel": None,
        "origin": None,
        "propertyIsEInvoice": "0",
    }


@router.post("/Invoice/Factory/saveInvoice", summary="Create or update a draft invoice with positions", status_code=201)
async def save_invoice(request: Request) -> Response:
    state = state_of(request)
    body = await read_body(request)
    raw = _need_model(body.get("invoice"), "invoice", "Invoice")
    saves = body.get("invoicePosSave") or []
    deletes = body.get("invoicePosDelete") or []
    if not isinstance(saves, list) or not isinstance(deletes, list):
        raise bad("invoicePosSave and invoicePosDelete must be lists (or null)")
    if raw.get("id") is not None:
        doc = state.need("Invoice", raw["id"])
        if doc["enshrined"]:
            raise bad("The invoice is enshrined and cannot be changed")
        if doc["status"] != DRAFT:
            raise bad("Only drafts (status 100) can be changed: reset the invoice to draft first")
        create = False
    else:
        if raw.get("status") is not None and str(raw["status"]) != DRAFT:
            raise bad("An invoice can only be created as a draft (status 100) in sevdesk-Update 2.0")
        if not saves:
            raise bad("The given document must have at least one position")
        doc = {"id": None, **_new_invoice_fields()}
        create = True
    _apply_invoice(state, doc, raw, create)
    rule = int(doc["taxRule"]["id"])
    rates = [
        dec(p.get("taxRate"), f"invoicePosSave[{i}].taxRate")
        for i, p in enumerate(saves)
        if isinstance(p, dict) and p.get("taxRate") is not None
    ]
    check_tax(rule, rates, REVENUE_TAX_RULES)
    if body.get("takeDefaultAddress") and not doc.get("address"):
        doc["address"] = _default_address(state, doc["contact"]["id"])
    if create:
        fields = {k: v for k, v in doc.items() if k != "id"}
        fields["createUser"] = fields["contactPerson"]
        doc = state.create("Invoice", fields)
        if not doc["invoiceNumber"]:
            prefix = "SR" if doc["invoiceType"] == "SR" else "RE"
            doc["invoiceNumber"] = f"{prefix}-{state.store.next_number('sevdesk', 'invoiceNumber', 1001)}"
    show_net = doc["showNet"] == "1"
    for index, pos in enumerate(saves):
        _save_position(state, doc, pos, index, show_net)
    for index, gone in enumerate(deletes):
        pos_id = ref_id({"p": gone}, "p", "InvoicePos")
        pos = state.get("InvoicePos", pos_id)
        if pos is None or pos["invoice"]["id"] != doc["id"]:
            raise bad(f"invoicePosDelete[{index}]: InvoicePos {pos_id} does not belong to this invoice")
        state.delete("InvoicePos", pos_id)
    if not positions_of(state, doc["id"]):
        raise bad("The given document must have at least one position")
    recompute(state, doc)
    state.touch("Invoice", doc)
    return objects({"invoice": doc, "invoicePos": positions_of(state, doc["id"]), "filename": None}, 201)


def _open_amount(doc: dict[str, Any]) -> Decimal:
    return Decimal(doc["sumGross"]) - Decimal(str(doc["paidAmount"]))


def delinquent(state: SevdeskState, doc: dict[str, Any]) -> bool:
    if doc["status"] not in (OPEN, PARTIAL):
        return False
    due = dt.datetime.fromisoformat(doc["invoiceDate"]) + dt.timedelta(days=int(doc.get("timeToPay") or 0))
    return due < state.now()


@router.get("/Invoice", summary="List invoices (documented filters)")
async def list_invoices(
    request: Request,
    status: int | None = None,
    invoiceNumber: str | None = None,
    startDate: int | None = None,
    endDate: int | None = None,
    contact_id: int | None = Query(None, alias="contact[id]"),
    delinquent_: str | None = Query(None, alias="delinquent"),
    notdelinquent: str | None = None,
    partiallyPaid: str | None = None,
    invoiceType: str | None = None,
    createAfter: int | None = None,
    updateAfter: int | None = None,
    headerOrNumber: str | None = None,
    orderByInvoiceNumber: str | None = None,
    limit: int | None = Limit,
    offset: int | None = Offset,
    countAll: str | None = CountAll,
) -> Response:
    state = state_of(request)
    docs = state.all("Invoice")
    if status is not None:
        docs = [d for d in docs if d["status"] == str(status)]
    if invoiceNumber is not None:
        docs = [d for d in docs if d["invoiceNumber"] == invoiceNumber]
    if contact_id is not None:
        docs = [d for d in docs if d["contact"]["id"] == str(contact_id)]
    if invoiceType:
        docs = [d for d in docs if d["invoiceType"] == invoiceType]
    if flag(delinquent_):
        docs = [d for d in docs if delinquent(state, d)]
    if flag(notdelinquent):
        docs = [d for d in docs if not delinquent(state, d)]
    if flag(partiallyPaid):
        docs = [d for d in docs if d["status"] == PARTIAL]
    if headerOrNumber:
        needle = headerOrNumber.lower()
        docs = [d for d in docs if needle in f"{d.get('header') or ''} {d.get('invoiceNumber') or ''}".lower()]
    docs = [
        d
        for d in docs
        if after(d, "invoiceDate", None if startDate is None else startDate - 1)
        and after(d, "invoiceDate", None if endDate is None else endDate + 1, before=True)
        and after(d, "create", createAfter)
        and after(d, "update", updateAfter)
    ]
    if orderByInvoiceNumber:
        docs.sort(key=lambda d: d.get("invoiceNumber") or "", reverse=orderByInvoiceNumber.upper() == "DESC")
    return paged(request, docs, limit, offset, countAll)


@router.get("/Invoice/{invoiceId}", summary="One invoice (an array of one)")
async def get_invoice(request: Request, invoiceId: int) -> Response:
    return objects([state_of(request).need("Invoice", invoiceId)])


@router.delete("/Invoice/{invoiceId}", summary="Delete a draft (community spec)")
async def delete_invoice(request: Request, invoiceId: int) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    if doc["status"] != DRAFT:
        raise bad("Only drafts can be deleted")
    for pos in positions_of(state, doc["id"]):
        state.delete("InvoicePos", pos["id"])
    state.delete("Invoice", doc["id"])
    return objects([None])


@router.get("/Invoice/{invoiceId}/getPositions", summary="The invoice's positions")
async def get_positions(
    request: Request,
    invoiceId: int,
    limit: int | None = Limit,
    offset: int | None = Offset,
    countAll: str | None = CountAll,
) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    return paged(request, positions_of(state, doc["id"]), limit, offset, countAll)


@router.get("/Invoice/{invoiceId}/getIsPartiallyPaid", summary="Partially paid?")
async def get_is_partially_paid(request: Request, invoiceId: int) -> Response:
    return objects(state_of(request).need("Invoice", invoiceId)["status"] == PARTIAL)


def mark_sent(
    state: SevdeskState, doc: dict[str, Any], send_type: str, draft_only: bool = False, kind: str = "Invoice"
) -> None:
    """Record the sending; a draft becomes open (finalized) unless only the draft was sent."""
    doc["sendType"] = send_type
    doc["sendDate"] = iso(state.now())
    if doc["status"] == DRAFT and not draft_only:
        if doc["enshrined"]:
            raise bad(f"The {kind} is enshrined")
        doc["status"] = OPEN
    state.touch(kind, doc)


@router.put("/Invoice/{invoiceId}/sendBy", summary="Mark as sent (finalizes a draft unless sendDraft is true)")
async def send_by(request: Request, invoiceId: int) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    body = await read_body(request)
    send_type = body.get("sendType")
    if send_type not in SEND_TYPES:
        raise bad("sendType is required: VPR (print), VP (postal), VM (mail) or VPDF (pdf)")
    if "sendDraft" not in body or not isinstance(body["sendDraft"], bool):
        raise bad("sendDraft (true/false) is required")
    mark_sent(state, doc, send_type, draft_only=body["sendDraft"])
    return objects(doc)


@router.post("/Invoice/{invoiceId}/sendViaEmail", summary="E-mail the invoice (finalizes a draft)", status_code=201)
async def send_via_email(request: Request, invoiceId: int) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    body = await read_body(request)
    for name in ("toEmail", "subject", "text"):
        if not str(body.get(name) or "").strip():
            raise bad(f"{name} is required (sevDesk has no e-mail templates through the API)")
    if "@" not in str(body["toEmail"]):
        raise bad("toEmail is not an e-mail address")
    mark_sent(state, doc, "VM")
    email = state.create(
        "Email",
        {
            "from": "no-reply@sevdesk.example",
            "to": str(body["toEmail"]),
            "subject": str(body["subject"]),
            "text": str(body["text"]),
            "object": doc,
            "cc": body.get("ccEmail"),
            "bcc": body.get("bccEmail"),
            "arrived": None,
        },
    )
    return objects(email, 201)


def _latin(text: Any) -> str:
    """The core PDF fonts know Latin-1 only."""
    return str(text or "").encode("latin-1", "replace").decode("latin-1")


def pdf_bytes(state: SevdeskState, doc: dict[str, Any]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 6, _latin(doc.get("address")))
    pdf.ln(6)
    pdf.cell(0, 8, _latin(f"Rechnung {doc['invoiceNumber']}"), new_x="LMARGIN", new_y="NEXT")
    for pos in positions_of(state, doc["id"]):
        pdf.cell(
            0,
            6,
            _latin(f"{pos['quantity']} x {pos.get('name') or ''}: {pos['sumNet']} {doc['currency']}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.cell(0, 8, _latin(f"Gesamt: {doc['sumGross']} {doc['currency']}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@router.get("/Invoice/{invoiceId}/getPdf", summary="The PDF; marks the invoice sent unless preventSendBy=true")
async def get_pdf(
    request: Request, invoiceId: int, download: str | None = None, preventSendBy: str | None = None
) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    if not flag(preventSendBy):
        mark_sent(state, doc, "VPR")
    content = base64.b64encode(pdf_bytes(state, doc)).decode()
    return objects(
        {
            "filename": f"{doc['invoiceNumber']}.pdf",
            "mimeType": "application/pdf",
            "base64encoded": True,
            "content": content,
        }
    )


@router.put("/Invoice/{invoiceId}/bookAmount", summary="Book a payment (links a bank transaction)")
async def book_invoice_amount(request: Request, invoiceId: int) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    if doc["status"] not in (OPEN, PARTIAL):
        raise bad(f"Only open or partially paid invoices can be booked (status is {doc['status']})")
    log = book_amount(state, "Invoice", doc, await read_body(request), _open_amount(doc), (PARTIAL, PAID))
    return objects(log)


@router.put("/Invoice/{invoiceId}/resetToOpen", summary="Back to open: unbooks payments (not if enshrined)")
async def reset_to_open(request: Request, invoiceId: int) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    if doc["enshrined"]:
        raise bad("The invoice is enshrined and cannot be reset")
    if doc["status"] not in (PARTIAL, PAID):
        raise bad("Only partially paid or paid invoices can be reset to open")
    unbook(state, "Invoice", doc)
    doc["status"] = OPEN
    state.touch("Invoice", doc)
    return objects(doc)


@router.put("/Invoice/{invoiceId}/resetToDraft", summary="Back to draft: only from open (200)")
async def reset_to_draft(request: Request, invoiceId: int) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    if doc["enshrined"]:
        raise bad("The invoice is enshrined and cannot be reset")
    if doc["status"] != OPEN:
        raise bad("Only open invoices (status 200) can be reset to draft; paid ones need resetToOpen first")
    doc.update(status=DRAFT, sendDate=None, sendType=None)
    state.touch("Invoice", doc)
    return objects(doc)


@router.put("/Invoice/{invoiceId}/enshrine", summary="Lock for good (GoBD); irreversible")
async def enshrine(request: Request, invoiceId: int) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    if doc["status"] == DRAFT:
        raise bad("Drafts cannot be enshrined (status must be at least 200)")
    if not doc["enshrined"]:
        doc["enshrined"] = iso(state.now())
        state.touch("Invoice", doc)
    return objects(None)


@router.post(
    "/Invoice/{invoiceId}/cancelInvoice", summary="Cancel: creates a paid cancellation invoice (SR)", status_code=201
)
async def cancel_invoice(request: Request, invoiceId: int) -> Response:
    state = state_of(request)
    doc = state.need("Invoice", invoiceId)
    if doc["status"] == DRAFT:
        raise bad("Drafts cannot be cancelled; delete them instead")
    if doc["status"] == CANCELLED or doc["invoiceType"] == "SR":
        raise bad("The invoice is already cancelled")
    fields = {k: v for k, v in doc.items() if k not in ("id", "objectName", "create", "update", "sevClient")}
    fields.update(
        invoiceType="SR",
        status=PAID,
        origin=ref(doc["id"], "Invoice"),
        header=f"Stornorechnung zu {doc['invoiceNumber']}",
        invoiceNumber=f"SR-{state.store.next_number('sevdesk', 'invoiceNumber', 1001)}",
        invoiceDate=iso(day_start(state.now())),
        payDate=iso(state.now()),
        sendDate=None,
        sendType=None,
        enshrined=None,
        customerInternalNote=None,
    )
    storno = state.create("Invoice", fields)
    for pos in positions_of(state, doc["id"]):
        copy = {k: v for k, v in pos.items() if k not in ("id", "objectName", "create", "update", "sevClient")}
        copy["invoice"] = ref(storno["id"], "Invoice")
        copy["quantity"] = money(-Decimal(pos["quantity"]))
        _position_sums(copy, storno["showNet"] == "1")
        state.create("InvoicePos", copy)
    recompute(state, storno)
    storno["paidAmount"] = float(Decimal(storno["sumGross"]))
    state.touch("Invoice", storno)
    doc["status"] = CANCELLED
    state.touch("Invoice", doc)
    return objects(storno, 201)


@router.post(
    "/Invoice/Factory/createInvoiceReminder",
    summary="A payment reminder (invoice type MA, draft) for an open invoice",
    status_code=201,
)
async def create_invoice_reminder(
    request: Request,
    invoice_id: int | None = Query(None, alias="invoice[id]"),
    invoice_object: str | None = Query(None, alias="invoice[objectName]"),
) -> Response:
    """The reference names only the endpoint and its `invoice[id]`/`invoice[objectName]` parameters; the sandbox
    makes a draft reminder invoice (MA) with one position for the open amount, `origin` the invoice, and raises the
    invoice's `dunningLevel` (docs/sevdesk.md#dunning)."""
    state = state_of(request)
    if invoice_id is None:
        body = await read_body(request)
        invoice_id = ref_id(body, "invoice", "Invoice") if body.get("invoice") else None
    elif invoice_object not in (None, "Invoice"):
        raise bad("invoice[objectName] must be Invoice")
    if invoice_id is None:
        raise bad("invoice[id] is required")
    doc = state.need("Invoice", invoice_id)
    if doc["invoiceType"] != "RE" or doc["status"] not in (OPEN, PARTIAL):
        raise bad("Only open (200) or partially paid (750) regular invoices can be reminded")
    level = int(doc.get("dunningLevel") or 0) + 1
    fields = {k: v for k, v in doc.items() if k not in ("id", "objectName", "create", "update", "sevClient")}
    fields.update(
        invoiceType="MA",
        status=DRAFT,
        origin=ref(doc["id"], "Invoice"),
        header=f"Zahlungserinnerung zu {doc['invoiceNumber']}",
        invoiceNumber=f"MA-{state.store.next_number('sevdesk', 'invoiceNumber', 1001)}",
        invoiceDate=iso(day_start(state.now())),
        paidAmount=0,
        payDate=None,
        sendDate=None,
        sendType=None,
        enshrined=None,
        customerInternalNote=None,
        dunningLevel=str(level),
        timeToPay="7",
    )
    reminder = state.create("Invoice", fields)
    position = {
        "invoice": ref(reminder["id"], "Invoice"),
        "discount": "0",
        "text": None,
        "name": f"Offener Betrag aus Rechnung {doc['invoiceNumber']}",
        "quantity": "1",
        "price": money(_open_amount(doc)),
        "taxRate": "0",
        "unity": ref(1, "Unity"),
        "positionNumber": "0",
    }
    _position_sums(position, reminder["showNet"] == "1")
    state.create("InvoicePos", position)
    recompute(state, reminder)
    state.touch("Invoice", reminder)
    doc["dunningLevel"] = str(level)
    state.touch("Invoice", doc)
    return objects(reminder, 201)
