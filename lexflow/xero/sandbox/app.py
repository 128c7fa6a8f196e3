"""The Xero sandbox as one ASGI app: identity (authorize, token, revocation), `/connections`, the Accounting API
under `/api.xro/2.0`, and a control API under `/_sandbox` for tests. Facts: docs/xero.md.

Every Accounting API call passes the same gate, in Xero's order: bearer token (401), tenant header and connection
(403), scope (403), rate limits (429 with `Retry-After` and `X-Rate-Limit-Problem`), then the stored answer of an
`Idempotency-Key`, then the operation itself under the state lock, so a write and its stored answer are one step.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import orjson
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from lexflow.sandbox.store import Doc
from lexflow.xero.sandbox.config import XeroSandboxConfig
from lexflow.xero.sandbox.domain import (
    Invalid,
    XeroError,
    apply_order,
    apply_where,
    modified_since,
    ms,
    not_found,
    post_data_invalid,
    public,
    validation_exception,
)
from lexflow.xero.sandbox.state import KNOWN_SCOPES, Fault, Grant, Stored, XeroState

API = "/api.xro/2.0"
MAX_BODY = 10 * 1024 * 1024
"""Xero's payload cap is quoted as 3.5 MB (older) or 10 MB (newer): the sandbox refuses beyond the larger one."""
ATTACHABLE = {
    "Invoices": "invoice",
    "CreditNotes": "creditnote",
    "BankTransactions": "banktransaction",
    "Contacts": "contact",
}
#: Resource → (scope family, granular scope of apps created from March 2026).
FAMILY = {
    "Contacts": ("accounting.contacts", None),
    "Invoices": ("accounting.transactions", "accounting.invoices"),
    "CreditNotes": ("accounting.transactions", "accounting.invoices"),
    "Payments": ("accounting.transactions", "accounting.payments"),
    "BankTransactions": ("accounting.transactions", "accounting.banktransactions"),
    "Accounts": ("accounting.settings", None),
    "TaxRates": ("accounting.settings", None),
    "Organisation": ("accounting.settings", None),
}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def _problem(status: int, detail: str) -> Response:
    title = {401: "Unauthorized", 403: "Forbidden"}[status]
    body: dict[str, Any] = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return _json(body, status)


@dataclass
class Ctx:
    state: XeroState
    request: Request
    tenant: str
    match: re.Match[str]
    body: Any

    @property
    def books(self) -> Any:
        return self.state.books

    def query(self, name: str) -> str | None:
        for key, value in self.request.query_params.items():
            if key.lower() == name.lower():
                return value
        return None

    def envelope(self, key: str, items: list[Doc], extra: Doc | None = None) -> Response:
        body = {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": self.state.config.app_name,
            "DateTimeUTC": f"/Date({ms(self.state.now())})/",
            **(extra or {}),
            key: items,
        }
        return _json(body)


Handler = Callable[[Ctx], Response]


