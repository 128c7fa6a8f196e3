"""Dunning after reconciliation on one database: a customer whose payment the bank statement showed is not
reminded; a part payment is reminded for the remaining amount; the table says why; Slack down is only a warning."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.prefect


def _reconcile_then_dun(served_sandbox: Any, tmp_path: Path, **dunning_kwargs: Any) -> tuple[list[dict[str, Any]], Any]:
    from flows.dunning_run import dunning_run
    from flows.reconcile_payments import reconcile_payments
    from lexflow.banking.ledger import MatchLedger
    from lexflow.lexware.client import LexwareClient
    from tasks.common import use_client

    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=80, seed=9)
    inbox = tmp_path / "statements"
    inbox.mkdir()
    (inbox / "konto.xml").write_text(served_sandbox.control.bank_statement(format="camt053", seed=4)["statement"])
    url = f"sqlite:///{tmp_path / 'lexflow.db'}"
    with (
        LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client,
        use_client(client),
    ):
        reconcile_payments(str(inbox), database_url=url, ask="never")
        rows = dunning_run(database_url=url, max_dunnings=500, **dunning_kwargs)
    return rows, MatchLedger(url)


def test_matched_invoices_are_not_reminded_and_part_payments_only_for_the_rest(
    served_sandbox: Any, prefect_flows: Path, tmp_path: Path
) -> None:
    rows, ledger = _reconcile_then_dun(served_sandbox, tmp_path)
    seen = ledger.payments_seen()
    by_invoice = {r["invoice"]: r for r in rows}
    matched = {
        item.voucher_number: item
        for m in ledger.rows(limit=1000)
        if m.status in ("awaiting_assignment", "needs_decision", "hint_sent") and m.kind in ("exact", "partial")
        for item in ledger.items_of(m.transaction_id)
    }
    overdue_matched = [n for n in matched if n in by_invoice]
    assert overdue_matched, "the seeded statement pays some overdue invoices"
    skipped = [r for r in rows if r["action"] == "skipped"]
    assert skipped and all(
        r["why"].startswith("payment seen for the open amount: ") and r["dunning"] == "" for r in skipped
    )
    for number in overdue_matched:
        row = by_invoice[number]
        vid = matched[number].voucher_id
        paid = sum((p.amount for p in seen[vid]), Decimal("0"))
        open_amount = Decimal(row["open amount"].replace(",", "").removesuffix(" EUR"))
        if paid >= open_amount:
            assert row["action"] == "skipped", row
        else:
            assert row["action"] == "reminded" and "part payment seen" in row["why"], row
            rest = Decimal(row["reminded for"].replace(",", "").removesuffix(" EUR"))
            assert rest == open_amount - paid
    reminded = [r for r in rows if r["action"] == "reminded"]
    assert reminded and all(r["dunning"] for r in reminded)
    assert list(rows[0])[:3] == ["action", "why", "dunning"]  # what a person acts on comes first
    from prefect.artifacts import Artifact

    ageing = Artifact.get("receivables-ageing")
    assert ageing is not None and "█" in str(ageing.data) and "| >90 |" in str(ageing.data)


def test_slack_down_after_the_drafts_is_a_warning_not_a_failed_run(
    served_sandbox: Any, prefect_flows: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.artifacts import Artifact

    import lexflow.prefect.notify
    from lexflow.sandbox.gateway import free_port

    monkeypatch.setattr(lexflow.prefect.notify, "NOTIFY_RETRY_DELAYS", [0.0, 0.0])
    for name, value in {
        "BOT_TOKEN": "xoxb-down", "CHANNEL": "C0FINANCE", "BASE_URL": f"http://127.0.0.1:{free_port()}/api/",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"LEXFLOW_SLACK_{name}", value)
    rows, _ = _reconcile_then_dun(served_sandbox, tmp_path, return_state=True)
    state: Any = rows
    assert state.is_completed(), state.message
    artifact = Artifact.get("dunning-run")
    assert artifact is not None and "Slack notification failed after 3 attempts" in str(artifact.description)
    assert "LEXFLOW_SLACK_BOT_TOKEN" in str(artifact.description)
