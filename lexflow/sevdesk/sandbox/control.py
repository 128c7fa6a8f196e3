"""The control API under `/_sandbox/` (same raw token): test levers the real API does not have.

reset, seed a realistic company, the clock, importing a bank statement into a check account (with the ground
truth of which line pays which invoice), the outbox of e-mails sent, fault rules, unblocking the token.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import orjson
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from lexflow.sevdesk.sandbox.banking import new_transaction
from lexflow.sevdesk.sandbox.core import SevdeskError, SevdeskState, bad, iso
from lexflow.sevdesk.sandbox.gate import FaultRule
from lexflow.sevdesk.sandbox.web import json, state_of

router = APIRouter(prefix="/_sandbox", tags=["sandbox control"])


def _auth(request: Request) -> SevdeskState:
    state = state_of(request)
    if (request.headers.get("authorization") or "").strip() != state.config.token:
        raise SevdeskError(401, "Authentication required: send the sandbox token in the Authorization header")
    return state


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    return body


def _model(cls: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return cls.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise bad(problems) from None


@router.post("/reset", summary="Forget everything (back to a fresh account)")
async def reset(request: Request) -> Response:
    _auth(request).reset()
    return Response(status_code=204)


class ClockMove(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    advance_seconds: float = Field(default=0, alias="advanceSeconds", ge=0)
    advance_days: float = Field(default=0, alias="advanceDays", ge=0)


@router.get("/clock", summary="The sandbox's now")
async def get_clock(request: Request) -> Response:
    return json({"now": iso(_auth(request).now())})


@router.post("/clock", summary="Advance the clock (due dates, delinquent invoices)")
async def move_clock(request: Request) -> Response:
    state = _auth(request)
    move = _model(ClockMove, await _body(request))
    return json({"now": iso(state.advance(move.advance_seconds + move.advance_days * 86400))})


@router.post("/faults", summary="Add a fault rule", status_code=201)
async def add_fault(request: Request) -> Response:
    state = _auth(request)
    return json(state.faults.add(_model(FaultRule, await _body(request))).describe(), 201)


@router.get("/faults", summary="The fault rules")
async def list_faults(request: Request) -> Response:
    return json({"rules": [r.describe() for r in _auth(request).faults.rules]})


@router.delete("/faults", summary="Remove all fault rules")
async def clear_faults(request: Request) -> Response:
    _auth(request).faults.clear()
    return Response(status_code=204)


@router.post("/unblock", summary="Unblock the token after too many failing requests")
async def unblock(request: Request) -> Response:
    state = _auth(request)
    state.blocked, state.failures = False, 0
    return Response(status_code=204)


@router.get("/emails", summary="E-mails sent by sendViaEmail")
async def emails(request: Request) -> Response:
    state = _auth(request)
    return json({"emails": [{k: v for k, v in e.items() if k != "object"} for e in state.all("Email")]})


class BankLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal
    valueDate: str | None = None
    paymtPurpose: str | None = None
    payeePayerName: str = "Unbekannt"
    payeePayerAcctNo: str | None = None
    invoice: int | None = Field(default=None, description="ground truth: the invoice this line pays")


class Payment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice: int
    amount: Decimal | None = Field(default=None, description="default: the open amount")


class BankImport(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    check_account: int | None = Field(default=None, alias="checkAccount", description="default: the import account")
    lines: list[BankLine] = Field(default_factory=list, max_length=10_000)
    pay_invoices: list[Payment] = Field(default_factory=list, alias="payInvoices", max_length=10_000)


def _import_account(state: SevdeskState, wanted: int | None) -> dict[str, Any]:
    if wanted is not None:
        account = state.need("CheckAccount", wanted)
    else:
        online = [a for a in state.all("CheckAccount") if a["type"] == "online"]
        if not online:
            raise bad("no online (file-import) check account: seed the company first or create one")
        account = online[0]
    if account["type"] != "online":
        raise bad("bank statements can only be imported into online (file-import) check accounts")
    return account


@router.post("/bank-import", summary="Import bank lines into a check account, with ground truth", status_code=201)
async def bank_import(request: Request) -> Response:
    state = _auth(request)
    spec = _model(BankImport, await _body(request))
    account = _import_account(state, spec.check_account)
    lines = list(spec.lines)
    for pay in spec.pay_invoices:
        invoice = state.need("Invoice", pay.invoice)
        contact = state.need("Contact", invoice["contact"]["id"])
        amount = (
            pay.amount if pay.amount is not None else Decimal(invoice["sumGross"]) - Decimal(str(invoice["paidAmount"]))
        )
        lines.append(
            BankLine(
                amount=amount,
                paymtPurpose=f"{invoice['invoiceNumber']} {contact.get('name') or ''}".strip(),
                payeePayerName=contact.get("name") or contact.get("familyname") or "Kunde",
                payeePayerAcctNo=contact.get("bankAccount"),
                invoice=pay.invoice,
            )
        )
    truth = []
    for line in lines:
        tx = new_transaction(state, account["id"], line.model_dump(exclude={"invoice"}, exclude_none=True))
        tx["_truth"] = line.invoice
        state.put("CheckAccountTransaction", tx)
        truth.append({"transaction": int(tx["id"]), "invoice": line.invoice, "amount": tx["amount"]})
    return json({"checkAccount": int(account["id"]), "transactions": truth}, 201)


@router.get("/bank-truth", summary="Which imported line pays which invoice")
async def bank_truth(request: Request) -> Response:
    state = _auth(request)
    return json(
        {
            "transactions": [
                {"transaction": int(t["id"]), "invoice": t.get("_truth")}
                for t in state.all("CheckAccountTransaction")
                if "_truth" in t
            ]
        }
    )


# ------------------------------------------------------------------------------------------------ seed
SEED_CUSTOMERS = [
    ("Acme GmbH", "billing@acme.example", "Hauptstr. 1", "10115", "Berlin"),
    ("Müller & Söhne KG", "buchhaltung@mueller-soehne.example", "Marktplatz 7", "80331", "München"),
    ("Beispiel Bau AG", "rechnung@beispiel-bau.example", "Hafenweg 12", "20457", "Hamburg"),
    ("Nordlicht Design UG", "office@nordlicht.example", "Kaiserstr. 40", "60311", "Frankfurt am Main"),
]


@router.post(
    "/seed", summary="Seed a realistic company (customers, invoices in every state, a bank account)", status_code=201
)
async def seed(request: Request) -> Response:
    state = _auth(request)
    state.seeding = True
    try:
        result = await _seed(request, state)
    finally:
        state.seeding = False
    return json(result, 201)


async def _seed(request: Request, state: SevdeskState) -> dict[str, Any]:
    """Everything through the API itself, so seeded data obeys the same rules as data a client creates."""
    transport = httpx.ASGITransport(app=request.app)
    headers = {"Authorization": state.config.token}
    async with httpx.AsyncClient(transport=transport, base_url="http://seed/api/v1", headers=headers) as api:

        async def call(method: str, path: str, body: Any = None) -> Any:
            response = await api.request(method, path, json=body)
            if response.status_code >= 400:
                raise SevdeskError(500, f"seeding failed at {method} {path}: {response.text}")
            return response.json()["objects"]

        new_account = state.create(
            "CheckAccount",
            {
                "name": "Geschäftskonto (CSV-Import)",
                "type": "online",
                "importType": "CSV",
                "currency": "EUR",
                "defaultAccount": "0",
                "status": "100",
                "iban": "DE89370400440532013000",
                "bic": "COBADEFFXXX",
                "bankServer": None,
                "autoMapTransactions": "0",
                "lastSync": None,
                "accountingNumber": "1810",
            },
        )
        user = state.default_user()
        customers = []
        for name, email, street, zip_, city in SEED_CUSTOMERS:
            contact = await call(
                "POST",
                "/Contact",
                {"name": name, "category": {"id": 3, "objectName": "Category"}, "status": 1000, "defaultTimeToPay": 14},
            )
            cref = {"id": int(contact["id"]), "objectName": "Contact"}
            await call(
                "POST",
                "/CommunicationWay",
                {
                    "contact": cref,
                    "type": "EMAIL",
                    "value": email,
                    "key": {"id": 8, "objectName": "CommunicationWayKey"},
                    "main": True,
                },
            )
            await call(
                "POST",
                "/ContactAddress",
                {
                    "contact": cref,
                    "street": street,
                    "zip": zip_,
                    "city": city,
                    "country": {"id": 1, "objectName": "StaticCountry"},
                },
            )
            customers.append(int(contact["id"]))
        supplier = await call(
            "POST",
            "/Contact",
            {"name": "Office Supplies Ltd", "category": {"id": 2, "objectName": "Category"}, "status": 1000},
        )
        today = state.now()
        invoices: dict[str, list[int]] = {"draft": [], "open": [], "overdue": [], "partial": [], "paid": []}
        plan = [
            ("draft", 0, 10),
            ("open", 1, 5),
            ("overdue", 2, 40),
            ("partial", 3, 20),
            ("paid", 0, 30),
            ("open", 2, 2),
        ]
        for index, (kind, who, days_ago) in enumerate(plan):
            day = (today - dt.timedelta(days=days_ago)).strftime("%d.%m.%Y")
            saved = await call(
                "POST",
                "/Invoice/Factory/saveInvoice",
                {
                    "invoice": {
                        "objectName": "Invoice",
                        "mapAll": True,
                        "contact": {"id": customers[who], "objectName": "Contact"},
                        "contactPerson": {"id": int(user["id"]), "objectName": "SevUser"},
                        "invoiceDate": day,
                        "status": 100,
                        "invoiceType": "RE",
                        "currency": "EUR",
                        "timeToPay": 14,
                        "taxRule": {"id": 1, "objectName": "TaxRule"},
                        "taxRate": 0,
                        "taxText": "Umsatzsteuer",
                        "taxType": "default",
                        "showNet": True,
                        "header": f"Rechnung {index + 1}",
                        "customerInternalNote": f"seed:{index + 1}",
                    },
                    "invoicePosSave": [
                        {
                            "objectName": "InvoicePos",
                            "mapAll": True,
                            "quantity": 1 + index,
                            "price": 120 + 10 * index,
                            "name": "Beratung",
                            "unity": {"id": 1, "objectName": "Unity"},
                            "taxRate": 19,
                        },
                        {
                            "objectName": "InvoicePos",
                            "mapAll": True,
                            "quantity": 2,
                            "price": 45.5,
                            "name": "Reisekosten",
                            "unity": {"id": 1, "objectName": "Unity"},
                            "taxRate": 7,
                        },
                    ],
                    "takeDefaultAddress": True,
                },
            )
            invoice = saved["invoice"]
            iid = int(invoice["id"])
            if kind != "draft":
                await call("PUT", f"/Invoice/{iid}/sendBy", {"sendType": "VPDF", "sendDraft": False})
            standard = {"id": int(state.all("CheckAccount")[0]["id"]), "objectName": "CheckAccount"}
            stamp = int(today.timestamp())
            if kind == "partial":
                await call(
                    "PUT",
                    f"/Invoice/{iid}/bookAmount",
                    {"amount": 100, "date": stamp, "type": "N", "checkAccount": standard},
                )
            if kind == "paid":
                await call(
                    "PUT",
                    f"/Invoice/{iid}/bookAmount",
                    {
                        "amount": float(invoice["sumGross"]),
                        "date": stamp,
                        "type": "FULL_PAYMENT",
                        "checkAccount": standard,
                    },
                )
            invoices[kind].append(iid)
        return {
            "customers": customers,
            "supplier": int(supplier["id"]),
            "sevUser": int(user["id"]),
            "checkAccounts": {"standard": int(state.all("CheckAccount")[0]["id"]), "import": int(new_account["id"])},
            "invoices": invoices,
        }
