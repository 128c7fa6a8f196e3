"""`lexflow sandbox seed`: data for every deployment on the first run, in the embedded sandbox and on disk.

The embedded sandbox (the backend while no API key is set) gets a realistic company: customers, open, overdue and
part-paid invoices, expenses (`lexflow.lexware.sandbox.seed`). Next to it, the files the deployments of
`deployments/prefect.yaml` read are written where they look: a bank statement paying some of those invoices
(`LEXFLOW_STATEMENT_DIR`, default `.lexflow/statements`, read by `reconcile-payments/daily`), a CRM export
(`exports/crm-leads.csv`, read by `crm-lead-to-customer/hourly`) and a receipt (`.lexflow/inbox/beleg.pdf` for a
quick run of `log-expense/on-upload`). Never against a real account: it refuses when an API key or OAuth is set.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lexflow.settings import runtime_settings

CRM_EXPORT = Path("exports/crm-leads.csv")
RECEIPT = Path(".lexflow/inbox/beleg.pdf")
SAMPLE_CRM_EXPORT = (
    "id,company,email,street,zip,city\n"
    "CRM-101,Nordlicht Design GmbH,buchhaltung@nordlicht.example,Hafenstr. 3,20457,Hamburg\n"
    "CRM-102,Bergwerk Software AG,rechnung@bergwerk.example,Zechenweg 9,44137,Dortmund\n"
    "CRM-103,Nordlicht Design (Zweitkontakt),Buchhaltung@Nordlicht.example,,,\n"
    "CRM-104,Kaffeerösterei Süd,kontakt@kaffee-sued.example,Marktplatz 1,80331,München\n"
)
"""Four leads, one of them a second CRM record of the first company (the flow flags it for review)."""


class Seeded(BaseModel):
    """What `seed_for_deployments` created and wrote."""

    counts: dict[str, Any]
    statement: Path
    statement_transactions: int
    crm_export: Path
    receipt: Path | None = None


def sample_receipt(
    path: Path, number: str = "BB-2026-117", gross: str = "59.50", vendor: str = "Bürobedarf AG"
) -> Path:
    """A one-page receipt PDF (made at run time, so the repository holds no binary blob)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, vendor, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in (
        f"Rechnung Nr. {number}",
        f"Datum: {date.today():%d.%m.%Y}",
        "1 x Druckerpapier A4, 5 Pakete",
        f"Gesamt brutto: {gross} EUR (inkl. 19 % USt)",
    ):
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def statement_dir() -> Path:
    return Path(runtime_settings().statement_dir)


def seed_for_deployments(
    *, vouchers: int = 120, seed: int = 42, reset: bool = False, base: Path | None = None
) -> Seeded:
    """Seed the embedded sandbox of the settings and write the deployments' input files under `base` (cwd)."""
    import httpx

    from lexflow.lexware.client import SANDBOX_BASE_URL, _sandbox_app
    from lexflow.settings import get_settings
    from lexflow.testing.sandbox_control import SandboxControl
    from lexflow.transport.bridge import SyncASGITransport

    settings = get_settings()
    if not settings.uses_sandbox:
        raise RuntimeError(
            "lexflow sandbox seed fills the embedded sandbox only; LEXWARE_API_KEY (or OAuth) is set, so commands "
            "talk to a real Lexware Office account. Unset it to use the sandbox."
        )
    base = base or Path.cwd()
    app, key = _sandbox_app(settings)
    transport = SyncASGITransport(app)
    try:
        with httpx.Client(transport=transport, base_url=SANDBOX_BASE_URL, timeout=300) as http:
            control = SandboxControl(http, key)
            if reset:
                control.reset()
            counts = control.seed(vouchers=vouchers, seed=seed)
            export = control.bank_statement(format="camt053", noise=True, seed=seed)
    finally:
        transport.close()
    statement = base / statement_dir() / "sandbox-statement.xml"
    statement.parent.mkdir(parents=True, exist_ok=True)
    statement.write_text(export["statement"], encoding="utf-8")
    crm = base / CRM_EXPORT
    crm.parent.mkdir(parents=True, exist_ok=True)
    crm.write_text(SAMPLE_CRM_EXPORT, encoding="utf-8")
    receipt = sample_receipt(base / RECEIPT)
    return Seeded(
        counts=counts,
        statement=statement,
        statement_transactions=len(export["groundTruth"]),
        crm_export=crm,
        receipt=receipt,
    )
