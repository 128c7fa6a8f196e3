"""The Slack receiver: a slack-bolt `App` (HTTP via its Starlette adapter, or Socket Mode) that turns button clicks
and reason modals into decisions.

Bolt verifies the signature on the raw body (5-minute window) and answers 401 otherwise; listeners `ack()` first
(`process_before_response=False`: the HTTP 200 leaves at once, the work continues in Bolt's thread pool) and then
call the `Decider`. A background sweep sends half-time reminders and expires overdue requests.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lexflow.approvals import messages
from lexflow.approvals.service import Decider
from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.store import ApprovalStore
from lexflow.receiving import BodyTooLarge, bounded_body

log = logging.getLogger("lexflow.approvals.receiver")

DEFAULT_PATH = "/slack/events"


MAX_BODY = 256 * 1024
"""Bytes a Slack interaction may have (a few KB in practice, a modal with its state included)."""
MAX_TIMESTAMP_DIGITS = 12


class _User(BaseModel):
    id: str = Field(min_length=1)


class _Action(BaseModel):
    action_id: str = Field(min_length=1)
    value: str = ""


class _BlockActions(BaseModel):
    type: Literal["block_actions"]
    user: _User
    actions: list[_Action] = Field(min_length=1)
    trigger_id: str = ""


class _View(BaseModel):
    private_metadata: str = ""
    state: dict[str, Any] = Field(default_factory=dict)


class _ViewSubmission(BaseModel):
    type: Literal["view_submission"]
    user: _User
    view: _View


_Payload: TypeAdapter[Any] = TypeAdapter(Annotated[_BlockActions | _ViewSubmission, Field(discriminator="type")])


def signature_problem(verifier: SignatureVerifier, body: bytes, headers: Any) -> str | None:
    """Why a request is not Slack's (401), or None. Checks the timestamp's shape before Slack's verifier does
    arithmetic on it: a non-numeric, empty or 400-digit timestamp used to end in a 500 with a traceback."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not signature:
        return "missing X-Slack-Signature"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        return "X-Slack-Request-Timestamp must be the request's Unix time in seconds"
    try:
        valid = verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except UnicodeDecodeError:
        valid = False
    return None if valid else "invalid or stale X-Slack-Signature"


def payload_problem(body: bytes) -> str | None:
    """Why a signed body is not an interaction this receiver handles (400), or None."""
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return "body must be form-encoded UTF-8 with a payload field"
    raw = form.get("payload") or []
    if len(raw) != 1:
        return "body must carry exactly one payload field"
    try:
        _Payload.validate_json(raw[0])
    except ValidationError as exc:
        where = ", ".join(".".join(str(p) for p in e["loc"]) or "payload" for e in exc.errors()[:5])
        return f"payload is not a button click or reason form lexflow sent (fields: {where})"
    return None


