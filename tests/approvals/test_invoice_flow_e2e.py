"""End to end through `flows/create_approve_send_invoice`: the flow asks in (fake) Slack, a signed click on the real
receiver approves, the invoice is created finalized and mailed; the audit shows who approved."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.testing.slack_clicks import click, reject

from .conftest import ALICE, SIGNING_SECRET
from .helpers import updates_for, wait_until

pytestmark = pytest.mark.prefect


@pytest.fixture
def invoice_env(
    receiver_url: str, slack_settings: SlackApprovalSettings, served_sandbox: Any, tmp_path_factory, monkeypatch
) -> Iterator[dict[str, Any]]:
    flows_mod = pytest.importorskip("flows.create_approve_send_invoice")
    client_mod = pytest.importorskip("lexflow.lexware.client")
    if not hasattr(client_mod, "LexwareClient"):
        pytest.skip("lexflow.lexware.client.LexwareClient not available yet")
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    from lexflow.prefect.setup import ensure_rate_limit
    from lexflow.testing import MailCatcher
    from tasks.common import use_client

    assert slack_settings.bot_token is not None
    monkeypatch.setenv("LEXFLOW_SLACK_BOT_TOKEN", slack_settings.bot_token.get_secret_value())
    monkeypatch.setenv("LEXFLOW_SLACK_CHANNEL", "C0INVOICES")
    monkeypatch.setenv("LEXFLOW_SLACK_APPROVERS", ALICE)
    monkeypatch.setenv("LEXFLOW_SLACK_BASE_URL", slack_settings.base_url)
    monkeypatch.setenv("LEXFLOW_SLACK_DATABASE_URL", slack_settings.resolved_database_url())
    served_sandbox.reset()
    storage = tmp_path_factory.mktemp("results")
    client = client_mod.LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0)
    with (
        temporary_settings(updates={PREFECT_RESULTS_LOCAL_STORAGE_PATH: storage}),
        client,
        use_client(client),
        MailCatcher() as catcher,
    ):
        ensure_rate_limit(1000.0)
        yield {
            "flow": flows_mod,
            "client": client,
            "catcher": catcher,
            "receiver_url": receiver_url,
            "db": str(tmp_path_factory.mktemp("ledger") / "lexflow.db"),
        }


def _run(env: dict[str, Any], email: str) -> tuple[concurrent.futures.Future[Any], Any]:
    from lexflow.actions import run
    from tasks.common import FLOW_PROFILE, get_client

    run("upsert_customer", {"name": "Kunde GmbH", "email": email}, profile=FLOW_PROFILE, client=get_client())
    request = env["flow"].InvoiceRequest.model_validate(
        {
            "request_id": f"order-{uuid.uuid4().hex[:8]}",
            "email": email,
            "lines": [{"name": "Beratung", "quantity": "2", "unit": "Stunde", "unit_price": "100.00",
                       "tax": "standard"}],
            "service_date": date.today().isoformat(),
        }
    )  # fmt: skip
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(
        env["flow"].create_approve_send_invoice,
        request=request,
        smtp_url=env["catcher"].url,
        approval_poll_interval=0.2,
        database_url=f"sqlite:///{env['db']}",
    )
    return future, request


def test_invoice_approved_in_slack_is_created_and_mailed(invoice_env, fake_slack, slack_settings):
    from lexflow.audit import AuditTrail

    seen = len(fake_slack.posted_requests())
    future, _ = _run(invoice_env, "einkauf@kunde.de")
    posted = fake_slack.wait_for_request(seen + 1, timeout=60)
    post = next(c for c in fake_slack.calls_to("chat.postMessage") if c.response.get("ts") == posted.ts)
    assert "Kunde GmbH" in str(post.args["blocks"]) and "238.00 EUR" in str(post.args["blocks"])  # 2 h × 100 € + 19 %
    assert click(invoice_env["receiver_url"], SIGNING_SECRET, posted, user=ALICE).status_code == 200
    out = future.result(timeout=60)
    assert out["status"] == "sent" and out["approver"] == ALICE
    assert invoice_env["client"].invoices.get(out["invoice_id"]).voucher_status == "open"
    (mail,) = invoice_env["catcher"].wait_for(1)
    assert mail.rcpt_to == ["einkauf@kunde.de"]
    assert f"Approved by <@{ALICE}>" in str(wait_until(lambda: updates_for(fake_slack, posted))[-1].args["blocks"])
    db = slack_settings.resolved_database_url()
    decided = [r for r in AuditTrail(db).list() if r.approval_ref == posted.request_id and r.action.endswith("decided")]
    assert decided and decided[0].input["approver"] == ALICE


def test_invoice_rejected_in_slack_creates_nothing(invoice_env, fake_slack):
    seen = len(fake_slack.posted_requests())
    future, _ = _run(invoice_env, "chef@kunde.de")
    posted = fake_slack.wait_for_request(seen + 1, timeout=60)
    reject(invoice_env["receiver_url"], SIGNING_SECRET, fake_slack, posted, user=ALICE, reason="falscher Preis")
    out = future.result(timeout=60)
    assert out["status"] == "rejected" and out["reason"] == "falscher Preis"
    invoices = list(invoice_env["client"].voucherlist.iter(voucher_type="invoice", voucher_status="any"))
    assert invoices == [] and invoice_env["catcher"].messages == []
