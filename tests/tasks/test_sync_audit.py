"""The history sync's reads in the audit trail: one record per page or batch, every request in exactly one record,
no extra request, chain intact, no secrets. Against the served sandbox over real HTTP."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lexflow.audit import Actor, AuditTrail, export_json
from lexflow.sync import HistorySync, SyncAudit, SyncStore
from lexflow.sync.audit import CONTACTS_PAGE, DETAILS_BATCH, VOUCHERLIST_BATCH


@pytest.fixture
def audit_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The configured trail (LEXFLOW_DATABASE_URL) is a fresh database; the sync store is another one."""
    from lexflow.settings import get_settings

    url = f"sqlite:///{tmp_path}/audit.db"
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def sandbox(served_sandbox: Any) -> Iterator[tuple[Any, Any, list[Any]]]:
    """(client with a request log of its own, sandbox control, the request log)."""
    from lexflow.lexware.client import LexwareClient, RetryPolicy
    from lexflow.testing.sandbox_control import SandboxControl

    served_sandbox.reset()
    requests: list[Any] = []
    client = LexwareClient(
        api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0,
        retry=RetryPolicy(max_attempts=3, backoff_base=0.01),
    )  # fmt: skip
    client.add_call_listener(requests.append)
    with client:
        yield client, SandboxControl(served_sandbox.url, served_sandbox.api_key), requests


def test_sync_reads_leave_one_record_per_page_or_batch(
    sandbox: tuple[Any, Any, list[Any]], audit_url: str, tmp_path: Path, served_sandbox: Any
) -> None:
    client, control, requests = sandbox
    control.seed(vouchers=600, seed=3)
    store = SyncStore(f"sqlite:///{tmp_path}/store.db")
    report = HistorySync(client, store).run(batch=100)  # default audit: the configured trail, as the user

    trail = AuditTrail(audit_url)
    records = trail.list()
    assert trail.verify().ok and len(records) == report.audit_records
    paths = Counter(c.path.split("/")[2] for c in requests)  # v1/<resource>/...
    actions = Counter(r.action for r in records)
    assert actions[CONTACTS_PAGE] == paths["contacts"] == math.ceil(report.contacts / 250)
    assert actions[VOUCHERLIST_BATCH] == math.ceil(report.vouchers_listed / 250) == paths["voucherlist"]
    details = report.vouchers_listed - report.details_skipped_unsupported
    assert actions[DETAILS_BATCH] == math.ceil(report.vouchers_listed / 100)
    assert len(requests) == paths["contacts"] + paths["voucherlist"] + details  # the minimum: nothing extra
    assert len(records) * 20 < len(requests)  # per batch, not per voucher

    # Every request the client made is in exactly one record (retries would show as attempts).
    audited = sorted((c.method, c.path, c.status) for r in records for c in r.http_calls)
    assert audited == sorted((c.method, c.path, c.status) for c in requests)
    listed = {str(v["id"]) for v in store.rows("vouchers")}
    read_details = {i for r in records if r.action == DETAILS_BATCH for i in r.resource_ids}
    read_listed = {i for r in records if r.action == VOUCHERLIST_BATCH for i in r.resource_ids}
    assert len(read_listed) == report.vouchers_listed and len(read_details) == details
    assert read_listed == listed
    assert read_details <= read_listed
    assert all(r.input["effect"] == "read" and r.outcome == "ok" and r.actor.kind == "user" for r in records)

    # No secrets and no personal data: ids, paths and counts only.
    dump = export_json(records)
    assert served_sandbox.api_key not in dump and "Bearer" not in dump and "?" not in dump
    contact = client.contacts.page(page=0, size=1).content[0]
    name = contact.company.name if contact.company else contact.person.last_name
    assert name and name not in dump


def test_incremental_sync_audits_only_what_it_read(
    sandbox: tuple[Any, Any, list[Any]], audit_url: str, tmp_path: Path
) -> None:
    client, control, requests = sandbox
    control.seed(vouchers=120, seed=4)
    store = SyncStore(f"sqlite:///{tmp_path}/store.db")
    HistorySync(client, store).run()
    requests.clear()
    before = len(AuditTrail(audit_url).list())
    again = HistorySync(client, store, audit=SyncAudit(Actor.agent("nightly"), profile="reader")).run()
    records = AuditTrail(audit_url).list()[before:]
    assert again.mode == "incremental" and len(records) == again.audit_records
    assert sum(len(r.http_calls) for r in records) == len(requests)
    assert {r.actor.name for r in records} == {"nightly"} and {r.profile for r in records} == {"reader"}
    assert not any(r.action == DETAILS_BATCH for r in records) or again.details_fetched > 0
    # Nothing changed since the full run: the re-listed checkpoint day costs no detail call and no details record.
    assert again.details_fetched == 0 and not any(r.action == DETAILS_BATCH for r in records)


def test_a_failed_read_leaves_an_error_record_and_the_chain_intact(
    sandbox: tuple[Any, Any, list[Any]], audit_url: str, tmp_path: Path, served_sandbox: Any
) -> None:
    client, control, requests = sandbox
    control.seed(vouchers=60, seed=5)
    victim = next(v for v in client.voucherlist.iter(voucher_type="invoice", voucher_status="any"))
    control.faults(route=f"GET /v1/invoices/{victim.id}", kind="500", count=3)  # = the client's attempts
    requests.clear()  # only the sync's own requests from here
    with pytest.raises(Exception) as failed:
        HistorySync(client, SyncStore(f"sqlite:///{tmp_path}/store.db")).run(batch=10)
    trail = AuditTrail(audit_url)
    (error,) = trail.list(outcome="error")
    assert error.action == DETAILS_BATCH and error.error and type(failed.value).__name__ in error.error
    assert [c.status for c in error.http_calls if c.path.endswith(str(victim.id))] == [500, 500, 500]
    assert served_sandbox.api_key not in export_json(trail.list())
    assert trail.verify().ok
    # Every request, the failed attempts included, is audited once.
    assert sum(len(r.http_calls) for r in trail.list()) == len(requests)