# ------------------------------------------------------------------------------------------------ reads
def _page(ctx: Ctx, docs: list[Doc], key: str, summary: bool) -> Response:
    raw_page = ctx.query("page")
    if raw_page is None:
        items = [ctx.books.summary(d) if summary else public(d) for d in docs]
        return ctx.envelope(key, items)
    try:
        page = int(raw_page)
        size = min(1000, int(ctx.query("pageSize") or 100))
    except ValueError:
        raise post_data_invalid("page and pageSize must be whole numbers") from None
    if page < 1 or size < 1:
        raise post_data_invalid("page and pageSize start at 1")
    chunk = docs[(page - 1) * size : page * size]
    count = len(docs)
    pagination = {"page": page, "pageSize": size, "pageCount": -(-count // size), "itemCount": count}
    return ctx.envelope(key, [public(d) for d in chunk], {"pagination": pagination})


def _ids(ctx: Ctx, name: str) -> set[str] | None:
    raw = ctx.query(name)
    return {x.strip().lower() for x in raw.split(",") if x.strip()} if raw else None


def list_contacts(ctx: Ctx) -> Response:
    docs = ctx.books.contacts(ctx.tenant)
    if (ctx.query("includeArchived") or "").lower() != "true":
        docs = [d for d in docs if d["ContactStatus"] == "ACTIVE"]
    if ids := _ids(ctx, "IDs"):
        docs = [d for d in docs if d["id"] in ids]
    if term := (ctx.query("searchTerm") or "").strip().lower():
        fields = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
        docs = [d for d in docs if any(term in str(d.get(f) or "").lower() for f in fields)]
    docs = modified_since(docs, ctx.request.headers.get("if-modified-since"))
    docs = apply_order(apply_where(docs, ctx.query("where")), ctx.query("order"))
    return _page(ctx, docs, "Contacts", summary=False)


def list_documents(kind: str, key: str) -> Handler:
    def handler(ctx: Ctx) -> Response:
        docs = ctx.books.invoices(ctx.tenant, kind)
        if (ctx.query("includeArchived") or "").lower() != "true" and kind in ("invoice", "creditnote"):
            docs = [d for d in docs if d["Status"] != "DELETED"]
        if statuses := _ids(ctx, "Statuses"):
            docs = [d for d in docs if d["Status"].lower() in statuses]
        if ids := _ids(ctx, "IDs"):
            docs = [d for d in docs if d["id"] in ids]
        if numbers := _ids(ctx, "InvoiceNumbers"):
            docs = [d for d in docs if str(d.get("InvoiceNumber") or "").lower() in numbers]
        if contacts := _ids(ctx, "ContactIDs"):
            docs = [d for d in docs if d.get("Contact", {}).get("ContactID") in contacts]
        if term := (ctx.query("searchTerm") or "").strip().lower():
            docs = [
                d
                for d in docs
                if term in str(d.get("InvoiceNumber") or d.get("CreditNoteNumber") or "").lower()
                or term in str(d.get("Reference") or "").lower()
            ]
        docs = modified_since(docs, ctx.request.headers.get("if-modified-since"))
        docs = apply_order(apply_where(docs, ctx.query("where")), ctx.query("order"))
        return _page(ctx, docs, key, summary=kind != "payment")

    return handler


def get_contact(ctx: Ctx) -> Response:
    doc = ctx.books.contact(ctx.tenant, ctx.match["id"])
    return ctx.envelope("Contacts", [ctx.books.contact_with_balances(ctx.tenant, doc)])


def get_document(kind: str, key: str) -> Handler:
    def handler(ctx: Ctx) -> Response:
        if kind == "payment":
            doc = ctx.state.store.get(ctx.tenant, "payment", ctx.match["id"].lower())
            if doc is None:
                raise not_found()
        else:
            doc = ctx.books.document(ctx.tenant, kind, ctx.match["id"])
        if "application/pdf" in ctx.request.headers.get("accept", "") and kind in ("invoice", "creditnote"):
            return _pdf(doc)
        return ctx.envelope(key, [public(doc)])

    return handler


def get_pdf(kind: str) -> Handler:
    def handler(ctx: Ctx) -> Response:
        return _pdf(ctx.books.document(ctx.tenant, kind, ctx.match["id"]))

    return handler


def _pdf(doc: Doc) -> Response:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    number = doc.get("InvoiceNumber") or doc.get("CreditNoteNumber") or ""
    title = "INVOICE" if doc.get("InvoiceID") else "CREDIT NOTE"
    pdf.cell(0, 10, f"{title} {number}".encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        8,
        f"To: {doc['Contact']['Name']}".encode("latin-1", "replace").decode("latin-1"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for line in doc.get("LineItems", []):
        text = f"{line['Description'][:60]}  {line['Quantity']} x {line['UnitAmount']} = {line['LineAmount']}"
        pdf.cell(0, 8, text.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 10, f"Total {doc['CurrencyCode']} {doc['Total']:.2f}  Status {doc['Status']}", new_x="LMARGIN", new_y="NEXT"
    )
    return Response(bytes(pdf.output()), 200, media_type="application/pdf")


def reference_list(key: str) -> Handler:
    def handler(ctx: Ctx) -> Response:
        books = ctx.books
        items = {
            "Accounts": lambda: books.accounts(ctx.tenant),
            "TaxRates": lambda: books.tax_rates(ctx.tenant),
            "Organisations": lambda: [books.organisation(ctx.tenant)],
        }[key]()
        return ctx.envelope(key, apply_where(items, ctx.query("where")))

    return handler


# ------------------------------------------------------------------------------------------------ writes
def _elements(body: Any, key: str) -> list[Any]:
    if isinstance(body, dict) and key in body:
        items = body[key]
    elif isinstance(body, dict):
        items = [body]
    else:
        items = body
    if not isinstance(items, list) or not items:
        raise post_data_invalid(f'The request body must be {{"{key}": [ ... ]}} with at least one element')
    if len(items) > 1000:
        raise post_data_invalid("At most 1000 elements per request")
    return items


def batch(
    key: str,
    id_key: str,
    save: Callable[[Ctx, Any, Doc | None], Doc],
    find: Callable[[Ctx, str], Doc],
    create_only: bool,
) -> Handler:
    """PUT (create) / POST (create or update) of a collection, with `summarizeErrors` as Xero has it."""

    def handler(ctx: Ctx) -> Response:
        items = _elements(ctx.body, key)
        summarize = (ctx.query("summarizeErrors") or "true").lower() != "false"
        store = ctx.state.store
        whole = store.snapshot(ctx.tenant)
        events = len(ctx.state.events)
        results: list[Doc] = []
        failed = False
        for item in items:
            snap = store.snapshot(ctx.tenant)
            mark = len(ctx.state.events)
            try:
                existing = None
                ref = item.get(id_key) if isinstance(item, dict) else None
                if ref:
                    if create_only:
                        raise Invalid(f"{id_key} must not be sent to PUT (create); use POST to update")
                    try:
                        existing = find(ctx, str(ref))
                    except XeroError:
                        raise Invalid(f"The {key[:-1]} with {id_key} {ref} does not exist.") from None
                results.append(public(save(ctx, item, existing)))
            except Invalid as exc:
                store.restore(ctx.tenant, snap)
                del ctx.state.events[mark:]
                failed = True
                element = dict(item) if isinstance(item, dict) else {}
                element.setdefault(id_key, "00000000-0000-0000-0000-000000000000")
                element.update(
                    HasValidationErrors=True,
                    StatusAttributeString="ERROR",
                    ValidationErrors=[{"Message": m} for m in exc.messages],
                )
                results.append(element)
        if failed and summarize:
            store.restore(ctx.tenant, whole)
            del ctx.state.events[events:]
            raise validation_exception([r for r in results if r.get("HasValidationErrors")])
        return ctx.envelope(key, results)

    return handler


def update_one(
    key: str, id_key: str, save: Callable[[Ctx, Any, Doc | None], Doc], find: Callable[[Ctx, str], Doc]
) -> Handler:
    def handler(ctx: Ctx) -> Response:
        existing = find(ctx, ctx.match["id"])
        items = _elements(ctx.body, key)
        if len(items) != 1 or not isinstance(items[0], dict):
            raise post_data_invalid(f"Send exactly one element to /{key}/{{id}}")
        item = {**items[0], id_key: existing["id"]}
        ctx.body = {key: [item]}
        return batch(key, id_key, save, find, create_only=False)(ctx)

    return handler


def _unitdp(ctx: Ctx) -> int:
    return 4 if ctx.query("unitdp") == "4" else 2


def save_contact(ctx: Ctx, item: Any, existing: Doc | None) -> Doc:
    return ctx.books.save_contact(ctx.tenant, item, existing)  # type: ignore[no-any-return]


def save_doc(kind: str) -> Callable[[Ctx, Any, Doc | None], Doc]:
    def save(ctx: Ctx, item: Any, existing: Doc | None) -> Doc:
        return ctx.books.save_document(ctx.tenant, kind, item, _unitdp(ctx), existing)  # type: ignore[no-any-return]

    return save


def find_doc(kind: str) -> Callable[[Ctx, str], Doc]:
    def find(ctx: Ctx, ref: str) -> Doc:
        if kind == "contact":
            return ctx.books.contact(ctx.tenant, ref)  # type: ignore[no-any-return]
        if kind in ("payment", "banktransaction"):
            doc = ctx.state.store.get(ctx.tenant, kind, ref.lower())
            if doc is None:
                raise not_found()
            return doc
        return ctx.books.document(ctx.tenant, kind, ref)  # type: ignore[no-any-return]

    return find


def save_payment(ctx: Ctx, item: Any, existing: Doc | None) -> Doc:
    if existing is not None:
        return ctx.books.delete_payment(ctx.tenant, existing["id"], item)  # type: ignore[no-any-return]
    return ctx.books.create_payment(ctx.tenant, item)  # type: ignore[no-any-return]


def save_bank(ctx: Ctx, item: Any, existing: Doc | None) -> Doc:
    return ctx.books.save_bank_transaction(ctx.tenant, item, existing)  # type: ignore[no-any-return]


def allocate(ctx: Ctx) -> Response:
    store = ctx.state.store
    snap = store.snapshot(ctx.tenant)
    try:
        items = ctx.books.allocate(ctx.tenant, ctx.match["id"], ctx.body)
    except Invalid as exc:
        store.restore(ctx.tenant, snap)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        raise validation_exception([{**body, "ValidationErrors": [{"Message": m} for m in exc.messages]}]) from None
    return ctx.envelope("Allocations", items)


def email(ctx: Ctx) -> Response:
    try:
        ctx.books.email_invoice(ctx.tenant, ctx.match["id"], ctx.state.emails)
    except Invalid as exc:
        raise validation_exception(
            [{"InvoiceID": ctx.match["id"], "ValidationErrors": [{"Message": m} for m in exc.messages]}]
        ) from None
    return Response(status_code=204)


# -- attachments
def _attach_target(ctx: Ctx) -> tuple[str, Doc]:
    kind = ATTACHABLE[ctx.match["res"]]
    return kind, find_doc(kind)(ctx, ctx.match["id"])


def list_attachments(ctx: Ctx) -> Response:
    _, doc = _attach_target(ctx)
    return ctx.envelope("Attachments", [dict(a) for a in doc.get("_attachments", [])])


def get_attachment(ctx: Ctx) -> Response:
    _, doc = _attach_target(ctx)
    name = ctx.match["name"]
    found = next((a for a in doc.get("_attachments", []) if name in (a["AttachmentID"], a["FileName"])), None)
    if found is None:
        raise not_found()
    data = ctx.state.store.get_blob(ctx.tenant, found["AttachmentID"]) or b""
    return Response(data, 200, media_type=found["MimeType"])


def put_attachment(replace: bool) -> Handler:
    def handler(ctx: Ctx) -> Response:
        kind, doc = _attach_target(ctx)
        name = ctx.match["name"]
        data: bytes = ctx.body
        cfg = ctx.state.config
        if not data:
            raise post_data_invalid("The attachment is empty")
        if len(data) > cfg.attachment_max_bytes:
            raise XeroError(413, {"Message": f"The attachment is larger than {cfg.attachment_max_bytes} bytes"})
        existing = list(doc.get("_attachments", []))
        same = next((a for a in existing if a["FileName"] == name), None)
        if same is not None and not replace:
            raise validation_exception(
                [{"FileName": name, "ValidationErrors": [{"Message": f"A file named {name} is already attached"}]}]
            )
        if same is None and len(existing) >= cfg.attachments_per_document:
            raise validation_exception(
                [
                    {
                        "FileName": name,
                        "ValidationErrors": [
                            {"Message": f"At most {cfg.attachments_per_document} attachments per document"}
                        ],
                    }
                ]
            )
        aid = same["AttachmentID"] if same else str(uuid.uuid4())
        media = (ctx.request.headers.get("content-type") or "application/octet-stream").split(";")[0]
        entry = {
            "AttachmentID": aid,
            "FileName": name,
            "Url": f"https://api.xero.com/api.xro/2.0/{ctx.match['res']}/{doc['id']}/Attachments/{name}",
            "MimeType": media,
            "ContentLength": len(data),
            "IncludeOnline": (ctx.query("IncludeOnline") or "").lower() == "true",
        }
        doc["_attachments"] = [*(a for a in existing if a["FileName"] != name), entry]
        doc["HasAttachments"] = True
        ctx.state.store.put_blob(ctx.tenant, aid, data)
        ctx.state.store.put(ctx.tenant, kind, doc)
        return ctx.envelope("Attachments", [entry])

    return handler


# ------------------------------------------------------------------------------------------------ routing
ID = r"(?P<id>[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str, handler: Handler) -> None:
    ROUTES.append((method, re.compile(f"^{pattern}$", re.IGNORECASE), handler))


route("GET", "/Contacts", list_contacts)
route("PUT", "/Contacts", batch("Contacts", "ContactID", save_contact, find_doc("contact"), create_only=True))
route("POST", "/Contacts", batch("Contacts", "ContactID", save_contact, find_doc("contact"), create_only=False))
route("GET", f"/Contacts/{ID}", get_contact)
route("POST", f"/Contacts/{ID}", update_one("Contacts", "ContactID", save_contact, find_doc("contact")))
for _res, _kind, _idk in (
    ("Invoices", "invoice", "InvoiceID"),
    ("CreditNotes", "creditnote", "CreditNoteID"),
    ("Payments", "payment", "PaymentID"),
    ("BankTransactions", "banktransaction", "BankTransactionID"),
):
    _save = {
        "invoice": save_doc("invoice"),
        "creditnote": save_doc("creditnote"),
        "payment": save_payment,
        "banktransaction": save_bank,
    }[_kind]
    route("GET", f"/{_res}", list_documents(_kind, _res))
    route("PUT", f"/{_res}", batch(_res, _idk, _save, find_doc(_kind), create_only=True))
    route("POST", f"/{_res}", batch(_res, _idk, _save, find_doc(_kind), create_only=False))
    route("GET", f"/{_res}/{ID}", get_document(_kind, _res))
    route("POST", f"/{_res}/{ID}", update_one(_res, _idk, _save, find_doc(_kind)))
route("GET", f"/Invoices/{ID}/pdf", get_pdf("invoice"))
route("GET", f"/CreditNotes/{ID}/pdf", get_pdf("creditnote"))
route("POST", f"/Invoices/{ID}/Email", email)
route("PUT", f"/CreditNotes/{ID}/Allocations", allocate)
_RES = "(?P<res>Invoices|CreditNotes|BankTransactions|Contacts)"
route("GET", f"/{_RES}/{ID}/Attachments", list_attachments)
route("GET", f"/{_RES}/{ID}/Attachments/(?P<name>[^/]+)", get_attachment)
route("PUT", f"/{_RES}/{ID}/Attachments/(?P<name>[^/]+)", put_attachment(replace=False))
route("POST", f"/{_RES}/{ID}/Attachments/(?P<name>[^/]+)", put_attachment(replace=True))
route("GET", "/Accounts", reference_list("Accounts"))
route("GET", "/TaxRates", reference_list("TaxRates"))
route("GET", "/Organisation", reference_list("Organisations"))


def required_scopes(path: str, write: bool) -> set[str]:
    """Any one of these scopes allows the call (a write scope also allows reading)."""
    first = path.strip("/").split("/")[0]
    if "/attachments" in path.lower():
        return {"accounting.attachments"} | (set() if write else {"accounting.attachments.read"})
    family = next((v for k, v in FAMILY.items() if k.lower() == first.lower()), None)
    if family is None:
        return set()
    broad, granular = family
    scopes = {broad} | ({granular} if granular else set())
    if not write:
        scopes |= {f"{s}.read" for s in scopes}
    return scopes


def _fingerprint(request: Request, raw: bytes) -> str:
    return hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode() + raw).hexdigest()


async def api(request: Request) -> Response:
    state: XeroState = request.app.state.xero
    grant, why = state.bearer((request.headers.get("authorization") or "").removeprefix("Bearer ").strip() or None)
    if grant is None:
        return _problem(401, why)
    tenant = (request.headers.get("xero-tenant-id") or "").strip().lower()
    if not tenant or tenant not in {c["tenantId"] for c in grant.connections.values()}:
        return _problem(403, "AuthenticationUnsuccessful")
    path = request.url.path[len(API) :]
    write = request.method in ("PUT", "POST", "DELETE")
    needed = required_scopes(path, write)
    if needed and not needed & grant.scopes:
        return _problem(403, "AuthorisationUnsuccessful")
    generation = state.generation
    problem, retry, limit_headers = state.admit(grant.client_id, tenant)
    if problem is not None:
        return Response(
            "Rate limit exceeded", 429, {**limit_headers, "Retry-After": str(retry), "X-Rate-Limit-Problem": problem}
        )
    try:
        return await _served(state, request, grant, tenant, path, limit_headers)
    finally:
        state.release(grant.client_id, tenant, generation)


async def _served(
    state: XeroState, request: Request, grant: Grant, tenant: str, path: str, headers: dict[str, str]
) -> Response:
    fault = state.pick_fault(request.method, path)
    if fault is not None and fault.kind in ("429", "500", "503"):
        extra = {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"} if fault.kind == "429" else {}
        return Response("sandbox fault", int(fault.kind), {**headers, **extra})
    if fault is not None and fault.kind == "latency":
        await asyncio.sleep(fault.delay)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _json({"Message": f"The request is larger than {MAX_BODY} bytes"}, 413, headers)
    key = request.headers.get("idempotency-key")
    if key is not None and request.method not in ("PUT", "POST"):
        key = None
    if key is not None and not (0 < len(key) <= 128):
        return _json(
            {
                "ErrorNumber": 10,
                "Type": "ValidationException",
                "Message": "Idempotency-Key must be 1 to 128 characters",
                "Elements": [],
            },
            400,
            headers,
        )
    response = _run(state, request, tenant, path, raw, key, grant)
    for name, value in headers.items():
        response.headers[name] = value
    if fault is not None and fault.kind == "timeout_after_commit":
        await asyncio.sleep(fault.delay)
    if fault is not None and fault.kind == "504_after_commit":
        return Response("Endpoint request timed out", 504, headers)
    return response


def _run(
    state: XeroState, request: Request, tenant: str, path: str, raw: bytes, key: str | None, grant: Grant
) -> Response:
    with state.lock:
        scope = (grant.client_id, tenant, key or "")
        if key is not None:
            stored = state.stored_answer(scope, _fingerprint(request, raw))
            if stored == "mismatch":
                return _json(
                    {
                        "ErrorNumber": 10,
                        "Type": "ValidationException",
                        "Elements": [],
                        "Message": f"Idempotency key {key} is used with a different request",
                    },
                    400,
                )
            if isinstance(stored, Stored):
                return Response(
                    stored.body,
                    stored.status,
                    {**stored.headers, "Idempotent-Replayed": "true"},
                    media_type=stored.media_type,
                )
        response = _dispatch(state, request, tenant, path, raw)
        if key is not None and response.status_code < 500:
            state.idempotent[scope] = Stored(
                _fingerprint(request, raw),
                response.status_code,
                bytes(response.body),
                {},
                response.media_type or "application/json",
                state.now(),
            )
        return response


def _dispatch(state: XeroState, request: Request, tenant: str, path: str, raw: bytes) -> Response:
    candidates = [(m, p, h) for m, p, h in ROUTES if p.match(path)]
    if not candidates:
        return _json(not_found().body, 404)
    found = next(((p, h) for m, p, h in candidates if m == request.method), None)
    if found is None:
        return _json({"Message": "The requested resource does not support this HTTP method"}, 405)
    pattern, handler = found
    match = pattern.match(path)
    assert match is not None
    body: Any = None
    try:
        if "/attachments/" in path.lower() and request.method in ("PUT", "POST"):
            body = raw
        elif raw:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise post_data_invalid("The request body is not valid JSON") from None
        return handler(Ctx(state, request, tenant, match, body))
    except XeroError as err:
        return _json(err.body, err.status, err.headers)
    except Invalid as exc:
        return _json(validation_exception([{"ValidationErrors": [{"Message": m} for m in exc.messages]}]).body, 400)


# ------------------------------------------------------------------------------------------------ identity
def _client_auth(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization") or ""
    if header.lower().startswith("basic "):
        try:
            cid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return cid, secret
        except (ValueError, UnicodeDecodeError):
            return None, None
    return form.get("client_id"), form.get("client_secret")


async def _form(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode(errors="replace")
    return {k: v[0] for k, v in parse_qs(raw).items()}


async def authorize(request: Request) -> Response:
    """The consent screen, answered yes at once. Extension: `tenants=<id>,<id>` picks the organisations."""
    state: XeroState = request.app.state.xero
    q = request.query_params
    if q.get("client_id") != state.config.client_id or not q.get("redirect_uri"):
        return _json({"error": "unauthorized_client"}, 400)
    target = q["redirect_uri"]
    scopes = frozenset((q.get("scope") or "").split())
    extra = {"state": q["state"]} if q.get("state") else {}
    if q.get("response_type") != "code":
        return RedirectResponse(f"{target}?{urlencode({'error': 'unsupported_response_type', **extra})}", 302)
    if not scopes or not scopes <= KNOWN_SCOPES:
        return RedirectResponse(f"{target}?{urlencode({'error': 'invalid_scope', **extra})}", 302)
    tenants = [t.strip().lower() for t in (q.get("tenants") or "").split(",") if t.strip()]
    if any(t not in state.books.tenants for t in tenants):
        return RedirectResponse(f"{target}?{urlencode({'error': 'access_denied', **extra})}", 302)
    code = state.authorize(q["client_id"], scopes, tenants, target)
    return RedirectResponse(f"{target}?{urlencode({'code': code, 'scope': ' '.join(sorted(scopes)), **extra})}", 302)


async def token(request: Request) -> Response:
    state: XeroState = request.app.state.xero
    form = await _form(request)
    cid, secret = _client_auth(request, form)
    if not state.check_client(cid, secret):
        return _json({"error": "invalid_client"}, 401)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        body = state.exchange_code(form.get("code", ""), form.get("redirect_uri"))
    elif grant_type == "refresh_token":
        body = state.use_refresh(form.get("refresh_token", ""))
    else:
        return _json({"error": "unsupported_grant_type"}, 400)
    if body is None:
        return _json({"error": "invalid_grant"}, 400)
    return _json(body, 200, {"Cache-Control": "no-store"})


async def revocation(request: Request) -> Response:
    state: XeroState = request.app.state.xero
    form = await _form(request)
    cid, secret = _client_auth(request, form)
    if not state.check_client(cid, secret):
        return _json({"error": "invalid_client"}, 401)
    state.revoke(form.get("token", ""))
    return Response(status_code=200)


def _grant(request: Request) -> Grant | None:
    state: XeroState = request.app.state.xero
    grant, _ = state.bearer((request.headers.get("authorization") or "").removeprefix("Bearer ").strip() or None)
    return grant


async def connections(request: Request) -> Response:
    grant = _grant(request)
    if grant is None:
        return _problem(401, "AuthenticationUnsuccessful")
    return _json(list(grant.connections.values()))


async def disconnect(request: Request) -> Response:
    grant = _grant(request)
    if grant is None:
        return _problem(401, "AuthenticationUnsuccessful")
    if grant.connections.pop(request.path_params["id"], None) is None:
        return _json(not_found().body, 404)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------------------ control API
async def _control_body(request: Request) -> Doc:
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise XeroError(400, {"detail": "send a JSON object"})
    return body


def control(handler: Callable[[XeroState, Doc], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request.app.state.xero, await _control_body(request))
        except XeroError as err:
            return _json(err.body, err.status)
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"detail": f"bad control request: {exc}"}, 400)

    return endpoint


async def _reset(state: XeroState, body: Doc) -> Response:
    state.reset()
    return Response(status_code=204)


async def _clock(state: XeroState, body: Doc) -> Response:
    now = state.advance(float(body.get("advanceSeconds", 0)))
    return _json({"now": now.isoformat()})


async def _limits(state: XeroState, body: Doc) -> Response:
    names = {
        "minuteLimit": "minute_limit",
        "dailyLimit": "daily_limit",
        "concurrentLimit": "concurrent_limit",
        "appMinuteLimit": "app_minute_limit",
        "accessTokenSeconds": "access_token_seconds",
        "refreshGraceSeconds": "refresh_grace_seconds",
        "idempotencySeconds": "idempotency_seconds",
        "emailDailyLimit": "email_daily_limit",
    }
    unknown = set(body) - set(names)
    if unknown:
        raise XeroError(400, {"detail": f"unknown settings {sorted(unknown)}; known: {sorted(names)}"})
    update = {names[k]: int(v) for k, v in body.items()}
    with state.lock:
        state.config = XeroSandboxConfig.model_validate({**state.config.model_dump(), **update})
        state.books.email_daily_limit = state.config.email_daily_limit
    return _json({k: getattr(state.config, v) for k, v in names.items()})


async def _faults(state: XeroState, body: Doc) -> Response:
    """`{"route": "PUT /Invoices", "kind": "timeout_after_commit", "count": 1, "delay": 2}`."""
    method, _, prefix = str(body["route"]).partition(" ")
    if not prefix:
        method, prefix = "*", method
    kind = str(body["kind"])
    if kind not in ("429", "500", "503", "504_after_commit", "timeout_after_commit", "latency"):
        raise XeroError(400, {"detail": f"unknown fault kind {kind}"})
    fault = Fault(
        None if method == "*" else method.upper(), prefix, kind, int(body.get("count", 1)), float(body.get("delay", 5))
    )
    with state.lock:
        state.faults.append(fault)
    return _json({"route": body["route"], "kind": kind, "count": fault.remaining}, 201)


async def _clear_faults(state: XeroState, body: Doc) -> Response:
    with state.lock:
        state.faults.clear()
    return Response(status_code=204)


async def _emails(state: XeroState, body: Doc) -> Response:
    return _json({"emails": state.emails})


async def _seed(state: XeroState, body: Doc) -> Response:
    """`{"tenantId": ..., "contacts": n, "invoices": n}`: named test data, invoices AUTHORISED with a due date."""
    tenant = str(body.get("tenantId") or next(iter(state.books.tenants))).lower()
    if tenant not in state.books.tenants:
        raise XeroError(400, {"detail": f"unknown tenant {tenant}"})
    made: dict[str, list[str]] = {"contacts": [], "invoices": []}
    with state.lock:
        for n in range(int(body.get("contacts", 0))):
            c = state.books.save_contact(
                tenant,
                {
                    "Name": f"Seed Customer {len(state.books.contacts(tenant)) + 1}",
                    "EmailAddress": f"seed{n + 1}@example.com",
                },
            )
            made["contacts"].append(c["id"])
        contacts = [c for c in state.books.contacts(tenant) if c["ContactStatus"] == "ACTIVE"]
        for n in range(int(body.get("invoices", 0))):
            if not contacts:
                raise XeroError(400, {"detail": "seed contacts first"})
            contact = contacts[n % len(contacts)]
            inv = state.books.save_document(
                tenant,
                "invoice",
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact["id"]},
                    "Status": "AUTHORISED",
                    "DueDate": state.books.today().isoformat(),
                    "Reference": f"SEED-{n + 1}",
                    "LineItems": [
                        {
                            "Description": "Seeded work",
                            "Quantity": 1,
                            "UnitAmount": str(Decimal(100 + n)),
                            "AccountCode": "200",
                            "TaxType": "OUTPUT2",
                        }
                    ],
                },
            )
            made["invoices"].append(inv["id"])
    return _json(made, 201)


async def _webhook_url(state: XeroState, body: Doc) -> Response:
    """Save the delivery URL the way the developer portal does: only after the intent-to-receive check passes."""
    url = str(body["url"])
    ok = await intent_to_receive(state, url)
    if ok:
        state.webhook_url = url
    return _json({"url": url, "status": "OK" if ok else "INTENT_TO_RECEIVE_FAILED"}, 200 if ok else 400)


async def intent_to_receive(state: XeroState, url: str) -> bool:
    """Xero's check: empty event batches, some signed right and some wrong; 200 and 401 respectively, empty body."""
    async with httpx.AsyncClient(timeout=5) as client:
        for good in (True, False, True, False):
            body = orjson.dumps(
                {
                    "events": [],
                    "firstEventSequence": 0,
                    "lastEventSequence": 0,
                    "entropy": uuid.uuid4().hex[:20].upper(),
                }
            )
            sig = state.sign(body) if good else state.sign(body, key="not-" + uuid.uuid4().hex)
            try:
                answer = await client.post(
                    url, content=body, headers={"x-xero-signature": sig, "Content-Type": "application/json"}
                )
            except httpx.HTTPError:
                return False
            if answer.status_code != (200 if good else 401) or answer.content:
                return False
    return True


async def _deliver(state: XeroState, body: Doc) -> Response:
    """Send the queued events as one signed batch; on failure they stay queued (Xero retries later)."""
    if state.webhook_url is None:
        raise XeroError(400, {"detail": "no webhook URL: POST /_sandbox/webhooks {url} first"})
    events = state.take_events()
    if not events:
        return _json({"delivered": 0})
    with state.lock:
        first = state.sequence + 1
        state.sequence += len(events)
    payload = orjson.dumps(
        {
            "events": events,
            "firstEventSequence": first,
            "lastEventSequence": first + len(events) - 1,
            "entropy": uuid.uuid4().hex[:20].upper(),
        }
    )
    status: int | None = None
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            answer = await client.post(
                state.webhook_url,
                content=payload,
                headers={"x-xero-signature": state.sign(payload), "Content-Type": "application/json"},
            )
            status = answer.status_code
    except httpx.HTTPError:
        pass
    state.deliveries.append({"events": len(events), "status": status})
    if status != 200:
        with state.lock:
            state.events[:0] = events
        return _json({"delivered": 0, "status": status, "queued": len(state.events)}, 502)
    return _json({"delivered": len(events), "status": status})


def create_app(config: XeroSandboxConfig | None = None, state: XeroState | None = None) -> FastAPI:
    state = state or XeroState(config)
    app = FastAPI(title="lexflow Xero sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.xero = state
    methods = ["GET", "PUT", "POST", "DELETE"]
    app.router.routes += [
        Route(API + "/{path:path}", api, methods=methods),
        Route("/identity/connect/authorize", authorize, methods=["GET"]),
        Route("/connect/token", token, methods=["POST"]),
        Route("/connect/revocation", revocation, methods=["POST"]),
        Route("/connections", connections, methods=["GET"]),
        Route("/connections/{id}", disconnect, methods=["DELETE"]),
        Route("/_sandbox/reset", control(_reset), methods=["POST"]),
        Route("/_sandbox/clock", control(_clock), methods=["POST"]),
        Route("/_sandbox/limits", control(_limits), methods=["POST"]),
        Route("/_sandbox/faults", control(_faults), methods=["POST"]),
        Route("/_sandbox/faults", control(_clear_faults), methods=["DELETE"]),
        Route("/_sandbox/emails", control(_emails), methods=["GET"]),
        Route("/_sandbox/seed", control(_seed), methods=["POST"]),
        Route("/_sandbox/webhooks", control(_webhook_url), methods=["POST"]),
        Route("/_sandbox/webhooks/deliver", control(_deliver), methods=["POST"]),
    ]
    return app
