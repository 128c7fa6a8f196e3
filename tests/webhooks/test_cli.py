from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from lexflow.cli import app
from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.inbox import EventStatus, Inbox
from tests.webhooks.helpers import event_body

runner = CliRunner()


def test_inbox_shows_parked_events_with_reason_and_replay_requeues(db_url: str) -> None:
    inbox = Inbox(db_url)
    ids = []
    for rid in ("v-1", "v-2"):
        body = event_body(event_type="payment.changed", resource_id=rid)
        ids.append(inbox.store(WebhookEvent.model_validate_json(body), body).id)
    inbox.claim(limit=2)
    inbox.fail(ids[0], "ledger has no item for v-1 [address.name: notnull]", permanent=True)
    inbox.complete(ids[1], "closed")

    parked = runner.invoke(app, ["webhooks", "inbox", "--parked", "--database-url", db_url], env={"COLUMNS": "200"})
    assert parked.exit_code == 0, parked.output
    assert "parked: 1" in parked.output and "done: 1" in parked.output
    assert "ledger has no item for v-1 [address.name: notnull]" in parked.output  # not swallowed as markup
    assert "v-2" not in parked.output

    replayed = runner.invoke(app, ["webhooks", "replay", str(ids[0]), "--database-url", db_url])
    assert replayed.exit_code == 0 and "queued again" in replayed.output
    assert inbox.get(ids[0]).status == EventStatus.PENDING

    missing = runner.invoke(app, ["webhooks", "replay", "999", "--database-url", db_url])
    assert missing.exit_code == 2 and "no webhook event with id 999" in missing.output


def test_default_routes_all_resolve(tmp_path: Path) -> None:
    result = runner.invoke(app, ["webhooks", "routes"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for target in (
        "lexflow.banking.ledger:check_payment",
        "lexflow.webhooks.notify:notify_invoice_status",
        "lexflow.webhooks.waiting:continue_waiting_runs",
        "lexflow.webhooks.crm:sync_contact_to_crm_mapping",
    ):
        assert target in result.output

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "routes:\n"
        "  payment.changed: {callable: 'lexflow.banking.ledger:confirm_payment', parameters: {voucher: '{resourceId}'}}\n"
        "  invoice.changed: {callable: 'lexflow.nowhere:fn'}\n"
    )
    result = runner.invoke(app, ["webhooks", "routes", "--config", str(broken)], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert "does not accept ['voucher']" in result.output and "cannot import 'lexflow.nowhere:fn'" in result.output
