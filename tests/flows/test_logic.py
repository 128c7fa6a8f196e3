"""Flow logic without Prefect or a backend: mapping, validation, request checks, deployment specs."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from flows.create_approve_send_invoice import InvoiceRequest, draft_for
from flows.crm_lead_to_customer import FieldMapping, load_records, map_record
from flows.log_expense import Receipt, expense_input, read_receipt
from lexflow.prefect.serving import deployment_specs, load_flow


def test_csv_and_json_exports_load_the_same(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("Id,Firma,Mail\n7,Muster GmbH,info@muster.de\n", encoding="utf-8")
    (tmp_path / "a.json").write_text(
        json.dumps({"records": [{"Id": "7", "Firma": "Muster GmbH", "Mail": "info@muster.de"}]})
    )
    assert load_records(str(tmp_path / "a.csv")) == load_records(str(tmp_path / "a.json"))
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        load_records(str(tmp_path / "a.txt"))


def test_mapping_validates_and_names_the_field() -> None:
    mapping = FieldMapping(
        crm_id="Id", name="Firma", email="Mail", phone=None, street=None, zip=None, city=None, country_code=None
    )
    lead = map_record({"Id": "7", "Firma": " Muster GmbH ", "Mail": "info@muster.de"}, mapping)
    assert lead.customer().model_dump(exclude_none=True) == {
        "name": "Muster GmbH", "kind": "company", "email": "info@muster.de"
    }  # fmt: skip
    with pytest.raises(ValidationError) as err:
        map_record({"Id": "8", "Firma": "X AG", "Mail": "not-an-address"}, mapping)
    assert err.value.errors()[0]["loc"] == ("email",)


def test_invoice_request_needs_exactly_one_customer_reference() -> None:
    line = {"name": "Beratung", "unit_price": "100", "tax": "standard"}
    with pytest.raises(ValidationError, match="exactly one"):
        InvoiceRequest(lines=[line])
    with pytest.raises(ValidationError, match="exactly one"):
        InvoiceRequest(email="a@b.de", crm_id="7", lines=[line])
    req = InvoiceRequest(email="a@b.de", lines=[line], voucher_date=date(2026, 11, 2), service_date=date(2026, 10, 30))
    draft = draft_for(req, "5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f")
    assert (draft.issue_date, draft.service_date, draft.lines[0].tax) == (
        date(2026, 11, 2),
        date(2026, 10, 30),
        "standard",
    )
    with pytest.raises(ValidationError, match="service_date"):
        draft_for(req.model_copy(update={"service_date": date(2026, 11, 3)}), "c")
    with pytest.raises(ValidationError, match="tax"):
        InvoiceRequest(email="a@b.de", lines=[{"name": "Beratung", "unit_price": "100"}])  # which tax: no default


def test_receipt_checks_and_missing_ocr_values(tmp_path: Path) -> None:
    gif = tmp_path / "x.gif"
    gif.write_bytes(b"GIF89a")
    with pytest.raises(ValueError, match="PDF, JPG and PNG"):
        read_receipt(str(gif))
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    r = Receipt(path=str(pdf), supplier_name="Bürobedarf AG", category="Bürobedarf")
    assert "voucher_number" in str(expense_input(r, {"totalGrossAmount": 11.9, "voucherDate": "2026-11-01"}))
    data = expense_input(
        r, {"voucherNumber": "B-1", "totalGrossAmount": 11.9, "voucherDate": "2026-11-01T00:00:00.000+01:00"}
    )
    assert isinstance(data, dict)
    assert (data["voucher_number"], data["voucher_date"], data["items"][0]["amount"]) == ("B-1", "2026-11-01", "11.9")


def test_every_deployment_points_at_a_flow() -> None:
    specs = deployment_specs()
    assert {s["entrypoint"].split(":")[1] for s in specs} >= {
        "crm_lead_to_customer", "create_approve_send_invoice", "log_expense", "sync_history", "dunning_run",
        "duplicate_contacts_report", "reconcile_payments",
    }  # fmt: skip
    for s in specs:
        if "reconcile_payments" in s["entrypoint"]:
            continue  # the banking engineer's flow; `lexflow serve` skips it until it exists
        assert load_flow(s["entrypoint"]).name.replace("-", "_") == s["entrypoint"].split(":")[1]


def test_serve_builds_every_deployment_with_its_schedule() -> None:
    from lexflow.prefect.serving import runner_deployments

    deps = runner_deployments()
    by_name = {(d.flow_name, d.name): d for d in deps}
    assert len(deps) == len(deployment_specs())
    sync = by_name[("sync-history", "nightly")]
    assert [s.schedule.cron for s in sync.schedules] == ["30 2 * * *"]
    assert by_name[("dunning-run", "weekly")].parameters["min_days_overdue"] == 14


def test_smtp_password_never_in_a_flow_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    from lexflow.prefect.flow import smtp_url

    with pytest.raises(ValueError, match="Secret block"):
        smtp_url("smtp://user:geheim@mail.example:587")
    assert smtp_url("smtp://127.0.0.1:2525") == "smtp://127.0.0.1:2525"
    monkeypatch.setenv("LEXFLOW_SMTP_URL", "smtp://u:p@mail.example:587?starttls=true")
    assert smtp_url(None).endswith("starttls=true")
    monkeypatch.delenv("LEXFLOW_SMTP_URL")
    with pytest.raises(ValueError, match="no SMTP server"):
        smtp_url(None)


_VALIDATE_IN_FRESH_PROCESS = """
import sys, cloudpickle
failed = []
for flow, params in cloudpickle.loads(open(sys.argv[1], "rb").read()):
    try:
        flow.validate_parameters(params)
    except Exception as exc:
        failed.append(f"{flow.name}: {exc}")
print("\\n".join(failed))
"""


def test_served_flows_validate_their_parameters_in_the_runner_process(tmp_path: Path) -> None:
    """`serve()` ships each flow to its run process with cloudpickle, which keeps only the globals the function body
    uses: a parameter annotated with a string naming a module-level model (`from __future__ import annotations`)
    cannot be resolved there and every served run fails before it starts."""
    import subprocess
    import sys

    import cloudpickle

    samples: dict[str, dict[str, Any]] = {
        "crm_lead_to_customer": {"source": [{"id": "L1", "company": "Alpha GmbH"}]},
        "create_approve_send_invoice": {
            "request": {"email": "a@b.de", "lines": [{"name": "Beratung", "unit_price": "100", "tax": "standard"}]}
        },
        "log_expense": {"receipts": [{"path": "beleg.pdf", "total_gross": "11.90"}]},
        "dunning_run": {"as_of": "2026-11-24"},
    }
    flows = []
    for spec in deployment_specs():
        attr = spec["entrypoint"].split(":")[1]
        try:
            fl = load_flow(spec["entrypoint"])
        except (ImportError, AttributeError):
            continue
        flows.append((fl, {**(spec.get("parameters") or {}), **samples.get(attr, {})}))
    assert len(flows) >= 6
    pickled = tmp_path / "flows.pkl"
    pickled.write_bytes(cloudpickle.dumps(flows))
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", _VALIDATE_IN_FRESH_PROCESS, str(pickled)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == ""


def test_demo_without_keep_ends_after_the_summary() -> None:
    """`make demo` (no KEEP=1) must end, not hold the server up forever (the sleep loop is for `--keep` only)."""
    import threading

    from lexflow.prefect.demo import linger

    done = threading.Thread(target=linger, args=(False, "http://127.0.0.1:1"), daemon=True)
    done.start()
    done.join(2)
    assert not done.is_alive()
