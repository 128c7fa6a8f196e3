"""Mail task: e-mail a document once per (document, recipient); the Message-ID goes into the audit trail.

SMTP has no lookup: once a mail is handed over, nothing can ask the server whether it went out. So the send is an
entry in the operations ledger (`lexflow.operations`): the Message-ID is generated and stored with the intent
before the SMTP dialog starts, and the outcome after. A rerun that finds the intent without an outcome (the process
died in between) does not mail blind: if the message had been handed to the server (recorded right before the
hand-over) it raises `OutcomeUnknown` saying "possibly sent at … (Message-ID …)", and only `resend=True` sends again
(with the same Message-ID, so the recipient's mail program can drop a duplicate); if it had not, it simply sends.
"""

from __future__ import annotations

from prefect import task

from lexflow.mail import MailError, SmtpSettings, new_message_id, send_document
from lexflow.operations import Operations, OutcomeUnknown, crash_point, request_digest
from tasks.common import KEEP, business_key, key_from, run_logger

MAIL = "mail"


@task(
    name="send-document-mail",
    persist_result=True,
    cache_key_fn=key_from("mail", "document_id", "to"),
    cache_expiration=KEEP,
)
def send_document_mail(
    smtp_url: str,
    document_id: str,
    to: str,
    subject: str,
    body: str,
    content: bytes,
    filename: str,
    sender: str | None = None,
    database_url: str | None = None,
    resend: bool = False,
) -> str:
    """Send and return the Message-ID. Once per document and recipient: a rerun does not mail twice, and after an
    unknown outcome it asks for `resend=True` instead of guessing."""
    ops = Operations(database_url)
    key = business_key(MAIL, document_id, to)
    digest = request_digest({"document_id": document_id, "to": to, "subject": subject, "filename": filename})
    what = f"the mail of {filename} to {to}"
    earlier = ops.check(MAIL, key, digest, what=what, hint="Send it under another subject by hand if it must differ.")
    if earlier is not None and earlier.done:
        return str(earlier.result["message_id"])
    if earlier is not None and earlier.sent_at is not None and not resend:  # handed over, outcome never recorded
        mid = earlier.request.get("message_id")
        raise OutcomeUnknown(
            earlier,
            f"{what} was possibly sent at {earlier.sent_at:%Y-%m-%d %H:%M:%S} UTC (Message-ID {mid}): the run "
            "that sent it stopped before recording the outcome. Look for that Message-ID in the sent mail or the "
            "SMTP server's log; to send it again, rerun with resend_mail=true.",
        )
    from_addr = SmtpSettings.from_url(smtp_url, sender=sender).sender
    mid = str((earlier.request if earlier else {}).get("message_id") or new_message_id(from_addr))
    ops.begin(MAIL, key, digest, target=f"smtp:{to}", request={"message_id": mid}, what=what)
    crash_point("mail:intent")
    try:
        send_document(
            smtp_url, to=to, subject=subject, body=body, attachment=content, filename=filename, sender=sender,
            message_id=mid, on_handover=lambda: _handing_over(ops, key),
        )  # fmt: skip
    except MailError as exc:
        if not exc.maybe_sent:
            ops.fail(MAIL, key, str(exc))  # certainly not sent: the next run sends without asking
        raise
    crash_point("mail:answer")
    ops.finish(MAIL, key, {"message_id": mid})
    crash_point("mail:recorded")
    run_logger().info("mailed %s to %s (Message-ID %s)", filename, to, mid)
    return mid


def _handing_over(ops: Operations, key: str) -> None:
    ops.sending(MAIL, key)  # a rerun from here on must not mail blind
    crash_point("mail:handover")
