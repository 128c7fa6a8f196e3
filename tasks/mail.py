"""Mail task: e-mail a document once per (document, recipient); the Message-ID goes into the audit trail."""

from __future__ import annotations

from prefect import task

from lexflow.mail import send_document
from tasks.common import KEEP, key_from, run_logger


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
) -> str:
    """Send and return the Message-ID. Cached per document and recipient: a rerun does not mail twice."""
    mid = send_document(
        smtp_url, to=to, subject=subject, body=body, attachment=content, filename=filename, sender=sender
    )
    run_logger().info("mailed %s to %s (Message-ID %s)", filename, to, mid)
    return mid
