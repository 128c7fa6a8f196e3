"""`make demo`: the main job, end to end, against the embedded sandbox (no Lexware account needed).

Starts a local Prefect server (`prefect server start` subprocess: 3.6 s with an already migrated database in
`.lexflow/prefect-home`, ~10 s the first time; the harness-style ephemeral server migrates a new database on
every start, ~11 s), the sandbox served by uvicorn on 127.0.0.1 and seeded, an SMTP catcher, a fake
Slack and the real approvals receiver. Then it runs:

1. CRM leads → customers (one lead is a duplicate of another and is caught for review),
2. an invoice through approval: the approval is a signed Slack interaction POSTed to the receiver (exactly what
   a click on "Approve" sends), or `resume_flow_run` when Slack is not available; then finalized, PDF e-mailed,
3. an expense from a sample receipt (a small PDF generated here with fpdf2),
4. a history sync of the seeded vouchers,
5. a bank statement (written by the sandbox for its open invoices) reconciled against the open invoices,
6. a dunning run that skips the invoices the statement paid and reminds part payments for the rest,

and prints each run's Prefect UI URL, with a heartbeat line during the silent stretches. Everything stops at the
end unless `--keep` (`make demo KEEP=1`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lexflow.formatting import eur
from lexflow.lexware.sandbox.starter import SAMPLE_CRM_EXPORT, sample_receipt  # tests import sample_receipt from here

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / ".lexflow"
SIGNING_SECRET = "demo-signing-secret-0123456789"
APPROVER = "U0DEMOBOSS"
RATE = 2.0  # requests per second, the Lexware Office account limit


def _say(t0: float, text: str) -> None:
    print(f"[{time.monotonic() - t0:6.1f}s] {text}", flush=True)


@contextlib.contextmanager
def heartbeat(t0: float, what: str, every: float = 3.0) -> Iterator[None]:
    """Say every few seconds that `what` is still going on, so a silent stretch does not look like a hang."""
    done = threading.Event()

    def beat() -> None:
        started = time.monotonic()
        while not done.wait(every):
            _say(t0, f"  … {what} ({time.monotonic() - started:.0f} s)")

    _say(t0, f"{what} …")
    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """`prefect server start` on a free loopback port; yields the API URL, stops the process afterwards."""
    import httpx

    from lexflow.sandbox.gateway import free_port

    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-services",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Prefect server did not start; see {home / 'server.log'}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _sandbox(stack: contextlib.ExitStack, vouchers: int) -> tuple[str, str]:
    """The sandbox served on 127.0.0.1 (state in memory), seeded with contacts and `vouchers` vouchers."""
    import httpx

    from lexflow.approvals.serving import ThreadedServer
    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    app = create_app(SandboxConfig(rate_limit=0, ocr_delay_seconds=1.0, allow_http_callbacks=True))
    server = stack.enter_context(ThreadedServer(app))
    httpx.post(
        f"{server.url}/_sandbox/seed",
        json={"vouchers": vouchers, "seed": 42},
        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
        timeout=120,
    ).raise_for_status()
    return server.url, DEFAULT_API_KEY


def _slack(stack: contextlib.ExitStack) -> tuple[Any, str]:
    """Fake Slack + the real approvals receiver, configured through the environment the flow reads."""
    from lexflow.approvals.receiver import create_receiver_app
    from lexflow.approvals.serving import ThreadedServer
    from lexflow.approvals.settings import SlackApprovalSettings
    from lexflow.testing.fake_slack import FakeSlack

    fake = stack.enter_context(FakeSlack(token="xoxb-demo-token"))
    os.environ.update(
        {
            "LEXFLOW_SLACK_BOT_TOKEN": "xoxb-demo-token",
            "LEXFLOW_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "LEXFLOW_SLACK_CHANNEL": "C0INVOICES",
            "LEXFLOW_SLACK_APPROVERS": APPROVER,
            "LEXFLOW_SLACK_BASE_URL": fake.api_url,
            "LEXFLOW_SLACK_POLL_INTERVAL": "0.3",
        }
    )
    receiver = stack.enter_context(ThreadedServer(create_receiver_app(SlackApprovalSettings(), sweep_interval=1.0)))
    return fake, receiver.url


def _approve(slack: tuple[Any, str], flow_name: str) -> str:
    """Answer the pending approval the way a person would: a signed Slack click once the run has paused."""
    from lexflow.prefect.pausing import wait_for_paused_run
    from lexflow.testing.slack_clicks import click

    wait_for_paused_run(flow_name, timeout=60)
    fake, receiver_url = slack
    posted = fake.wait_for_request(1, timeout=30)
    resp = click(receiver_url, SIGNING_SECRET, posted, user=APPROVER)
    resp.raise_for_status()
    return f"signed Slack click by {APPROVER} → receiver {receiver_url} (HTTP {resp.status_code})"


def _run(fn: Any, **kwargs: Any) -> tuple[Any, str]:
    state = fn(**kwargs, return_state=True)
    return state, str(state.state_details.flow_run_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the Prefect server (and UI) up until Ctrl-C")
    parser.add_argument("--vouchers", type=int, default=60, help="seeded vouchers for the history sync")
    args = parser.parse_args(argv)
    print("lexflow demo: backend = embedded sandbox (served on 127.0.0.1, seeded); no LEXWARE_API_KEY is used")
    t0 = time.monotonic()

    run_dir = STATE / "demo"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    home = STATE / "prefect-home"  # kept between demos: the server starts in ~4 s instead of ~10 s
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(run_dir / "results"),
            "LEXFLOW_DATABASE_URL": f"sqlite:///{run_dir / 'lexflow.db'}",
        }
    )
    runs: list[tuple[str, str, str, str]] = []  # (step, state, run id, note)
    with contextlib.ExitStack() as stack:
        with heartbeat(t0, "starting the Prefect server (about 4 s, 10 s the first time)"):
            api_url = stack.enter_context(prefect_server(home))
        ui_url = api_url.removesuffix("/api")
        os.environ["PREFECT_API_URL"] = api_url
        os.environ["PREFECT_UI_URL"] = ui_url
        _say(t0, f"Prefect server up: {ui_url}")

        from lexflow.lexware.client import LexwareClient
        from lexflow.settings import get_settings
        from lexflow.testing import MailCatcher

        get_settings.cache_clear()
        with heartbeat(t0, f"seeding the sandbox with {args.vouchers} vouchers"):
            sandbox_url, key = _sandbox(stack, args.vouchers)
        _say(t0, f"sandbox served at {sandbox_url}, seeded with {args.vouchers} vouchers")
        catcher = stack.enter_context(MailCatcher())
        _say(t0, f"SMTP catcher at {catcher.url}")
        slack = _slack(stack)
        _say(t0, "fake Slack + approvals receiver up")

        from flows.create_approve_send_invoice import InvoiceRequest, create_approve_send_invoice
        from flows.crm_lead_to_customer import crm_lead_to_customer
        from flows.log_expense import Receipt, log_expense
        from flows.sync_history import sync_history
        from lexflow.prefect.limiter import PrefectLimiter
        from lexflow.prefect.setup import ensure_rate_limit
        from tasks.common import use_client

        # The account budget as in production: every request takes a slot of the server's `lexware-api` limit.
        ensure_rate_limit(RATE)
        client = stack.enter_context(
            LexwareClient(api_key=key, base_url=sandbox_url, rate_limit=0, limiter=PrefectLimiter())
        )
        stack.enter_context(use_client(client))
        requests: list[Any] = []
        client.add_call_listener(requests.append)

        # 1. leads → customers
        leads = run_dir / "crm-leads.csv"
        leads.write_text(SAMPLE_CRM_EXPORT, encoding="utf-8")
        state, rid = _run(crm_lead_to_customer, source=str(leads), crm_source="demo-crm")
        rows = state.result()
        summary = ", ".join(f"{r['crm_id']} {r['outcome']}" for r in rows)
        runs.append(("leads → customers", state.name, rid, summary))
        _say(t0, f"leads → customers: {summary}")

        # 2. invoice → approval → finalized → PDF e-mailed
        request = InvoiceRequest(
            request_id="demo-order-4711",
            crm_id="CRM-101",
            crm_source="demo-crm",
            lines=[
                {
                    "name": "Webdesign Workshop",
                    "quantity": "2",
                    "unit": "Tag",
                    "unit_price": "950.00",
                    "tax": "standard",
                },
                {"name": "Fachbuch Typografie", "quantity": "1", "unit_price": "39.90", "tax": "reduced"},
            ],
            service_date=date.today() - timedelta(days=3),
        )
        box: dict[str, Any] = {}

        def _invoice() -> None:
            box["state"], box["rid"] = _run(
                create_approve_send_invoice,
                request=request,
                smtp_url=catcher.url,
                sender="rechnung@lexflow-demo.example",
            )

        worker = threading.Thread(target=_invoice)
        worker.start()
        how = _approve(slack, "create-approve-send-invoice")
        _say(t0, f"invoice approval answered: {how}")
        worker.join(120)
        out = box["state"].result()
        mail = catcher.wait_for(1, timeout=30)[0]
        note = f"{out['voucher_number']} ({eur(out['total_gross'])}) approved by {out['approver']}, mailed to {mail.rcpt_to[0]} {mail.message_id}"
        runs.append(("invoice → approval → e-mail", box["state"].name, box["rid"], note))
        _say(t0, f"invoice: {note}")

        # 3. expense from a sample receipt
        receipt = sample_receipt(run_dir / "beleg-bb-2026-117.pdf")
        state, rid = _run(
            log_expense,
            receipts=[
                Receipt(
                    path=str(receipt),
                    supplier_name="Bürobedarf AG",
                    voucher_number="BB-2026-117",
                    total_gross="59.50",
                    voucher_date=date.today(),
                    category="Bürobedarf",
                )
            ],
            ocr_timeout_seconds=30,
            poll_interval_seconds=0.5,
        )
        exp = state.result()[0]
        runs.append(("receipt → expense", state.name, rid, f"{exp['outcome']}: {exp['detail']}"))
        _say(t0, f"expense: {exp['outcome']} {exp['detail']}")

        # 4. history sync
        with heartbeat(t0, "history sync at 2 requests/s"):
            state, rid = _run(sync_history, export_dir=str(run_dir / "export"))
        rep = state.result()
        note = f"{rep['mode']}: {rep['contacts']} contacts, {rep['vouchers_listed']} vouchers, {rep['details_fetched']} documents → {run_dir / 'export'}"
        runs.append(("history sync", state.name, rid, note))
        _say(t0, f"sync: {note}")

        # 5. bank statement → payment matching (the sandbox writes a statement paying some open invoices)
        from flows.dunning_run import dunning_run
        from flows.reconcile_payments import reconcile_payments
        from lexflow.testing.sandbox_control import SandboxControl

        inbox = run_dir / "statements"
        inbox.mkdir()
        with SandboxControl(sandbox_url, key) as control:
            (inbox / "konto.xml").write_text(control.bank_statement(format="camt053", seed=4)["statement"])
        with heartbeat(t0, "reconciling the bank statement"):
            state, rid = _run(reconcile_payments, statement_path=str(inbox), ask="never")
        rec = state.result()
        note = (
            f"{rec['transactions']} transactions: {rec['review_items']} exact matches to assign in Lexware Office, "
            f"{rec['flagged']} flagged for a person"
        )
        runs.append(("bank statement → matches", state.name, rid, note))
        _say(t0, f"reconciliation: {note}")

        # 6. dunning: invoices the statement paid are skipped, part payments reminded for the rest
        with heartbeat(t0, "dunning run"):
            state, rid = _run(dunning_run, max_dunnings=3)
        dun = state.result()
        skipped = [r for r in dun if r["action"] == "skipped"]
        note = f"{sum(r['action'] == 'reminded' for r in dun)} reminders drafted, {len(skipped)} skipped as paid"
        if skipped:
            note += f" (e.g. {skipped[0]['invoice']}: {skipped[0]['why']})"
        runs.append(("dunning run", state.name, rid, note))
        _say(t0, f"dunning: {note}")

        print("\nSummary (Prefect UI links):")
        for step, st, rid, note in runs:
            print(f"  {step:<28} {st:<10} {ui_url}/runs/flow-run/{rid}\n  {'':<28} {note}")
        print(f"\nAudit trail:  LEXFLOW_DATABASE_URL={os.environ['LEXFLOW_DATABASE_URL']} .venv/bin/lexflow audit list")
        print(f"{len(requests)} Lexware API requests, all through the shared `lexware-api` limit at {RATE:g} req/s.")
        print(f"Done in {time.monotonic() - t0:.1f} s.")
        print(
            "\nTry it yourself:  .venv/bin/lexflow sandbox seed   then   .venv/bin/lexflow dev   (README: Run on Prefect)"
        )
        linger(args.keep, ui_url)
    return 0


def linger(keep: bool, ui_url: str) -> None:
    """With `--keep`, hold everything up until Ctrl-C so the Prefect UI can be looked at; else return at once."""
    if not keep:
        print("The Prefect server stops now; to look around in its UI afterwards run:  make demo KEEP=1")
        return
    print(f"KEEP=1: Prefect UI at {ui_url} ; press Ctrl-C to stop everything.")
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
