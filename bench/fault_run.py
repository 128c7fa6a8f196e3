"""Seeded fault run (issue 12): the flows against the served sandbox under 429 bursts, 5xx, 504 after commit,
latency and dropped connections, then the invariants: 0 duplicated documents, contacts or mails, 0 lost writes, every
ambiguous outcome settled or reported to a person.

    .venv/bin/python bench/fault_run.py                  # the CI size (tests/flows/test_fault_run.py), seed 12
    .venv/bin/python bench/fault_run.py --scale 5 --seed 7   # a longer run, another seed

One person's day, in order: CRM leads become customers, an invoice per customer is approved (a thread answers each
pause like the approver would), created and mailed, receipts are booked, a month later the dunning run. While the
sandbox's fault rules are armed (a `random.Random(seed)` per rule decides which request is hit) a failed flow run
is rerun, as its user would, up to `ATTEMPTS` times; then the faults are cleared and whatever is still unfinished
is rerun once more. Counted on the sandbox itself (not on what the flows said) and on the SMTP catcher.
`fault_run()` is what the test calls; `main()` adds the Prefect test server and the served sandbox.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

#: (route, kind, probability, count, latency_ms): specific routes first, the sandbox fires the first rule that hits.
FAULTS: list[tuple[str, str, float, int, int | None]] = [
    ("POST /v1/invoices", "504_after_commit", 0.35, 100, None),
    ("POST /v1/contacts", "504_after_commit", 0.35, 100, None),
    ("POST /v1/dunnings", "504_after_commit", 0.25, 100, None),
    ("*", "drop", 0.04, 1000, None),
    ("*", "500", 0.06, 1000, None),
    ("*", "503", 0.03, 1000, None),
    ("*", "latency", 0.05, 1000, 150),
    ("*", "429", 0.01, 1000, None),
]
#: Runs of one flow while the faults are armed, before the user gives up for now.
ATTEMPTS = 3


@dataclass
class Figures:
    seed: int
    actions: dict[str, int] = field(default_factory=dict)
    flow_runs: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    surfaced: dict[str, int] = field(default_factory=dict)
    reported: list[str] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not any(self.duplicates.values()) and not any(self.lost.values()) and not self.unsettled


@contextmanager
def auto_approve(flow_name: str, approver: str = "U0APPROVER") -> Iterator[None]:
    """Approve every run of `flow_name` that pauses, like an approver who says yes to everything."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter
    from prefect.flow_runs import resume_flow_run

    stop = threading.Event()

    def loop() -> None:
        with get_client(sync_client=True) as client:
            while not stop.wait(0.05):
                runs = client.read_flow_runs(
                    flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                    flow_run_filter=FlowRunFilter(state={"type": {"any_": ["PAUSED"]}}),  # type: ignore[arg-type]
                )
                for run in runs:
                    try:
                        resume_flow_run(run.id, run_input={"approved": True, "approver": approver})
                    except Exception:  # not paused any more, or its input schema not stored yet: next round
                        continue

    t = threading.Thread(target=loop, daemon=True, name="auto-approve")
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join(5)


def _arm(control: Any, seed: int) -> None:
    for i, (route, kind, probability, count, latency) in enumerate(FAULTS):
        control.faults(route=route, kind=kind, count=count, seed=seed * 100 + i, probability=probability,
                       latency_ms=latency)  # fmt: skip


def _fired(control: Any) -> dict[str, int]:
    fired: Counter[str] = Counter()
    for rule in control.list_faults()["content"]:
        fired[rule["kind"]] += rule["fired"]
    return dict(fired)


