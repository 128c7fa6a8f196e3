"""A fake Slack Web API for tests and `make demo`: the real slack-sdk `WebClient(base_url=fake.api_url)` talks to it.

Implements what lexflow uses: `auth.test`, `chat.postMessage`, `chat.update`, `chat.postEphemeral`, `views.open`,
`usergroups.users.list`, plus a `response_url` sink. It checks the bot token like Slack (`invalid_auth`), keeps
messages so `chat.update` must name a real (channel, ts), and records every call (`GET /_fake/calls` for other
processes). Run it: `python -m lexflow.testing.fake_slack --port 3999`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lexflow.approvals.serving import ThreadedServer


@dataclass
class FakeCall:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.time)
    response: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PostedRequest:
    """A decision request as posted: where it is and the id the buttons carry."""

    channel: str
    ts: str
    request_id: str
    choices: tuple[str, ...]
    text: str


class FakeSlack:
    """State and recording. `with FakeSlack() as slack: WebClient(token=slack.token, base_url=slack.api_url)`."""

    def __init__(self, token: str = "xoxb-fake-token", *, groups: dict[str, list[str]] | None = None) -> None:
        self.token = token
        self.groups: dict[str, list[str]] = dict(groups or {})
        self.calls: list[FakeCall] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []
        self._ts = itertools.count(1)
        self._cond = threading.Condition()
        self._server: ThreadedServer | None = None
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response/{hook}", self._response_sink, methods=["POST"]),
                Route("/_fake/calls", self._dump, methods=["GET"]),
                Route("/_fake/reset", self._reset, methods=["POST"]),
            ]
        )

    # ------------------------------------------------------------------------------------------------ serving
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not served: use `with FakeSlack() as fake:` or fake.start()")
        return self._server.url

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, hook: str = "hook") -> str:
        return f"{self.url}/response/{hook}"

    def start(self, port: int = 0) -> FakeSlack:
        self._server = ThreadedServer(self.app, port=port).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------------------------------------- inspection
    def calls_to(self, method: str) -> list[FakeCall]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 15.0) -> list[FakeCall]:
        """Block until `count` calls to `method` arrived (the receiver works after its ack)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"fake Slack: {len(found)} of {count} {method} calls after {timeout} s")
                self._cond.wait(left)

    def posted_requests(self) -> list[PostedRequest]:
        """Every chat.postMessage that carried lexflow decision buttons, oldest first."""
        out = []
        for call in self.calls_to("chat.postMessage"):
            for block in call.args.get("blocks") or []:
                if block.get("type") == "actions" and call.response.get("ok"):
                    buttons = block.get("elements", [])
                    out.append(
                        PostedRequest(
                            channel=call.response["channel"],
                            ts=call.response["ts"],
                            request_id=buttons[0]["value"],
                            choices=tuple(b["action_id"].split(":", 1)[1] for b in buttons),
                            text=str(call.args.get("text", "")),
                        )
                    )
        return out

    def wait_for_request(self, count: int = 1, timeout: float = 15.0) -> PostedRequest:
        """The `count`-th decision request posted (waits for it)."""
        deadline = time.monotonic() + timeout
        while True:
            posted = self.posted_requests()
            if len(posted) >= count:
                return posted[count - 1]
            if time.monotonic() > deadline:
                raise TimeoutError(f"fake Slack: {len(posted)} of {count} decision requests after {timeout} s")
            time.sleep(0.02)

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        return self.messages[(channel, ts)]

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()
            self.messages.clear()
            self.responses.clear()

    # ------------------------------------------------------------------------------------------------ handlers
    def _record(self, method: str, args: dict[str, Any], response: dict[str, Any] | None = None) -> None:
        with self._cond:
            self.calls.append(FakeCall(method, args, response=response or {}))
            self._cond.notify_all()

    async def _args(self, request: Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query_params)
        raw = await request.body()
        if raw:
            if request.headers.get("content-type", "").startswith("application/json"):
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw.decode())))
        for key in ("blocks", "view"):  # form-encoded clients send JSON strings
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        args = await self._args(request)
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {self.token}" and args.get("token") != self.token:
            return JSONResponse({"ok": False, "error": "not_authed" if not auth else "invalid_auth"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        result = handler(args) if handler else {"ok": False, "error": "unknown_method"}
        self._record(method, args, result)
        return JSONResponse(result)

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "lexflow",
            "team_id": "T0FAKE",
            "user_id": "U0BOT",
            "bot_id": "B0BOT",
        }

    @staticmethod
    def _channel_id(channel: str) -> str:
        return channel if channel[:1] in ("C", "G", "D") else "C" + str(zlib.crc32(channel.encode()) % 10**8).zfill(8)

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        channel = self._channel_id(str(args["channel"]))
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        msg = {
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
            "thread_ts": args.get("thread_ts"),
        }
        with self._cond:
            self.messages[(channel, ts)] = msg
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel")), str(args.get("ts")))
        with self._cond:
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[key].update(text=args.get("text", ""), blocks=args.get("blocks", []))
            msg = dict(self.messages[key])
        return {"ok": True, "channel": key[0], "ts": key[1], "text": msg["text"], "message": msg}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user") or not args.get("channel"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = dict(args.get("view") or {})
        return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", **view}}

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.groups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self.groups[group]}

    async def _response_sink(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        with self._cond:
            self.responses.append({"hook": request.path_params["hook"], **body})
        self._record("response_url", body)
        return Response("ok")

    async def _dump(self, _: Request) -> Response:
        with self._cond:
            return JSONResponse([{"method": c.method, "args": c.args, "at": c.at} for c in self.calls])

    async def _reset(self, _: Request) -> Response:
        self.reset()
        return JSONResponse({"ok": True})


def main() -> None:  # pragma: no cover - manual use
    import argparse

    parser = argparse.ArgumentParser(description="Serve a fake Slack Web API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=3999)
    parser.add_argument("--token", default="xoxb-fake-token")
    ns = parser.parse_args()
    fake = FakeSlack(token=ns.token).start(port=ns.port)
    print(f"fake Slack on {fake.api_url}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
