"""Business cache keys: a second flow run for the same business request does not repeat the side effect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect import flow

from lexflow.testing import MailCatcher
from tasks.mail import send_document_mail

pytestmark = pytest.mark.prefect


@flow
def _mail_once(url: str, doc: str, to: str, fail_after: bool = False) -> str:
    mid = send_document_mail(
        url, document_id=doc, to=to, subject="Rechnung", body="Anbei.", content=b"%PDF", filename="r.pdf"
    )
    if fail_after:
        raise RuntimeError("crash after the mail went out")
    return mid


def test_mail_is_sent_once_per_document_and_recipient_across_runs(prefect_flows: Path) -> None:
    with MailCatcher() as catcher:
        state = _mail_once(catcher.url, "doc-1", "a@kunde.de", fail_after=True, return_state=True)
        assert state.is_failed()
        mid = _mail_once(catcher.url, "doc-1", "a@kunde.de")  # the rerun: cached, not sent again
        other = _mail_once(catcher.url, "doc-1", "b@kunde.de")  # another recipient is another business key
        catcher.wait_for(2)
    assert [m.message_id for m in catcher.messages] == [mid, other]


def test_rate_limit_exists_with_slot_decay(prefect_flows: Path) -> None:
    from prefect import get_client

    from tasks.common import RATE_LIMIT_NAME

    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(RATE_LIMIT_NAME)
    assert limit.slot_decay_per_second and limit.slot_decay_per_second > 0


def test_business_keys_are_prefect_safe() -> None:
    from tasks.common import business_key

    assert business_key("create-invoice", "order-4711") == "lexflow-create-invoice-order-4711"
    a, b = business_key("create-invoice", "Order/4711 ÄÖ"), business_key("create-invoice", "order-4711")
    assert a != b and a.startswith("lexflow-create-invoice-order-4711-")
    assert all(c.isdigit() or c == "-" or "a" <= c <= "z" for c in a)


def test_default_client_takes_prefect_rate_limit_slots(
    prefect_flows: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `use_client`, tasks use `connect()` (here: the embedded sandbox) behind the strict Prefect limit."""
    from lexflow.settings import get_settings
    from tasks import common
    from tasks.contacts import find_duplicate_contacts

    monkeypatch.delenv("LEXWARE_API_KEY", raising=False)
    monkeypatch.setenv("LEXFLOW_SANDBOX_DB", str(tmp_path / "sandbox.db"))
    get_settings.cache_clear()
    monkeypatch.setattr(common, "_client", None)
    try:

        @flow
        def report() -> Any:
            return find_duplicate_contacts(90)

        assert report().scanned == 0
        client = common.get_client()
        assert "sandbox" in client.backend_description
        assert type(client.limiter).__name__ == "PrefectLimiter"
    finally:
        common._client = None
        get_settings.cache_clear()