def create_bolt_app(decider: Decider, *, signing_secret: str | None = None) -> App:
    """Bolt app with the decision listeners. `signing_secret=None` only for Socket Mode (no HTTP, no signatures)."""
    if decider.slack is None:
        raise RuntimeError("the receiver needs Slack: set LEXFLOW_SLACK_BOT_TOKEN and LEXFLOW_SLACK_CHANNEL")
    app = App(
        signing_secret=signing_secret,
        client=decider.slack,
        token_verification_enabled=False,  # no auth.test at start-up; the token is checked on first use
        process_before_response=False,
        request_verification_enabled=signing_secret is not None,
    )

    @app.action(re.compile("^" + re.escape(messages.ACTION_PREFIX)))
    def on_button(ack: Any, body: dict[str, Any]) -> None:
        ack()
        action = body["actions"][0]
        request_id = str(action.get("value", ""))
        choice_id = str(action["action_id"]).removeprefix(messages.ACTION_PREFIX)
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        p = decider.store.get(request_id)
        try:
            choice = p.request.choice(choice_id) if p else None
        except KeyError:
            choice = None
        if p is not None and choice is not None and choice.asks_reason:
            refusal = decider.check(request_id, user)
            if refusal is not None:
                decider.ephemeral(channel or p.channel, user, refusal.text)
                return
            decider.slack.views_open(trigger_id=body["trigger_id"], view=messages.reason_modal(p.id, choice, p.subject))
            return
        outcome = decider.decide(request_id, user, choice_id, user_name=body["user"].get("username"))
        if outcome.status != "decided":
            decider.ephemeral(channel or (p.channel if p else None), user, outcome.text)

    @app.view(messages.REASON_CALLBACK)
    def on_reason(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        reason = (values.get(messages.REASON_BLOCK, {}).get(messages.REASON_INPUT, {}).get("value") or "").strip()
        if not reason:
            ack(response_action="errors", errors={messages.REASON_BLOCK: "Please say why."})
            return
        ack()
        request_id, _, choice_id = str(view.get("private_metadata", "")).partition("|")
        user = body["user"]["id"]
        outcome = decider.decide(request_id, user, choice_id, reason, user_name=body["user"].get("username"))
        if outcome.status != "decided":
            p = outcome.approval or decider.store.get(request_id)
            decider.ephemeral(p.channel if p else None, user, outcome.text)

    app._lexflow_decider = decider  # type: ignore[attr-defined]
    return app


class _Sweeper:
    """Reminders and expiry every `interval` seconds, in a daemon thread (stops with the app)."""

    def __init__(self, decider: Decider, interval: float) -> None:
        self.decider, self.interval = decider, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="approvals-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.decider.sweep()
            except Exception:
                log.exception("approval sweep failed")


def create_receiver_app(
    settings: SlackApprovalSettings | None = None,
    *,
    store: ApprovalStore | None = None,
    slack: Any = None,
    path: str = DEFAULT_PATH,
    sweep_interval: float | None = 5.0,
) -> Starlette:
    """ASGI app: `POST {path}` for Slack interactivity, `GET /healthz`. Serve it with uvicorn on 127.0.0.1."""
    settings = settings or SlackApprovalSettings()
    if settings.signing_secret is None:
        raise RuntimeError("the HTTP receiver needs LEXFLOW_SLACK_SIGNING_SECRET (or use --socket-mode)")
    decider = Decider(settings, store=store, slack=slack)
    bolt = create_bolt_app(decider, signing_secret=settings.signing_secret.get_secret_value())

    verifier = SignatureVerifier(settings.signing_secret.get_secret_value())

    async def events(request: Request) -> Response:
        try:
            body = await bounded_body(request, MAX_BODY)  # the raw bytes: the signature covers exactly these
        except BodyTooLarge as exc:
            return exc.response()
        if problem := signature_problem(verifier, body, request.headers):
            return JSONResponse({"detail": problem}, status_code=401)
        if problem := payload_problem(body):
            return JSONResponse({"detail": problem}, status_code=400)
        bolt_response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"ok": True, "pending": len(decider.store.pending())})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        sweeper = _Sweeper(decider, sweep_interval) if sweep_interval else None
        if sweeper:
            sweeper.start()
        try:
            yield
        finally:
            if sweeper:
                sweeper.stop()

    app = Starlette(
        routes=[Route(path, events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])],
        lifespan=lifespan,
    )
    app.state.decider = decider
    app.state.bolt = bolt
    return app


def sweeper_for(bolt: App, interval: float) -> _Sweeper | None:
    """The sweep thread for a Bolt app built here (Socket Mode has no ASGI lifespan to hang it on)."""
    decider = getattr(bolt, "_lexflow_decider", None)
    return _Sweeper(decider, interval) if decider is not None and interval else None


def socket_mode_handler(settings: SlackApprovalSettings | None = None, *, slack: Any = None) -> Any:
    """Socket Mode (app-level token, no public URL, no signing secret): `handler.start()` blocks."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings = settings or SlackApprovalSettings()
    if settings.app_token is None:
        raise RuntimeError("--socket-mode needs LEXFLOW_SLACK_APP_TOKEN (xapp-…, scope connections:write)")
    decider = Decider(settings, slack=slack)
    bolt = create_bolt_app(decider, signing_secret=None)
    return SocketModeHandler(bolt, app_token=settings.app_token.get_secret_value())
