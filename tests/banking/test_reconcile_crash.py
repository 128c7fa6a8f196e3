"""kill -9 in the middle of a reconcile run (issue 12, item 5), on a real subprocess against the served sandbox.

The killed run leaves one claim `acting` and matches it finished but never showed to a person. The next run must
finish the stuck claim exactly once (a hint the killed run sent is not sent twice: the API refuses a second one
with 406, which settles it) and list every match nobody has seen; once shown, they are not listed again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from lexflow.banking.ledger import PERSON_STATUSES, MatchLedger
from lexflow.banking.readers import read_statement
from lexflow.banking.reconcile import reconcile
from lexflow.lexware.client import LexwareClient
from tests.banking.test_sandbox_reconcile import _partner_token

ROOT = Path(__file__).resolve().parents[2]
APP = "https://app.lexware.de"


@pytest.fixture
def company(served_sandbox: Any) -> Any:
    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=60, seed=9)
    return served_sandbox


def _statement(served: Any, tmp_path: Path, *, noise: bool) -> Path:
    path = tmp_path / "konto.xml"
    path.write_text(served.control.bank_statement(format="camt053", noise=noise, seed=4)["statement"])
    return path


def _killed_run(served: Any, token: str, db: str, statement: Path, n: int, point: str, hints: bool = False) -> None:
    args = [served.url, token, db, str(statement), str(n), point, *(["--hints"] if hints else [])]
    proc = subprocess.run(
        [sys.executable, "-m", "tests.banking.reconcile_crash_worker", *args],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr


def _statuses(ledger: MatchLedger) -> dict[str, str]:
    return {r.transaction_id: r.status for r in ledger.rows(limit=10_000)}


def test_killed_run_is_finished_and_everything_unseen_is_shown(company: Any, tmp_path: Path) -> None:
    statement = _statement(company, tmp_path, noise=True)
    db = f"sqlite:///{tmp_path / 'lexflow.db'}"
    _killed_run(company, company.api_key, db, statement, 4, "before-finish")
    ledger = MatchLedger(db)
    before = _statuses(ledger)
    (stuck,) = [t for t, s in before.items() if s == "acting"]
    finished_unseen = {t for t, s in before.items() if s in PERSON_STATUSES}
    assert len(finished_unseen) == 3

    txs = read_statement(statement)
    with LexwareClient(api_key=company.api_key, base_url=company.url, rate_limit=0) as client:
        other = reconcile([], client, ledger=ledger, statement="other.xml", app_url=APP)  # another statement's run
        assert [n.split()[1] for n in other.recovery_notices] == [stuck] and other.recovered == []
        rerun = reconcile(txs, client, ledger=ledger, statement=statement.name, app_url=APP)
        after = _statuses(ledger)
        assert "acting" not in after.values() and rerun.recovered == [stuck]
        waiting = {t for t, s in after.items() if s in PERSON_STATUSES}
        shown = {i.transaction_id for i in rerun.needs_person}
        assert shown == waiting and finished_unseen | {stuck} <= shown  # nothing waits unseen
        assert rerun.republished == len(finished_unseen)

        ledger.mark_shown(sorted(shown))  # what the flow does once its table artifact exists
        third = reconcile(txs, client, ledger=ledger, statement=statement.name, app_url=APP)
    assert third.needs_person == [] and third.republished == 0 and third.recovered == []


@pytest.mark.parametrize("point", ["before-finish", "after-claim"])
def test_a_hint_of_a_killed_run_is_sent_exactly_once(company: Any, tmp_path: Path, point: str) -> None:
    """Killed after the hint POST (its 201 never recorded) or before it: the rerun ends with one hint either way."""
    with httpx.Client(base_url=company.url) as http:
        token = _partner_token(http)
    statement = _statement(company, tmp_path, noise=False)
    db = f"sqlite:///{tmp_path / 'lexflow.db'}"
    _killed_run(company, token, db, statement, 2, point, hints=True)
    ledger = MatchLedger(db)
    (stuck,) = [t for t, s in _statuses(ledger).items() if s == "acting"]

    txs = read_statement(statement)
    audit: list[tuple[str, str, str | None]] = []
    with LexwareClient(api_key=token, base_url=company.url, rate_limit=0, allow_partner_endpoints=True) as client:
        rerun = reconcile(
            txs,
            client,
            ledger=ledger,
            statement=statement.name,
            app_url=APP,
            audit=lambda action, payload, ids, outcome, error: audit.append((ids[0], outcome, error)),
        )
        assert rerun.recovered == [stuck]
        assert set(_statuses(ledger).values()) == {"hint_sent"}  # the stuck one too, not a review item
        assert rerun.hints_sent == len(txs) - 1 and rerun.skipped_already_done == 1
        assert all(outcome == "ok" for _, outcome, _ in audit)
        (voucher,) = [i.voucher_id for i in ledger.items_of(stuck)]
        with pytest.raises(Exception, match=r"406|one transaction assignment hint"):
            client.transaction_assignment_hints.create(voucher, "probe")  # the voucher holds exactly one hint


@pytest.mark.prefect
def test_flow_shows_what_a_killed_run_left_unseen_once(prefect_harness: None, company: Any, tmp_path: Path) -> None:
    """The flow lists the matches a killed run finished (in its table artifact, once even with two statements),
    finishes the stuck claim of its statement and records them as shown, so the next run lists nothing again."""
    from prefect.artifacts import Artifact

    from flows.reconcile_payments import reconcile_payments
    from tasks.common import use_client

    statement = _statement(company, tmp_path, noise=True)
    db = f"sqlite:///{tmp_path / 'lexflow.db'}"
    _killed_run(company, company.api_key, db, statement, 3, "before-finish")
    ledger = MatchLedger(db)
    unseen = {t for t, s in _statuses(ledger).items() if s in PERSON_STATUSES}
    inbox = tmp_path / "statements"
    inbox.mkdir()
    (inbox / "a.xml").write_text(statement.read_text())
    (inbox / "b.xml").write_text(company.control.bank_statement(format="camt053", seed=1)["statement"])
    with LexwareClient(api_key=company.api_key, base_url=company.url, rate_limit=0) as client, use_client(client):
        first = reconcile_payments(str(inbox), database_url=db, ask="never")
        artifact = Artifact.get("reconcile-payments")
        second = reconcile_payments(str(inbox), database_url=db, ask="never")
    assert first["recovered"] == 1 and first["republished"] == len(unseen) == 2
    assert artifact is not None and "2 from interrupted runs" in str(artifact.description)
    listed = json.loads(str(artifact.data))
    assert len(listed) == first["review_items"] + first["flagged"] + 2  # the two unseen ones, once
    assert "acting" not in _statuses(ledger).values() and ledger.unshown() == []
    assert second["republished"] == second["recovered"] == 0 and second["review_items"] == second["flagged"] == 0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> MatchLedger:
    if request.param == "sqlite":
        return MatchLedger(f"sqlite:///{tmp_path / 'ledger.db'}")
    return MatchLedger(request.getfixturevalue("postgres_url"))


def test_a_stuck_claim_is_taken_over_by_one_run_only(ledger: MatchLedger) -> None:
    """A live claim is left alone; a stale one goes to exactly one of four racing recoverers (compare and set)."""
    import threading
    import uuid

    from lexflow.banking.matcher import Matcher
    from tests.banking.test_ledger import _setup

    items, tx = _setup(uuid.uuid4().hex[:8])
    assert ledger.claim(Matcher(items).match(tx), tx, statement="s.xml", planned="flagged")
    assert tx.transaction_id not in ledger.stuck_claims()  # this process claimed it and runs
    stuck = ledger.stuck_claims(stale_after=-1)[tx.transaction_id]
    assert stuck.planned == "flagged" and stuck.statement == "s.xml"
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        barrier.wait()
        results.append(ledger.take_over(stuck))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
