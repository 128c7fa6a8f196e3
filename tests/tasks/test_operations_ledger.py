"""The operations ledger on SQLite and PostgreSQL, and the invoice mail's intent record (issue 12, items 6 and 7)."""

from __future__ import annotations

import smtplib
import threading
import uuid
from pathlib import Path

import pytest
from prefect import flow

from lexflow.operations import ConcurrentAttempt, KeyReused, Operations, OutcomeUnknown, request_digest
from lexflow.testing import MailCatcher
from tasks.common import business_key
from tasks.mail import MAIL, send_document_mail


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ops_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ops.db"
    return str(request.getfixturevalue("postgres_url"))


def test_intent_then_outcome_and_a_changed_request_is_refused(ops_url: str) -> None:
    ops, key = Operations(ops_url), f"order-{uuid.uuid4().hex[:8]}"
    first, changed = request_digest({"hours": 2}), request_digest({"hours": 3})
    assert ops.check("invoice", key, first, what="x") is None
    op = ops.begin("invoice", key, first, target="POST /v1/invoices", request={"draft": {"hours": 2}})
    assert op.pending and op.attempts == 1 and op.sent_at is None
    with pytest.raises(KeyReused, match="this key was already used for another request: request_id 'o' was used"):
        ops.check("invoice", key, changed, what="request_id 'o'")  # even while the outcome is unknown
    again = ops.begin("invoice", key, first, target="POST /v1/invoices", request={"draft": {"hours": 99}})
    assert again.attempts == 2 and again.request == {"draft": {"hours": 2}}  # a repeat sends what was first meant
    ops.finish("invoice", key, {"invoice_id": "i-1"})
    done = ops.check("invoice", key, first, what="x")
    assert done is not None and done.done and done.result == {"invoice_id": "i-1"} and done.finished_at
    assert ops.begin("invoice", key, first, target="POST /v1/invoices").done  # nothing to send any more
    with pytest.raises(KeyReused, match=r"and written with different data; nothing was sent\. Use another"):
        ops.check("invoice", key, changed, what="x", hint="Use another.")
    with pytest.raises(KeyReused, match="this key was already used for another request"):
        ops.begin("invoice", key, changed, target="POST /v1/invoices", what="x")


def test_a_write_that_certainly_failed_frees_its_key(ops_url: str) -> None:
    ops, key = Operations(ops_url), f"mail-{uuid.uuid4().hex[:8]}"
    ops.begin("mail", key, "d1", target="smtp:a@b.de", request={"message_id": "<1@x>"})
    ops.fail("mail", key, "connection refused")
    assert ops.check("mail", key, "d2", what="x") is None  # nothing was sent: other data may go now
    op = ops.begin("mail", key, "d2", target="smtp:a@b.de", request={"message_id": "<2@x>"})
    assert op.pending and op.digest == "d2" and op.request == {"message_id": "<2@x>"}


def test_concurrent_intents_for_one_key_never_share_an_attempt(ops_url: str) -> None:
    ops, key = Operations(ops_url), f"race-{uuid.uuid4().hex[:8]}"
    start, seen, errors = threading.Barrier(6), [], []

    def go() -> None:
        start.wait()
        try:
            seen.append(ops.begin("invoice", key, "d", target="t").attempts)
        except ConcurrentAttempt as exc:  # lost the race: told so, sends nothing
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen and len(seen) == len(set(seen)) and len(seen) + len(errors) == 6
    assert ops.get("invoice", key).attempts == max(seen)  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------------ the mail (item 7)
@flow
def _mail(url: str, doc: str, db: str, resend: bool = False) -> str:
    return send_document_mail(
        url, document_id=doc, to="a@kunde.de", subject="Rechnung", body="Anbei.", content=b"%PDF", filename="r.pdf",
        database_url=db, resend=resend,
    )  # fmt: skip


pytestmark = pytest.mark.prefect


def test_mail_whose_answer_was_lost_is_reported_not_sent_again(
    prefect_flows: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server took the mail but its "250 OK" never arrived: the rerun says "possibly sent" with the stored
    Message-ID and sends only when told to (then with the same Message-ID)."""
    db, doc = f"sqlite:///{tmp_path}/mail.db", f"doc-{uuid.uuid4().hex[:8]}"
    real = smtplib.SMTP.send_message

    def delivered_then_lost(self: smtplib.SMTP, msg: object, *a: object, **k: object) -> object:
        real(self, msg, *a, **k)  # type: ignore[arg-type]
        raise smtplib.SMTPServerDisconnected("connection lost before the 250 reply")

    with MailCatcher() as catcher:
        monkeypatch.setattr(smtplib.SMTP, "send_message", delivered_then_lost)
        assert _mail(catcher.url, doc, db, return_state=True).is_failed()
        monkeypatch.setattr(smtplib.SMTP, "send_message", real)
        (sent,) = catcher.wait_for(1)
        rerun = _mail(catcher.url, doc, db, return_state=True)
        assert rerun.is_failed()
        with pytest.raises(OutcomeUnknown, match=r"possibly sent at .* UTC \(Message-ID <"):
            rerun.result()
        assert sent.message_id in str(rerun.message) or sent.message_id in _message(rerun)
        assert len(catcher.messages) == 1  # not mailed blind
        assert _mail(catcher.url, doc, db, resend=True) == sent.message_id  # the override, same Message-ID
        assert len(catcher.wait_for(2)) == 2
    op = Operations(db).get(MAIL, business_key(MAIL, doc, "a@kunde.de"))
    assert op is not None and op.done and op.attempts == 2


def _message(state: object) -> str:
    try:
        state.result()  # type: ignore[attr-defined]
    except Exception as exc:
        return str(exc)
    return ""


def test_mail_refused_before_the_hand_over_is_simply_sent_by_the_rerun(prefect_flows: Path, tmp_path: Path) -> None:
    from lexflow.testing import free_port

    db, doc = f"sqlite:///{tmp_path}/mail.db", f"doc-{uuid.uuid4().hex[:8]}"
    assert _mail(f"smtp://127.0.0.1:{free_port()}", doc, db, return_state=True).is_failed()  # nothing listens
    with MailCatcher() as catcher:
        mid = _mail(catcher.url, doc, db)
        assert [m.message_id for m in catcher.wait_for(1)] == [mid]


def test_an_unknown_invoice_outcome_older_than_the_lookup_window_is_shown_not_settled(tmp_path: Path) -> None:
    """create_invoice looks a week back for the reference; an older unknown outcome is handed to a person."""
    from datetime import datetime, timedelta

    from sqlalchemy import update

    from lexflow.db import get_engine
    from lexflow.operations import OperationRow
    from tasks.invoices import INVOICE, settle_invoice

    db, key = f"sqlite:///{tmp_path}/ops.db", "lexflow-invoice-order-4711"
    intent = {"draft": {"reference": "ORDER-4711"}, "expected_total_gross": "1.00", "approval_ref": "r"}
    Operations(db).begin(INVOICE, key, "d", target="POST /v1/invoices", request=intent)
    with get_engine(db).begin() as conn:
        conn.execute(update(OperationRow).values(started_at=datetime(2026, 1, 2) - timedelta(days=30)))
    with pytest.raises(OutcomeUnknown, match=r"'ORDER-4711' was possibly created on 2025-12-03 .* Check the invoice"):
        settle_invoice.fn(key, database_url=db)  # raises before any request: no client is needed
    assert Operations(db).get(INVOICE, key).pending  # type: ignore[union-attr]
