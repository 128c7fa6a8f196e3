"""A local SMTP server that keeps what it receives: for tests and `make demo` (never a real mail relay)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class CaughtMessage:
    """One received mail, parsed."""

    mail_from: str
    rcpt_to: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def attachments(self) -> list[tuple[str, str, bytes]]:
        """(filename, media type, bytes) of every attachment."""
        out = []
        for part in self.message.iter_attachments():
            payload = part.get_payload(decode=True)
            out.append((part.get_filename() or "", part.get_content_type(), bytes(payload or b"")))  # type: ignore[arg-type]
        return out


@dataclass
class _Handler:
    messages: list[CaughtMessage] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.arrived:
            self.messages.append(CaughtMessage(envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailCatcher:
    """aiosmtpd on 127.0.0.1 in a background thread. `url` is what flows take as their SMTP server.

    with MailCatcher() as catcher:
        send_document(catcher.url, ...); catcher.wait_for(1)
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self._handler = _Handler()
        self.host = host
        self.port = port or _free_port()
        self._controller = Controller(self._handler, hostname=host, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[CaughtMessage]:
        with self._handler.arrived:
            return list(self._handler.messages)

    def clear(self) -> None:
        with self._handler.arrived:
            self._handler.messages.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CaughtMessage]:
        """Block until `count` messages arrived; TimeoutError names how many did."""
        with self._handler.arrived:
            if not self._handler.arrived.wait_for(lambda: len(self._handler.messages) >= count, timeout=timeout):
                raise TimeoutError(f"expected {count} mails within {timeout}s, got {len(self._handler.messages)}")
            return list(self._handler.messages)

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
