"""Check accounts, their transactions, and `bookAmount` (docs/sevdesk.md#bank, docs/sevdesk.md#booking-payments).

On the default ("Standard") account and register accounts `bookAmount` creates the bank transaction itself; on
online (bank-synced or file-import) and other manual accounts the payment must name an existing, unbooked
transaction, which it links (status 200 while part of it is still free, 400 booked once used up).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from lexflow.sevdesk.sandbox.core import SevdeskState, bad, dec, iso, money, parse_date, ref, ref_id
from lexflow.sevdesk.sandbox.web import CountAll, Limit, Offset, flag, objects, paged, read_body, state_of

router = APIRouter(tags=["CheckAccount"])

UNBOOKED, LINKED, PRIVATE, AUTO_BOOKED, BOOKED = "100", "200", "300", "350", "400"
PAYMENT_TYPES = {"FULL_PAYMENT", "N", "CB", "O", "OF", "MTC"}
CLOSING_TYPES = {"CB", "O", "MTC"}
"""Payment types that settle the rest of the open amount (cash discount, other difference, bank charges)."""


def _linked(tx: dict[str, Any]) -> Decimal:
    return sum((Decimal(link["amount"]) for link in tx.get("_links", [])), Decimal(0))


def _account_view(state: SevdeskState, account: dict[str, Any]) -> dict[str, Any]:
    total = sum(
        (
            Decimal(t["amount"])
            for t in state.all("CheckAccountTransaction")
            if t["checkAccount"]["id"] == account["id"]
        ),
        Decimal(0),
    )
    return {**account, "balance": money(total)}


def new_transaction(
    state: SevdeskState, account_id: str, fields: dict[str, Any], status: str = UNBOOKED
) -> dict[str, Any]:
    value_date = iso(parse_date(fields.get("valueDate") or iso(state.now()), "valueDate"))
    doc = {
        "valueDate": value_date,
        "entryDate": iso(parse_date(fields["entryDate"], "entryDate")) if fields.get("entryDate") else value_date,
        "paymtPurpose": fields.get("paymtPurpose"),
        "amount": money(dec(fields.get("amount"), "amount")),
        "payeePayerName": fields.get("payeePayerName"),
        "payeePayerAcctNo": fields.get("payeePayerAcctNo"),
        "payeePayerBankCode": fields.get("payeePayerBankCode"),
        "gvCode": fields.get("gvCode"),
        "entryText": fields.get("entryText"),
        "primaNotaNo": None,
        "checkAccount": ref(account_id, "CheckAccount"),
        "status": status,
        "sourceTransaction": None,
        "targetTransaction": None,
        "enshrined": None,
    }
    if not doc["payeePayerName"]:
        raise bad("payeePayerName is required")
    return state.create("CheckAccountTransaction", doc)


def book_amount(
    state: SevdeskState,
    kind: str,
    doc: dict[str, Any],
    body: dict[str, Any],
    open_amount: Decimal,
    statuses: tuple[str, str],
) -> dict[str, Any]:
    """Book a payment on an invoice or voucher; returns the log entry the API answers with."""
    if body.get("amount") is None:
        raise bad("amount is required")
    amount = dec(body["amount"], "amount").quantize(Decimal("0.01"))
    if amount <= 0:
        raise bad("amount must be positive")
    if body.get("date") is None:
        raise bad("date is required" + (" (a Unix timestamp)" if kind == "Invoice" else " (a date-time string)"))
    booked_on = parse_date(body["date"], "date")
    kind_of_payment = body.get("type")
    if kind_of_payment == "CF":
        raise bad("type CF (currency fluctuation) is not supported in sevdesk-Update 2.0")
    if kind_of_payment not in PAYMENT_TYPES:
        raise bad("type is required: FULL_PAYMENT, N (partial), CB, O, OF or MTC")
    account = state.need("CheckAccount", ref_id(body, "checkAccount", "CheckAccount"))
    tx_id = ref_id(body, "checkAccountTransaction", "CheckAccountTransaction", required=False)
    if amount > open_amount and kind_of_payment != "OF":
        raise bad(f"amount {money(amount)} exceeds the open amount {money(open_amount)}")
    incoming = kind == "Invoice" or (kind == "Voucher" and doc.get("creditDebit") == "D")
    sign = Decimal(1) if incoming else Decimal(-1)  # credit notes and expenses pay out
    if tx_id is None:
        automatic = account["defaultAccount"] == "1" or account["type"] == "register"
        if not automatic:
            raise bad("checkAccountTransaction is required for this check account (import the bank line first)")
        tx = new_transaction(
            state,
            account["id"],
            {"amount": sign * amount, "valueDate": iso(booked_on), "payeePayerName": _partner(state, kind, doc)},
            BOOKED,
        )
        tx["_auto"] = True
    else:
        tx = state.need("CheckAccountTransaction", tx_id)
        if tx["checkAccount"]["id"] != account["id"]:
            raise bad(f"CheckAccountTransaction {tx_id} does not belong to CheckAccount {account['id']}")
        if tx["enshrined"] or tx["status"] in (PRIVATE, AUTO_BOOKED, BOOKED):
            raise bad(f"CheckAccountTransaction {tx_id} is already booked")
        free = abs(Decimal(tx["amount"])) - _linked(tx)
        if Decimal(tx["amount"]) * sign < 0:
            raise bad(f"CheckAccountTransaction {tx_id} goes the wrong way for this payment")
        if amount > free:
            raise bad(f"amount {money(amount)} exceeds what is left of the transaction ({money(free)})")
    tx.setdefault("_links", []).append({"kind": kind, "id": doc["id"], "amount": money(amount)})
    tx["status"] = BOOKED if _linked(tx) >= abs(Decimal(tx["amount"])) else LINKED
    state.touch("CheckAccountTransaction", tx)
    before = doc["status"]
    paid = Decimal(str(doc["paidAmount"])) + amount
    doc["paidAmount"] = float(paid)
    partial, done = statuses
    closed = paid >= Decimal(doc["sumGross"]) or kind_of_payment in CLOSING_TYPES
    doc["status"] = done if closed else partial
    doc["payDate"] = iso(booked_on) if closed else doc.get("payDate")
    doc.setdefault("_payments", []).append(tx["id"])
    state.touch(kind, doc)
    log = state.create(
        f"{kind}Log",
        {
            "additionalInformation": None,
            "creditNote": ref(doc["id"], kind),
            "fromStatus": before,
            "toStatus": doc["status"],
            "ammountPayed": money(amount),
            "bookingDate": iso(booked_on),
        },
    )
    return log


def _partner(state: SevdeskState, kind: str, doc: dict[str, Any]) -> str:
    contact = (doc.get("contact") or doc.get("supplier") or {}).get("id")
    found = state.get("Contact", contact) if contact else None
    if found:
        return str(found.get("name") or f"{found.get('surename') or ''} {found.get('familyname') or ''}".strip())
    return str(doc.get("supplierName") or "Unbekannt")


def unbook(state: SevdeskState, kind: str, doc: dict[str, Any]) -> None:
    """Undo every payment of the document: automatic transactions go, linked ones become free again."""
    for tx_id in doc.pop("_payments", []):
        tx = state.get("CheckAccountTransaction", tx_id)
        if tx is None:
            continue
        tx["_links"] = [link for link in tx.get("_links", []) if not (link["kind"] == kind and link["id"] == doc["id"])]
        if tx.get("_auto") and not tx["_links"]:
            state.delete("CheckAccountTransaction", tx_id)
            continue
        tx["status"] = LINKED if tx["_links"] else UNBOOKED
        state.touch("CheckAccountTransaction", tx)
    doc["paidAmount"] = 0
    doc["payDate"] = None


# ------------------------------------------------------------------------------------------------ routes
@router.get("/CheckAccount", summary="List check accounts")
async def list_check_accounts(
    request: Request, limit: int | None = Limit, offset: int | None = Offset, countAll: str | None = CountAll
) -> Response:
    state = state_of(request)
    return paged(request, [_account_view(state, a) for a in state.all("CheckAccount")], limit, offset, countAll)


@router.get("/CheckAccount/{checkAccountId}", summary="One check account (an array of one)")
async def get_check_account(request: Request, checkAccountId: int) -> Response:
    state = state_of(request)
    return objects([_account_view(state, state.need("CheckAccount", checkAccountId))])


@router.get("/CheckAccount/{checkAccountId}/getBalanceAtDate", summary="Balance at the end of a day")
async def balance_at_date(request: Request, checkAccountId: int, date: str | None = None) -> Response:
    state = state_of(request)
    account = state.need("CheckAccount", checkAccountId)
    if not date:
        raise bad("date is required")
    until = parse_date(date, "date") + dt.timedelta(days=1)
    total = sum(
        (
            Decimal(t["amount"])
            for t in state.all("CheckAccountTransaction")
            if t["checkAccount"]["id"] == account["id"] and dt.datetime.fromisoformat(t["valueDate"]) < until
        ),
        Decimal(0),
    )
    return objects(money(total))


@router.get("/CheckAccountTransaction", tags=["CheckAccountTransaction"], summary="List bank transactions")
async def list_transactions(
    request: Request,
    check_account_id: int | None = Query(None, alias="checkAccount[id]"),
    isBooked: str | None = None,
    paymtPurpose: str | None = None,
    startDate: str | None = None,
    endDate: str | None = None,
    payeePayerName: str | None = None,
    onlyCredit: str | None = None,
    onlyDebit: str | None = None,
    limit: int | None = Limit,
    offset: int | None = Offset,
    countAll: str | None = CountAll,
) -> Response:
    state = state_of(request)
    docs = state.all("CheckAccountTransaction")
    if check_account_id is not None:
        docs = [d for d in docs if d["checkAccount"]["id"] == str(check_account_id)]
    if isBooked is not None:
        booked = flag(isBooked)
        docs = [d for d in docs if (d["status"] != UNBOOKED) == booked]
    if paymtPurpose:
        docs = [d for d in docs if paymtPurpose.lower() in str(d.get("paymtPurpose") or "").lower()]
    if payeePayerName:
        docs = [d for d in docs if payeePayerName.lower() in str(d.get("payeePayerName") or "").lower()]
    if flag(onlyCredit):
        docs = [d for d in docs if Decimal(d["amount"]) > 0]
    if flag(onlyDebit):
        docs = [d for d in docs if Decimal(d["amount"]) < 0]
    if startDate:
        start = parse_date(startDate, "startDate")
        docs = [d for d in docs if dt.datetime.fromisoformat(d["valueDate"]) >= start]
    if endDate:
        end = parse_date(endDate, "endDate")
        docs = [d for d in docs if dt.datetime.fromisoformat(d["valueDate"]) <= end]
    return paged(request, docs, limit, offset, countAll)


@router.get("/CheckAccountTransaction/{transactionId}", tags=["CheckAccountTransaction"], summary="One transaction")
async def get_transaction(request: Request, transactionId: int) -> Response:
    return objects([state_of(request).need("CheckAccountTransaction", transactionId)])


@router.post(
    "/CheckAccountTransaction",
    tags=["CheckAccountTransaction"],
    summary="Create a transaction (online/file-import accounts only)",
    status_code=201,
)
async def create_transaction(request: Request) -> Response:
    state = state_of(request)
    body = await read_body(request)
    account = state.need("CheckAccount", ref_id(body, "checkAccount", "CheckAccount"))
    if account["type"] != "online":
        raise bad("Transactions can only be created on check accounts of type online (file-import accounts)")
    if body.get("valueDate") is None:
        raise bad("valueDate is required")
    status = str(body.get("status") or UNBOOKED)
    if status not in (UNBOOKED, PRIVATE):
        raise bad("status must be 100 (created) or 300 (private) on create")
    return objects(new_transaction(state, account["id"], body, status), 201)


@router.delete("/CheckAccountTransaction/{transactionId}", tags=["CheckAccountTransaction"], summary="Delete one")
async def delete_transaction(request: Request, transactionId: int) -> Response:
    state = state_of(request)
    tx = state.need("CheckAccountTransaction", transactionId)
    if tx["status"] != UNBOOKED or tx["enshrined"]:
        raise bad("Only unbooked transactions can be deleted")
    state.delete("CheckAccountTransaction", tx["id"])
    return objects([None])
