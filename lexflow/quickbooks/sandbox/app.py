"""`create_app(config)`: the embedded QuickBooks Online sandbox as one ASGI app.

Served paths (like Intuit's hosts, on one origin): the Accounting API under `/v3/company/{realmId}/...`, OAuth at
`/connect/oauth2` (authorize), `/oauth2/v1/tokens/bearer` (code exchange and refresh) and
`/v2/oauth2/tokens/revoke`, and the control API for tests under `/_sandbox/...` (Bearer `control_key`).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from lexflow.quickbooks.sandbox import faults
from lexflow.quickbooks.sandbox.config import QuickBooksSandboxConfig
from lexflow.quickbooks.sandbox.domain import ENTITIES, Company, create_attachable, create_bill, create_purchase
from lexflow.quickbooks.sandbox.faults import Fault, json_response
from lexflow.quickbooks.sandbox.query import QueryError, parse, run
from lexflow.quickbooks.sandbox.webhooks import WebhookOutbox
from lexflow.sandbox.store import Store

MIN_MINOR_VERSION = 75
SCOPE = "com.intuit.quickbooks.accounting"


@dataclass
class FaultRule:
    """A control-API fault: `mode` is `error` (answer `status` with a Fault), `throttle` (429 XML), `timeout`
    (hold the answer, nothing written) or `timeout_after_commit` (write, then hold the answer)."""

    method: str
    path: str
    mode: str
    status: int = 500
    times: int = 1


@dataclass
class _Limits:
    minute: dict[str, deque[float]] = field(default_factory=dict)
    second: dict[str, deque[float]] = field(default_factory=dict)
    running: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class QuickBooksSandbox:
    """State of the served sandbox: store, clock, tokens, request ids, limits, faults, sent e-mails, change log."""

    def __init__(self, config: QuickBooksSandboxConfig) -> None:
        self.config = config
        self.store = Store(config.db_path)
        self.limits = _Limits()
        self.faults: list[FaultRule] = []
        self.outbox: list[dict[str, Any]] = []
        self.webhooks = WebhookOutbox()
        self.delivery_task: asyncio.Task[None] | None = None
        self.lock = threading.RLock()
        self.write_lock = asyncio.Lock()

    # clock: real time plus an offset the control API moves (token expiry, default dates)
    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=float(self.store.meta("clock_offset", 0)))

    def company(self, realm: str) -> Company:
        return Company(self.store, realm, self.now, self.config.home_currency, self._changed)

    def _changed(self, realm: str, entity: str, id_: str, operation: str) -> None:
        log = self.store.meta(f"changes:{realm}", [])
        log.append({"name": entity, "id": id_, "operation": operation, "lastUpdated": self.now().isoformat()})
        self.store.set_meta(f"changes:{realm}", log[-5000:])
        self.webhooks.add(realm, log[-1])

    # ---------------------------------------------------------------------------------------------- tokens
    def issue_tokens(self, realm: str, parent: str | None = None, refresh: str | None = None) -> dict[str, Any]:
        access = "qbo-at-" + secrets.token_urlsafe(24)
        refresh = refresh or "qbo-rt-" + secrets.token_urlsafe(24)
        now = self.now().timestamp()
        tokens = self.store.meta("tokens", {})
        tokens[access] = {
            "realm": realm,
            "exp": now + self.config.access_token_seconds,
            "kind": "access",
            "refresh": refresh,
        }
        known = tokens.get(refresh)
        if known is None:
            tokens[refresh] = {
                "realm": realm,
                "exp": now + self.config.refresh_token_seconds,
                "kind": "refresh",
                "parent": parent,
            }
        self.store.set_meta("tokens", tokens)
        return {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": self.config.access_token_seconds,
            "refresh_token": refresh,
            "x_refresh_token_expires_in": self.config.refresh_token_seconds,
        }

    def token(self, value: str, kind: str) -> dict[str, Any] | None:
        info = self.store.meta("tokens", {}).get(value)
        if not info or info["kind"] != kind or info["exp"] < self.now().timestamp():
            return None
        return dict(info)

    def refresh(self, value: str) -> dict[str, Any] | None:
        with self.lock:
            info = self.token(value, "refresh")
            if info is None:
                return None
            tokens = self.store.meta("tokens", {})
            if info.get("parent"):  # using a rotated token retires the one it replaced
                tokens.pop(info["parent"], None)
                tokens[value]["parent"] = None
                self.store.set_meta("tokens", tokens)
            if self.config.rotate_refresh_tokens:
                return self.issue_tokens(info["realm"], parent=value)
            return self.issue_tokens(info["realm"], refresh=value)

    def revoke(self, value: str) -> bool:
        """Revoking either token disconnects the app: every token of that connection dies."""
        with self.lock:
            tokens = self.store.meta("tokens", {})
            info = tokens.get(value)
            if info is None:
                return False
            refresh = info.get("refresh", value)
            chain = {value, refresh}
            changed = True
            while changed:
                changed = False
                for tok, meta in tokens.items():
                    if tok not in chain and (meta.get("refresh") in chain or meta.get("parent") in chain):
                        chain.add(tok)
                        changed = True
                parent = tokens.get(refresh, {}).get("parent")
                if parent and parent not in chain:
                    chain.add(parent)
                    changed = True
            self.store.set_meta("tokens", {k: v for k, v in tokens.items() if k not in chain})
            return True

    # ---------------------------------------------------------------------------------------------- limits
    def admit(self, realm: str) -> bool:
        """Count one request against the realm's minute and second windows and its concurrency slots."""
        cfg, lim, now = self.config, self.limits, time.monotonic()
        with lim.lock:
            for window, size, span in (
                (lim.minute, cfg.requests_per_minute, 60.0),
                (lim.second, cfg.requests_per_second, 1.0),
            ):
                if size <= 0:
                    continue
                q = window.setdefault(realm, deque())
                while q and q[0] <= now - span:
                    q.popleft()
                if len(q) >= size:
                    return False
            if cfg.concurrent_requests > 0 and lim.running.get(realm, 0) >= cfg.concurrent_requests:
                return False
            for window, size in ((lim.minute, cfg.requests_per_minute), (lim.second, cfg.requests_per_second)):
                if size > 0:
                    window[realm].append(now)
            lim.running[realm] = lim.running.get(realm, 0) + 1
            return True

    def release(self, realm: str) -> None:
        with self.limits.lock:
            self.limits.running[realm] = max(0, self.limits.running.get(realm, 0) - 1)

    def pick_fault(self, method: str, path: str) -> FaultRule | None:
        with self.lock:
            for rule in self.faults:
                if rule.method in (method, "*") and rule.path in path:
                    rule.times -= 1
                    if rule.times <= 0:
                        self.faults.remove(rule)
                    return rule
        return None

    def reset(self) -> None:
        with self.lock:
            self.store.clear()
            self.faults.clear()
            self.outbox.clear()
            self.webhooks = WebhookOutbox()
            with self.limits.lock:
                self.limits.minute.clear()
                self.limits.second.clear()