class _Runner:
    """Run flows like their user: rerun a failed run; count what surfaced."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.surfaced: Counter[str] = Counter()

    def run(self, fn: Callable[..., Any], attempts: int, done: Callable[[Any], bool], **kwargs: Any) -> Any:
        out = None
        for _ in range(attempts):
            self.figures.flow_runs += 1
            state = fn(**kwargs, return_state=True)
            if state.is_completed():
                out = state.result()
                if done(out):
                    return out
                continue
            exc = state.result(raise_on_failure=False)
            self.surfaced[type(exc).__name__ if isinstance(exc, BaseException) else str(state.name)] += 1
        return out


def fault_run(
    served: Any,
    client: Any,
    catcher: Any,
    database_url: str,
    tmp: Path,
    *,
    seed: int = 12,
    customers: int = 4,
    receipts: int = 2,
) -> Figures:
    """The whole run on a reset sandbox; `client` is the flows' client (`tasks.common.use_client`)."""
    from flows.create_approve_send_invoice import InvoiceRequest, create_approve_send_invoice
    from flows.crm_lead_to_customer import crm_lead_to_customer
    from flows.dunning_run import dunning_run
    from flows.log_expense import Receipt, log_expense
    from lexflow.lexware.models import carries_reference
    from lexflow.lexware.sandbox.starter import sample_receipt
    from lexflow.operations import OperationRow, Operations
    from lexflow.testing.sandbox_control import SandboxControl

    started = time.monotonic()
    rng = random.Random(seed)
    figures = Figures(seed=seed)
    runner = _Runner(figures)
    control = SandboxControl(served.url, served.api_key)
    tag = uuid.uuid4().hex[:6]
    leads = [{"id": f"L-{tag}-{i}", "company": f"Kunde {i} {tag} GmbH", "email": f"k{i}-{tag}@kunde.de"}
             for i in range(customers)]  # fmt: skip
    requests = [
        InvoiceRequest.model_validate(
            {
                "request_id": f"FR-{tag}-{i}",
                "email": lead["email"],
                "lines": [
                    {"name": "Beratung", "quantity": str(rng.randint(1, 8)), "unit_price": "95.00", "tax": "standard"}
                ],
            }
        )
        for i, lead in enumerate(leads)
    ]
    numbers = [f"B-{tag}-{i}" for i in range(receipts)]
    amounts = [f"{rng.randint(1000, 30000) / 100:.2f}" for _ in numbers]
    files = [sample_receipt(tmp / f"beleg-{n}.pdf", number=n, gross=a) for n, a in zip(numbers, amounts, strict=True)]
    receipt_models = [
        Receipt(
            path=str(f),
            voucher_number=n,
            total_gross=a,
            category="Bürobedarf",
            voucher_date=date.today() - timedelta(days=1),
        )
        for f, n, a in zip(files, numbers, amounts, strict=True)
    ]
    figures.actions = {"contacts": len(leads), "invoices": len(requests), "mails": len(requests),
                       "expenses": receipts, "dunnings": len(requests)}  # fmt: skip
    as_of = (date.today() + timedelta(days=30)).isoformat()
    invoice_kwargs = {"smtp_url": catcher.url, "approval_poll_interval": 0.1, "database_url": database_url}
    expense_kwargs = {"ocr_timeout_seconds": 20, "poll_interval_seconds": 0.2, "database_url": database_url}

    def leads_done(rows: list[dict[str, Any]]) -> bool:
        return all(r["outcome"] in ("created", "updated", "unchanged") for r in rows)

    def booked(rows: list[dict[str, Any]]) -> bool:
        return all(r["outcome"] == "booked" for r in rows)

    def dunned(rows: list[dict[str, Any]]) -> bool:  # a "possibly created" row is told to a person: done here
        return len(rows) == len(requests)

    sent: dict[str, dict[str, Any]] = {}

    def phase(attempts: int) -> None:
        runner.run(crm_lead_to_customer, attempts, leads_done, source=leads, crm_source=f"fault-{tag}",
                   database_url=database_url)  # fmt: skip
        with auto_approve("create-approve-send-invoice"):
            for req in requests:
                if req.request_id not in sent:
                    out = runner.run(create_approve_send_invoice, attempts, lambda o: o["status"] == "sent",
                                     request=req, **invoice_kwargs)  # fmt: skip
                    if out and out["status"] == "sent":
                        sent[str(req.request_id)] = out
        runner.run(log_expense, attempts, booked, receipts=receipt_models, **expense_kwargs)

    _arm(control, seed)
    phase(ATTEMPTS)
    figures.faults = _fired(control)
    control.clear_faults()
    phase(1)  # the next morning: the user reruns what did not finish, without faults
    control.clock_advance(days=30)
    _arm(control, seed + 1)
    runner.run(dunning_run, ATTEMPTS, dunned, as_of=as_of, database_url=database_url)
    for kind, n in _fired(control).items():
        figures.faults[kind] = figures.faults.get(kind, 0) + n
    control.clear_faults()
    rows = runner.run(dunning_run, 1, dunned, as_of=as_of, database_url=database_url) or []
    figures.reported = [f"dunning {r['invoice']}: {r['why']}" for r in rows if r["action"] == "possibly created"]
    figures.surfaced = dict(runner.surfaced)
    figures.seconds = round(time.monotonic() - started, 1)
    reported_ids = _count(figures, served, client, catcher, leads, requests, numbers, amounts, carries_reference)
    # An intent without an outcome must be one that was reported to a person, never left silently.
    with Operations(database_url)._sessions() as s:
        pending = [(r.kind, r.key) for r in s.query(OperationRow).filter(OperationRow.state == "pending")]
    figures.unsettled = [f"{k} {key}" for k, key in pending
                         if not (k == "dunning" and any(i in key for i in reported_ids))]  # fmt: skip
    return figures


