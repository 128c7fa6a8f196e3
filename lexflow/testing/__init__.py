"""Faithful fakes of what lexflow talks to, and drivers for the embedded sandbox, in one place.

The tests use them, and so do `lexflow dev` and `make demo` (a person tries lexflow without Slack or a mail server):

- `FakeSlack` (`fake_slack`): the Slack Web API lexflow calls, over real HTTP; `click`/`reject` (`slack_clicks`)
  press its buttons like a person, signed as Slack signs them.
- `MailCatcher` (`mail_catcher`): a real SMTP server that keeps every mail.
- `serve_in_thread` / `ServedSandbox` (`served`): the Lexware sandbox under uvicorn on a free loopback port;
  `SandboxControl` (`sandbox_control`): the client of its `/_sandbox/` control API.

Names load on first use, so importing one fake does not start the others' dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lexflow.sandbox.gateway import free_port
    from lexflow.testing.fake_slack import FakeCall, FakeSlack, PostedRequest
    from lexflow.testing.mail_catcher import CaughtMessage, MailCatcher
    from lexflow.testing.sandbox_control import SandboxControl, SandboxControlError
    from lexflow.testing.served import ServedSandbox, serve_in_thread
    from lexflow.testing.slack_clicks import click, reject

_HOMES = {
    "FakeCall": "lexflow.testing.fake_slack",
    "FakeSlack": "lexflow.testing.fake_slack",
    "PostedRequest": "lexflow.testing.fake_slack",
    "click": "lexflow.testing.slack_clicks",
    "reject": "lexflow.testing.slack_clicks",
    "CaughtMessage": "lexflow.testing.mail_catcher",
    "MailCatcher": "lexflow.testing.mail_catcher",
    "SandboxControl": "lexflow.testing.sandbox_control",
    "SandboxControlError": "lexflow.testing.sandbox_control",
    "ServedSandbox": "lexflow.testing.served",
    "serve_in_thread": "lexflow.testing.served",
    "free_port": "lexflow.sandbox.gateway",
}

__all__ = [
    "CaughtMessage",
    "FakeCall",
    "FakeSlack",
    "MailCatcher",
    "PostedRequest",
    "SandboxControl",
    "SandboxControlError",
    "ServedSandbox",
    "click",
    "free_port",
    "reject",
    "serve_in_thread",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'lexflow.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
