"""Artifacts a run leaves in the Prefect UI, always redacted (artifacts are stored in Prefect's database)."""

from __future__ import annotations

from typing import Any

from lexflow.audit import redact_secrets


def table_artifact(key: str, rows: list[dict[str, Any]], description: str) -> None:
    """A table artifact (keys must be lowercase-dash, docs/prefect.md#artifacts); an empty table still gets one
    explanatory row."""
    from prefect.artifacts import create_table_artifact

    rows = redact_secrets(rows) or [{"result": "nothing to report"}]  # artifacts are stored in Prefect's database
    create_table_artifact(table=rows, key=key, description=redact_secrets(description))


def markdown_artifact(key: str, markdown: str, description: str) -> None:
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(markdown=redact_secrets(markdown), key=key, description=redact_secrets(description))


def audit_artifact() -> int:
    """Attach the run's audit records (redacted, from `lexflow.audit`) as a table artifact; returns how many."""
    from prefect.runtime import flow_run

    from lexflow.audit import flow_run_rows

    if not flow_run.id:
        return 0
    rows = flow_run_rows(str(flow_run.id))
    name = (flow_run.flow_name or "flow").lower()
    table_artifact(f"audit-{name}", rows, f"Audited actions of this run of {name}")
    return len(rows)


def invoice_outcome_artifact(
    number: str | None, invoice_id: str, gross: str, recipient: str, message_id: str, approver: str, link: str | None
) -> None:
    """What the invoice run achieved, for the person looking at it in the UI: number, amount, where it went
    (`link`: the invoice in the web app, None on the sandbox)."""
    from lexflow.formatting import eur

    rows = [
        ("Invoice", number or invoice_id),
        ("Gross", eur(gross)),
        ("Approved by", approver),
        ("Mailed to", recipient),
        ("Message-ID", f"`{message_id}`"),
        ("Open", f"[in Lexware Office]({link})" if link else f"sandbox invoice `{invoice_id}` (no web app)"),
    ]
    table = "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    markdown_artifact("invoice-outcome", table, f"Invoice {number or invoice_id} for {eur(gross)} sent to {recipient}")


def bar_chart(title: str, values: list[tuple[str, Any]], width: int = 30) -> str:
    """A markdown table with a bar per value (`█`), for artifacts a person would rather look at than read."""
    from decimal import Decimal

    from lexflow.formatting import eur

    amounts = [(label, Decimal(str(v))) for label, v in values]
    top = max((v for _, v in amounts), default=Decimal("0"))
    lines = [f"**{title}**", "", "| | amount | |", "|---|---:|---|"]
    for label, v in amounts:
        bar = "█" * (round(width * v / top) if top > 0 else 0)
        lines.append(f"| {label} | {eur(v)} | {bar or '·'} |")
    return "\n".join(lines)
