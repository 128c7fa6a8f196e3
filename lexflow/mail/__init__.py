"""E-mail for lexflow: the Lexware API cannot send documents (docs/lexware.md#no-e-mail), so flows send PDFs themselves over SMTP.

from lexflow.mail import SmtpSettings, send_document, MailCatcher
message_id = send_document("smtp://127.0.0.1:2525", to="kunde@example.org", subject=..., body=...,
                           attachment=pdf_bytes, filename="RE-1001.pdf")
"""

from lexflow.mail.catcher import CaughtMessage, MailCatcher
from lexflow.mail.sender import MailError, SmtpSettings, build_message, new_message_id, send_document

__all__ = [
    "CaughtMessage",
    "MailCatcher",
    "MailError",
    "SmtpSettings",
    "build_message",
    "new_message_id",
    "send_document",
]
