"""Send one document by e-mail over SMTP, configured by a URL (`smtp://`, `smtps://`, `?starttls=true`)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from lexflow.errors import LexflowError


class MailError(LexflowError, RuntimeError):
    """The message could not be handed to the SMTP server; the text says which setting to check.

    `maybe_sent`: the failure came after the message was handed over (during or after DATA), so the server may
    have accepted it; False when it certainly was not sent (no connection, login refused, recipients refused)."""

    def __init__(self, message: str, *, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


def new_message_id(sender: str) -> str:
    """A fresh Message-ID for `sender`'s domain; generate and store it before sending to recognise the mail later."""
    return make_msgid(domain=sender.rpartition("@")[2] or "lexflow.local")


class SmtpSettings(BaseModel):
    """Where and how to send. Built from a URL so one environment variable (`LEXFLOW_SMTP_URL`) is enough."""

    model_config = ConfigDict(frozen=True)

    host: str
    port: int = Field(default=25, gt=0, lt=65536)
    implicit_tls: bool = Field(default=False, description="smtps:// (port 465 style TLS from the first byte).")
    starttls: bool = Field(default=False, description="Upgrade with STARTTLS before login (smtp://...?starttls=true).")
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "lexflow@localhost"
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, sender: str | None = None) -> SmtpSettings:
        """`smtp://user:pass@host:587?starttls=true&from=billing@firma.de`; the password is kept as a SecretStr."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise MailError(f"SMTP URL must start with smtp:// or smtps://, got scheme {parts.scheme!r}")
        if not parts.hostname:
            raise MailError("SMTP URL has no host: use smtp://host:port")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            starttls=query.get("starttls", "false").lower() in ("1", "true", "yes"),
            username=unquote(parts.username) if parts.username else None,
            password=SecretStr(unquote(parts.password)) if parts.password else None,
            sender=sender or query.get("from") or "lexflow@localhost",
        )

    def redacted_url(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    attachment: bytes | None = None,
    filename: str = "document.pdf",
    media_type: str = "application/pdf",
    message_id: str | None = None,
) -> EmailMessage:
    """A plain-text mail with one attachment and the given (else a fresh) Message-ID (the audit trail records it)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id or new_message_id(sender)
    msg.set_content(body)
    if attachment is not None:
        maintype, _, subtype = media_type.partition("/")
        msg.add_attachment(attachment, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return msg


def send_document(
    smtp: str | SmtpSettings,
    *,
    to: str,
    subject: str,
    body: str,
    attachment: bytes | None = None,
    filename: str = "document.pdf",
    media_type: str = "application/pdf",
    sender: str | None = None,
    message_id: str | None = None,
    on_handover: Callable[[], None] | None = None,
) -> str:
    """Send and return the Message-ID (`message_id`, else a fresh one). Errors name the server (never the
    password) and what to check, and say whether the mail may have gone out anyway (`MailError.maybe_sent`).

    `on_handover` is called once the server accepted sender and connection, right before the message is handed
    over: from then on a failure may hide a sent mail (lexflow records that moment in its operations ledger)."""
    settings = smtp if isinstance(smtp, SmtpSettings) else SmtpSettings.from_url(smtp, sender=sender)
    msg = build_message(
        sender=sender or settings.sender,
        to=to,
        subject=subject,
        body=body,
        attachment=attachment,
        filename=filename,
        media_type=media_type,
        message_id=message_id,
    )
    where = settings.redacted_url()
    handed_over = False
    try:
        conn: smtplib.SMTP
        if settings.implicit_tls:
            conn = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with conn:
            if settings.starttls:
                conn.starttls(context=ssl.create_default_context())
            if settings.username and settings.password:
                conn.login(settings.username, settings.password.get_secret_value())
            if on_handover is not None:
                on_handover()
            handed_over = True
            refused = conn.send_message(msg)
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"SMTP login refused by {where}: check the user and password in the SMTP URL") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"{where} refused recipients {sorted(exc.recipients)}") from None
    except (OSError, smtplib.SMTPException) as exc:
        # After the hand-over only a lost "250 OK" is possible: the server may have queued the mail.
        maybe = handed_over and not isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError)
        raise MailError(f"could not send mail via {where}: {type(exc).__name__}: {exc}", maybe_sent=maybe) from None
    if refused:
        raise MailError(f"{where} refused recipients {sorted(refused)}")
    return str(msg["Message-ID"])