# -------------------------------------------------------------------------------------------------- API
def _tid() -> dict[str, str]:
    return {"intuit_tid": uuid.uuid4().hex}


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise Fault(400, "2500", "Request has invalid JSON", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Fault(400, "2500", "Request has invalid JSON", "the request body must be a JSON object")
    return body


def _minor(request: Request) -> int:
    raw = request.query_params.get("minorversion")
    if raw is None:
        return MIN_MINOR_VERSION
    if not raw.isdigit():
        raise Fault(
            400,
            "2010",
            "Request has invalid or unsupported property",
            f"minorversion must be a whole number, got {raw!r}",
            "minorversion",
        )
    return max(MIN_MINOR_VERSION, int(raw))  # below 75 is served as 75 since August 2025


async def _dispatch(sb: QuickBooksSandbox, request: Request, realm: str, rest: str) -> tuple[int, Any, str]:
    """Route one API call; returns (status, body, media type) or raises Fault."""
    _minor(request)
    company = sb.company(realm)
    method = request.method
    parts = [p for p in rest.split("/") if p]
    if not parts:
        raise Fault(404, "404", "Not Found", "unknown path")
    head = parts[0].lower()
    if head == "query":
        text = request.query_params.get("query")
        if method == "POST":
            text = (await request.body()).decode("utf-8", "replace")
        if not text:
            raise faults.required("query")
        try:
            q = parse(text)
        except QueryError as exc:
            raise Fault(400, exc.code, exc.message, exc.detail) from None
        return 200, {"QueryResponse": run(q, company.all(q.entity))}, "json"
    if head == "batch" and method == "POST":
        return 200, batch(company, await _json_body(request)), "json"
    if head == "cdc" and method == "GET":
        return 200, _cdc(sb, company, request), "json"
    if head == "companyinfo" and method == "GET":
        return (
            200,
            {
                "CompanyInfo": {
                    "Id": realm,
                    "CompanyName": f"Sandbox Company {realm}",
                    "Country": "US",
                    "domain": "QBO",
                    "SyncToken": "0",
                }
            },
            "json",
        )
    if head == "upload" and method == "POST":
        return 200, await _upload(company, request), "json"
    if head == "download" and method == "GET" and len(parts) == 2:
        blob = sb.store.get_blob(realm, f"attachable:{parts[1]}")
        meta = company.get("Attachable", parts[1])
        if blob is None or meta is None:
            raise faults.not_found("Attachable", parts[1])
        return 200, blob, str(meta["ContentType"])
    entity = ENTITIES.get(head)
    if entity is None:
        raise Fault(400, "2010", "Unsupported Operation", f"Operation {head} is not supported by this sandbox")
    if method == "GET" and len(parts) >= 2:
        doc = company.get(entity, parts[1])
        if doc is None:
            raise faults.not_found(entity, parts[1])
        if len(parts) == 3 and parts[2] == "pdf" and entity in ("Invoice", "CreditMemo"):
            return 200, _pdf(doc), "pdf"
        return 200, {entity: doc}, "json"
    if method == "POST" and len(parts) == 3 and parts[2] == "send" and entity == "Invoice":
        doc, to = company.send_invoice(parts[1], request.query_params.get("sendTo"))
        sb.outbox.append({"realm": realm, "invoice": doc["Id"], "to": to})
        return 200, {entity: doc}, "json"
    if method != "POST" or len(parts) != 1:
        raise Fault(400, "2010", "Unsupported Operation", f"{method} {rest} is not supported")
    body = await _json_body(request)
    operation = request.query_params.get("operation", "create" if "Id" not in body else "update")
    return 200, {entity: write(company, entity, operation, request.query_params.get("include"), body)}, "json"


def write(company: Company, entity: str, operation: str, include: str | None, body: dict[str, Any]) -> Any:
    """One write (create, update, void, delete) of one entity; raises `Fault`. Shared by the entity endpoints and
    /batch."""
    if operation == "delete" and entity in ("Invoice", "Payment", "CreditMemo", "Purchase", "Bill"):
        return company.delete(entity, body)
    if operation == "void" and entity == "Invoice":
        return company.void_invoice(body)
    if operation == "update" and include == "void" and entity == "Payment":
        return company.void_payment(body)
    if operation not in ("create", "update") or include:
        raise Fault(400, "2010", "Unsupported Operation", f"operation={operation} is not supported for {entity}")
    if entity in ("Customer", "Vendor"):
        return company.update_party(entity, body) if "Id" in body else company.create_party(entity, body)
    if entity == "Invoice":
        return company.update_invoice(body) if "Id" in body else company.create_invoice(body)
    creators = {
        "Payment": company.create_payment,
        "CreditMemo": company.create_credit_memo,
        "Purchase": lambda b: create_purchase(company, b),
        "Bill": lambda b: create_bill(company, b),
    }
    if entity in creators and "Id" not in body and operation == "create":
        return creators[entity](body)
    raise Fault(400, "2010", "Unsupported Operation", f"updating {entity} is not supported by this sandbox")


MAX_BATCH = 30


def batch(company: Company, body: dict[str, Any]) -> dict[str, Any]:
    """`/batch`: up to 30 writes or queries, each answered on its own (`Fault` per item inside a 200)."""
    items = body.get("BatchItemRequest")
    if not isinstance(items, list) or not items:
        raise faults.required("BatchItemRequest")
    if len(items) > MAX_BATCH:
        raise faults.invalid("BatchItemRequest", f"a batch holds at most {MAX_BATCH} items, got {len(items)}")
    answers = []
    for item in items:
        bid = item.get("bId") if isinstance(item, dict) else None
        try:
            if not bid:
                raise faults.required("bId")
            if "Query" in item:
                try:
                    q = parse(str(item["Query"]))
                except QueryError as exc:
                    raise Fault(400, exc.code, exc.message, exc.detail) from None
                answers.append({"bId": bid, "QueryResponse": run(q, company.all(q.entity))})
                continue
            entities = [k for k in item if k in ENTITIES.values()]
            if len(entities) != 1:
                raise faults.invalid("BatchItemRequest", "each item needs exactly one entity or a Query")
            entity = entities[0]
            doc = write(company, entity, str(item.get("operation", "create")), None, item[entity])
            answers.append({"bId": bid, entity: doc})
        except Fault as exc:
            answers.append(
                {"bId": bid, "Fault": {"Error": exc.body(company.now())["Fault"]["Error"], "type": exc.type}}
            )
    return {"BatchItemResponse": answers}


async def _upload(company: Company, request: Request) -> dict[str, Any]:
    """`multipart/form-data` with `file_metadata_<n>` (JSON) and `file_content_<n>` parts, as Intuit's /upload."""
    try:
        form = await request.form(max_files=10, max_fields=20)
    except Exception:  # starlette raises several types for a broken multipart body
        raise Fault(400, "2500", "Invalid multipart request", "the body is not multipart/form-data") from None
    answers = []
    for key in form:
        if not key.startswith("file_content_"):
            continue
        n = key.removeprefix("file_content_")
        upload = form[key]
        raw_meta = form.get(f"file_metadata_{n}")
        if isinstance(raw_meta, str):
            meta_text = raw_meta
        elif raw_meta is not None:
            meta_text = (await raw_meta.read()).decode("utf-8", "replace")
        else:
            raise faults.required(f"file_metadata_{n}")
        try:
            meta = orjson.loads(meta_text)
        except orjson.JSONDecodeError:
            raise faults.invalid(f"file_metadata_{n}", "the metadata part is not JSON") from None
        if isinstance(upload, str):
            raise faults.invalid(key, "the content part must be a file")
        content = await upload.read()
        if (upload.headers.get("content-transfer-encoding") or "").lower() == "base64":
            content = base64.b64decode(content)
        kind = (upload.content_type or "application/octet-stream").split(";")[0]
        answers.append({"Attachable": create_attachable(company, meta, content, kind)})
    if not answers:
        raise faults.required("file_content_0")
    return {"AttachableResponse": answers}


def _cdc(sb: QuickBooksSandbox, company: Company, request: Request) -> dict[str, Any]:
    names = [n.strip() for n in (request.query_params.get("entities") or "").split(",") if n.strip()]
    since_raw = request.query_params.get("changedSince")
    if not names:
        raise faults.required("entities")
    if not since_raw:
        raise faults.required("changedSince")
    try:
        since = datetime.fromisoformat(since_raw.replace("Z", "+00:00"))
    except ValueError:
        raise faults.invalid("changedSince", f"changedSince must be an ISO date-time, got {since_raw!r}") from None
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if since < sb.now() - timedelta(days=30):
        raise faults.invalid("changedSince", "changedSince can be at most 30 days back")
    log = sb.store.meta(f"changes:{company.realm}", [])
    responses = []
    for raw_name in names:
        entity = ENTITIES.get(raw_name.lower())
        if entity is None:
            raise faults.invalid("entities", f"{raw_name} is not supported by change data capture")
        changed: dict[str, str] = {}
        for ev in log:
            if ev["name"] == entity and datetime.fromisoformat(ev["lastUpdated"]) >= since:
                changed[ev["id"]] = ev["operation"]
        rows = []
        for id_, op in list(changed.items())[-1000:]:
            doc = company.get(entity, id_)
            rows.append(
                doc if doc is not None and op != "Delete" else {"Id": id_, "status": "Deleted", "domain": "QBO"}
            )
        responses.append({entity: rows, "startPosition": 1, "maxResults": len(rows)} if rows else {})
    return {"CDCResponse": [{"QueryResponse": responses}]}


def _pdf(doc: dict[str, Any]) -> bytes:
    text = f"Invoice {doc.get('DocNumber', doc['Id'])} total {doc.get('TotalAmt')}".replace("(", "").replace(")", "")
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


async def _checked(call: Any) -> Any:
    """A body of the wrong shape (a string where a list belongs, text for a number) is the client's error: 400."""
    try:
        return await call
    except (AttributeError, TypeError, KeyError, ValueError, ArithmeticError) as exc:
        raise Fault(
            400,
            "2500",
            "Request has invalid or unsupported property",
            f"a field of the request has the wrong type or shape ({type(exc).__name__})",
        ) from None


def _schedule_delivery(sb: QuickBooksSandbox, delay: float) -> None:
    """One delivery task at a time: wait `delay`, deliver, and come back when the next retry is due."""
    if sb.delivery_task is not None and not sb.delivery_task.done():
        return

    async def deliver() -> None:
        wait = delay
        while True:
            await asyncio.sleep(wait)
            now = sb.now().timestamp()
            await sb.webhooks.flush(now, sb.config.verifier_token)
            if not sb.webhooks.queue and not sb.webhooks.pending:
                return
            wait = max(delay, min(d.due for d in sb.webhooks.queue) - now) if sb.webhooks.queue else delay

    sb.delivery_task = asyncio.get_running_loop().create_task(deliver())


def _render(sb: QuickBooksSandbox, status: int, body: Any, kind: str) -> Response:
    if kind != "json":
        return Response(body, status, media_type="application/pdf" if kind == "pdf" else kind, headers=_tid())
    if isinstance(body, dict) and "time" not in body:
        body = {**body, "time": faults.stamp(sb.now())}
    return json_response(body, status, _tid())


def create_app(config: QuickBooksSandboxConfig | None = None) -> FastAPI:
    """Build the sandbox. `app.state.qbo` is the `QuickBooksSandbox` (tests reach the state through it)."""
    config = config or QuickBooksSandboxConfig()
    sb = QuickBooksSandbox(config)
    app = FastAPI(title="lexflow QuickBooks Online sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.qbo = sb

    def fault(exc: Fault) -> Response:
        return json_response(exc.body(sb.now()), exc.status, _tid())

    async def api(request: Request) -> Response:
        realm = request.path_params["realm"]
        auth = request.headers.get("authorization", "")
        token = sb.token(auth[7:], "access") if auth.lower().startswith("bearer ") else None
        if token is None:
            return fault(faults.unauthenticated())
        if token["realm"] != realm or realm not in config.realms:
            return fault(faults.unauthorized_realm())
        if not sb.admit(realm):
            return faults.throttle_response(sb.now())
        try:
            rule = sb.pick_fault(request.method, request.url.path)
            if rule and rule.mode == "throttle":
                return faults.throttle_response(sb.now())
            if rule and rule.mode == "error":
                return fault(
                    Fault(
                        rule.status,
                        "10000",
                        "An application error has occurred",
                        "injected by the sandbox control API",
                        "",
                        "SystemFault",
                    )
                )
            if rule and rule.mode == "timeout":
                await asyncio.sleep(config.hang_seconds)
                return fault(Fault(504, "10000", "Gateway Timeout", "", "", "SystemFault"))
            request_id = request.query_params.get("requestid") if request.method == "POST" else None
            if request_id is not None and len(request_id) > 50:
                return fault(faults.invalid("requestid", "requestid is longer than 50 characters"))
            key = f"requestid:{realm}:{request_id}"
            async with sb.write_lock:  # one call at a time: requestid replay and SyncToken checks stay exact
                first = sb.store.meta(key) if request_id else None
                if first is not None:
                    return json_response(first["body"], first["status"], _tid())
                try:
                    status, body, kind = await _checked(_dispatch(sb, request, realm, request.path_params["rest"]))
                    response = _render(sb, status, body, kind)
                    if request_id and kind == "json":
                        sb.store.set_meta(key, {"status": status, "body": orjson.loads(bytes(response.body))})
                except Fault as exc:
                    response = fault(exc)
                    if request_id and exc.status == 400:
                        sb.store.set_meta(key, {"status": exc.status, "body": exc.body(sb.now())})
            if rule and rule.mode == "timeout_after_commit":
                await asyncio.sleep(config.hang_seconds)
                return fault(Fault(504, "10000", "Gateway Timeout", "", "", "SystemFault"))
            if config.webhook_delay_seconds is not None and sb.webhooks.pending:
                _schedule_delivery(sb, config.webhook_delay_seconds)
            return response
        finally:
            sb.release(realm)

    # ------------------------------------------------------------------------------------------- OAuth
    def client_ok(request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("basic "):
            return False
        try:
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(cid, config.client_id) and hmac.compare_digest(secret, config.client_secret)

    async def authorize(request: Request) -> Response:
        p = request.query_params
        redirect = p.get("redirect_uri", "")
        if p.get("client_id") != config.client_id or redirect not in config.redirect_uris:
            return json_response(
                {"error": "invalid_client", "error_description": "unknown client or redirect_uri"}, 400
            )
        if p.get("response_type") != "code" or SCOPE not in (p.get("scope") or "").split():
            q = urlencode({"error": "invalid_scope", "state": p.get("state", "")})
            return RedirectResponse(f"{redirect}?{q}", 302)
        realm = p.get("realm") or config.realms[0]  # the company the user picks on Intuit's consent screen
        code = "qbo-code-" + secrets.token_urlsafe(16)
        codes = sb.store.meta("codes", {})
        codes[code] = {"realm": realm, "redirect_uri": redirect, "exp": sb.now().timestamp() + 600}
        sb.store.set_meta("codes", codes)
        q = urlencode({"code": code, "state": p.get("state", ""), "realmId": realm})
        return RedirectResponse(f"{redirect}?{q}", 302)

    async def bearer(request: Request) -> Response:
        if not client_ok(request):
            return json_response({"error": "invalid_client"}, 401)
        form = await request.form()
        grant = form.get("grant_type")
        if grant == "authorization_code":
            codes = sb.store.meta("codes", {})
            info = codes.pop(str(form.get("code")), None)
            sb.store.set_meta("codes", codes)
            if not info or info["exp"] < sb.now().timestamp() or info["redirect_uri"] != form.get("redirect_uri"):
                return json_response({"error": "invalid_grant"}, 400)
            return json_response(sb.issue_tokens(info["realm"]))
        if grant == "refresh_token":
            tokens = sb.refresh(str(form.get("refresh_token")))
            return json_response(tokens) if tokens else json_response({"error": "invalid_grant"}, 400)
        return json_response({"error": "unsupported_grant_type"}, 400)

    async def revoke(request: Request) -> Response:
        if not client_ok(request):
            return json_response({"error": "invalid_client"}, 401)
        body = await request.body()
        try:
            token = orjson.loads(body).get("token")
        except (orjson.JSONDecodeError, AttributeError):
            token = None
        if not token:
            return json_response({"error": "invalid_request"}, 400)
        sb.revoke(str(token))
        return Response(status_code=200)

    # ------------------------------------------------------------------------------------------- control API
    async def control(request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {config.control_key}":
            return json_response({"error": "control key required"}, 401)
        action = request.path_params["action"]
        body = await request.json() if (await request.body()) else {}
        if action == "reset":
            sb.reset()
            return json_response({"ok": True})
        if action == "connect":  # tokens for a realm without the browser step
            realm = body.get("realm", config.realms[0])
            return json_response(sb.issue_tokens(realm))
        if action == "clock":
            offset = float(sb.store.meta("clock_offset", 0)) + float(body.get("advance_seconds", 0))
            sb.store.set_meta("clock_offset", offset)
            return json_response({"now": sb.now().isoformat()})
        if action == "faults":
            rule = FaultRule(
                method=str(body.get("method", "POST")).upper(),
                path=str(body.get("path", "")),
                mode=str(body.get("mode", "error")),
                status=int(body.get("status", 500)),
                times=int(body.get("times", 1)),
            )
            if rule.mode not in ("error", "throttle", "timeout", "timeout_after_commit"):
                return json_response({"error": f"unknown mode {rule.mode}"}, 400)
            sb.faults.append(rule)
            return json_response({"ok": True})
        if action == "seed":
            realm = body.get("realm", config.realms[0])
            company = sb.company(realm)
            made = {
                "Customer": [company.create_party("Customer", c)["Id"] for c in body.get("customers", [])],
                "Vendor": [company.create_party("Vendor", v)["Id"] for v in body.get("vendors", [])],
                "Employee": [],
            }
            for e in body.get("employees", []):  # employees only block names (6240); no endpoint serves them
                doc = {"DisplayName": e["DisplayName"], "Active": e.get("Active", True)}
                new = company._new("Employee", doc)
                new["id"] = new["Id"]
                sb.store.put(realm, "Employee", new)
                made["Employee"].append(new["Id"])
            return json_response(made)
        if action == "webhooks":  # configure: {"url": ..., "format": "legacy" | "cloudevents"}
            if body.get("format", "legacy") not in ("legacy", "cloudevents"):
                return json_response({"error": "format must be legacy or cloudevents"}, 400)
            sb.webhooks.url = body.get("url")
            sb.webhooks.format = body.get("format", "legacy")
            return json_response({"ok": True})
        if action == "webhooks-flush":  # deliver what is pending and every retry that is due on the sandbox clock
            delivered = await sb.webhooks.flush(sb.now().timestamp(), config.verifier_token)
            return json_response({"delivered": delivered, "queued": len(sb.webhooks.queue), "log": sb.webhooks.log})
        if action == "outbox":
            return json_response({"sent": sb.outbox})
        if action == "count":
            realm = body.get("realm", config.realms[0])
            return json_response({"count": sb.store.count(realm, str(body.get("entity", "Invoice")))})
        return json_response({"error": f"unknown control action {action}"}, 404)

    async def handle_fault_errors(request: Request) -> Response:
        try:
            return await api(request)
        except Fault as exc:
            return fault(exc)

    app.router.routes.extend(
        [
            Route("/v3/company/{realm}/{rest:path}", handle_fault_errors, methods=["GET", "POST"]),
            Route("/connect/oauth2", authorize, methods=["GET"]),
            Route("/oauth2/v1/tokens/bearer", bearer, methods=["POST"]),
            Route("/v2/oauth2/tokens/revoke", revoke, methods=["POST"]),
            Route("/_sandbox/{action}", control, methods=["POST", "GET"]),
        ]
    )
    return app
