"""Credit notes made from an invoice (`CreditNote/Factory/createFromInvoice`) and their actions, which behave as
the invoice ones: draft 100 → open 200 by `sendBy` → 750/1000 by `bookAmount` (money going out), `resetToOpen`
(docs/sevdesk.md#credit-notes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from lexflow.sevdesk.sandbox.banking import book_amount, unbook
from lexflow.sevdesk.sandbox.core import bad, day_start, iso, ref, ref_id
from lexflow.sevdesk.sandbox.invoices import DRAFT, OPEN, PAID, PARTIAL, SEND_TYPES, mark_sent, positions_of
from lexflow.sevdesk.sandbox.web import CountAll, Limit, Offset, after, objects, paged, read_body, state_of

router = APIRouter(tags=["CreditNote"])
_COPIED = (
    "contact",
    "contactPerson",
    "currency",
    "taxRule",
    "taxRate",
    "taxText",
    "taxType",
    "showNet",
    "address",
    "addressCountry",
    "sumNet",
    "sumTax",
    "sumGross",
    "sumNetAccounting",
    "sumTaxAccounting",
    "sumGrossAccounting",
)


def _positions(state: Any, note_id: str) -> list[dict[str, Any]]:
    return [p for p in state.all("CreditNotePos") if p["creditNote"]["id"] == note_id]


@router.post(
    "/CreditNote/Factory/createFromInvoice", summary="A draft credit note with the invoice's positions", status_code=201
)
async def create_from_invoice(request: Request) -> Response:
    state = state_of(request)
    body = await read_body(request)
    invoice = state.need("Invoice", ref_id(body, "invoice", "Invoice"))
    if invoice["invoiceType"] in ("AR", "TR"):
        raise bad("Credit notes cannot be created for advance or partial invoices in sevdesk-Update 2.0")
    if invoice["status"] == DRAFT:
        raise bad("Credit notes can only be created for sent invoices")
    fields = {name: invoice.get(name) for name in _COPIED}
    fields.update(
        creditNoteNumber=f"GU-{state.store.next_number('sevdesk', 'creditNoteNumber', 1001)}",
        creditNoteDate=iso(day_start(state.now())),
        status=DRAFT,
        header=f"Gutschrift zu {invoice['invoiceNumber']}",
        refSrcInvoice=ref(invoice["id"], "Invoice"),
        paidAmount=0,
        payDate=None,
        sendDate=None,
        sendType=None,
        enshrined=None,
    )
    note = state.create("CreditNote", fields)
    for pos in positions_of(state, invoice["id"]):
        copy = {
            k: v for k, v in pos.items() if k not in ("id", "objectName", "create", "update", "sevClient", "invoice")
        }
        copy["creditNote"] = ref(note["id"], "CreditNote")
        state.create("CreditNotePos", copy)
    return objects({"creditNote": note, "creditNotePos": _positions(state, note["id"]), "discount": []}, 201)


@router.get("/CreditNote", summary="List credit notes")
async def list_credit_notes(
    request: Request,
    status: int | None = None,
    creditNoteNumber: str | None = None,
    contact_id: int | None = Query(None, alias="contact[id]"),
    updateAfter: int | None = None,
    limit: int | None = Limit,
    offset: int | None = Offset,
    countAll: str | None = CountAll,
) -> Response:
    docs = state_of(request).all("CreditNote")
    if status is not None:
        docs = [d for d in docs if d["status"] == str(status)]
    if creditNoteNumber is not None:
        docs = [d for d in docs if d["creditNoteNumber"] == creditNoteNumber]
    if contact_id is not None:
        docs = [d for d in docs if d["contact"]["id"] == str(contact_id)]
    docs = [d for d in docs if after(d, "update", updateAfter)]
    return paged(request, docs, limit, offset, countAll)


@router.get("/CreditNote/{creditNoteId}", summary="One credit note (an array of one)")
async def get_credit_note(request: Request, creditNoteId: int) -> Response:
    return objects([state_of(request).need("CreditNote", creditNoteId)])


@router.put("/CreditNote/{creditNoteId}/sendBy", summary="Mark as sent (finalizes a draft unless sendDraft)")
async def send_by(request: Request, creditNoteId: int) -> Response:
    state = state_of(request)
    doc = state.need("CreditNote", creditNoteId)
    body = await read_body(request)
    if body.get("sendType") not in SEND_TYPES or not isinstance(body.get("sendDraft"), bool):
        raise bad("sendType (VPR, VP, VM, VPDF) and sendDraft (true/false) are required")
    mark_sent(state, doc, body["sendType"], draft_only=body["sendDraft"], kind="CreditNote")
    return objects(doc)


@router.put("/CreditNote/{creditNoteId}/bookAmount", summary="Book the refund (money going out)")
async def book_credit_note(request: Request, creditNoteId: int) -> Response:
    state = state_of(request)
    doc = state.need("CreditNote", creditNoteId)
    if doc["status"] not in (OPEN, PARTIAL):
        raise bad(f"Only open or partially paid credit notes can be booked (status is {doc['status']})")
    open_amount = Decimal(doc["sumGross"]) - Decimal(str(doc["paidAmount"]))
    return objects(book_amount(state, "CreditNote", doc, await read_body(request), open_amount, (PARTIAL, PAID)))


@router.put("/CreditNote/{creditNoteId}/resetToOpen", summary="Back to open (unbooks the refund)")
async def reset_to_open(request: Request, creditNoteId: int) -> Response:
    state = state_of(request)
    doc = state.need("CreditNote", creditNoteId)
    if doc["enshrined"] or doc["status"] not in (PARTIAL, PAID):
        raise bad("Only paid or partially paid credit notes that are not enshrined can be reset to open")
    unbook(state, "CreditNote", doc)
    doc["status"] = OPEN
    return objects(state.touch("CreditNote", doc))