def _count(figures: Figures, served: Any, client: Any, catcher: Any, leads: list[dict[str, Any]],
           requests: list[Any], numbers: list[str], amounts: list[str], carries: Callable[[str, str], bool]) -> set[str]:  # fmt: skip
    """Duplicates and losses, counted on the sandbox and the catcher; returns the ids of the invoices whose dunning
    was reported as possibly created."""
    contacts = list(client.contacts.list())
    per_lead = [sum(1 for c in contacts if (c.company and c.company.name == lead["company"])) for lead in leads]
    invoices = [
        client.invoices.get(v.id) for v in client.voucherlist.iter(voucher_type="invoice", voucher_status="any")
    ]
    per_request = [[i for i in invoices if carries(str(i.remark or ""), f"Referenz: {r.request_id}")] for r in requests]
    subjects = Counter(m.subject for m in catcher.messages)
    per_mail = [subjects.get(f"Rechnung {found[0].voucher_number}", 0) if found else 0 for found in per_request]
    vouchers = [client.vouchers.get(v.id) for v in
                client.voucherlist.iter(voucher_type="purchaseinvoice", voucher_status="any")]  # fmt: skip
    per_receipt = [[v for v in vouchers if v.voucher_number == n] for n in numbers]
    wrong_amount = sum(
        1
        for found, a in zip(per_receipt, amounts, strict=True)
        if found and float(found[0].total_gross_amount) != float(a)
    )
    store = served.state.store
    dunnings = Counter(
        str(rel.get("id"))
        for org in store.organizations("dunnings")
        for d in store.all(org, "dunnings")
        for rel in d.get("relatedVouchers") or []
    )
    per_dunning = [dunnings.get(str(found[0].id), 0) if found else 0 for found in per_request]
    reported = {line.split(":", 1)[0].removeprefix("dunning ") for line in figures.reported}
    figures.duplicates = {
        "contacts": sum(max(n - 1, 0) for n in per_lead),
        "invoices": sum(max(len(f) - 1, 0) for f in per_request),
        "mails": sum(max(n - 1, 0) for n in per_mail),
        "expenses": sum(max(len(f) - 1, 0) for f in per_receipt),
        "dunnings": sum(max(n - 1, 0) for n in per_dunning),
    }
    figures.lost = {
        "contacts": sum(1 for n in per_lead if n == 0),
        "invoices": sum(1 for f in per_request if not f),
        "mails": sum(1 for n in per_mail if n == 0),
        "expenses": sum(1 for f in per_receipt if not f) + wrong_amount,
        "dunnings": sum(
            1
            for f, n in zip(per_request, per_dunning, strict=True)
            if f and n == 0 and f[0].voucher_number not in reported
        ),
    }
    return {str(f[0].id) for f in per_request if f and f[0].voucher_number in reported}


def main() -> None:  # pragma: no cover - manual use
    import os
    import tempfile

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--scale", type=int, default=1, help="multiply customers (4) and receipts (2)")
    ns = parser.parse_args()
    from prefect.testing.utilities import prefect_test_harness

    from lexflow.lexware.client import LexwareClient, RetryPolicy
    from lexflow.lexware.sandbox import SandboxConfig
    from lexflow.prefect.setup import ensure_rate_limit
    from lexflow.testing import MailCatcher
    from lexflow.testing.served import serve_in_thread
    from tasks.common import use_client

    with tempfile.TemporaryDirectory() as tmpdir, prefect_test_harness(server_startup_timeout=120):
        tmp = Path(tmpdir)
        os.environ["LEXFLOW_DATABASE_URL"] = f"sqlite:///{tmp}/lexflow.db"
        ensure_rate_limit(1000.0)
        served = serve_in_thread(SandboxConfig(rate_limit=0, ocr_delay_seconds=None))
        client = LexwareClient(api_key=served.api_key, base_url=served.url, rate_limit=0,
                               retry=RetryPolicy(max_attempts=3, backoff_base=0.01))  # fmt: skip
        with served, client, use_client(client), MailCatcher() as catcher:
            figures = fault_run(served, client, catcher, f"sqlite:///{tmp}/lexflow.db", tmp, seed=ns.seed,
                                customers=4 * ns.scale, receipts=2 * ns.scale)  # fmt: skip
    out = {**asdict(figures), "ok": figures.ok, "command": f"bench/fault_run.py --seed {ns.seed} --scale {ns.scale}"}
    print(json.dumps(out, indent=2))
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "fault_run.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
