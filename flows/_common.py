"""Small helpers the flows share (no business logic: that lives in `lexflow.actions`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from prefect import Flow
from pydantic import AfterValidator, Field

from flows import failures
from lexflow.audit import install_log_redaction, redact_secrets

failures.install()
install_log_redaction()  # every flow process: run logs reach Prefect's database redacted

F = TypeVar("F", bound=Callable[..., Any])

# JSON Schema patterns (Python `re`, which the Prefect server's schema check uses) for parameters that would
# otherwise carry a secret or an IBAN into Prefect's database: a deployment run with one is refused at creation.
NO_URL_PASSWORD = r"^(?![A-Za-z][A-Za-z0-9+.\-]*://[^/?#@\s]*:[^/?#@\s]*@)"
NO_IBAN = r"^(?![\s\S]*(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30})"
_IBAN_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}")


def _no_url_password(value: str) -> str:
    from urllib.parse import urlsplit

    if urlsplit(value).password:
        raise ValueError(
            "a password in a flow parameter would be stored and shown by Prefect; put the URL in a Secret block "
            "(smtp_secret=...) or in LEXFLOW_SMTP_URL on the worker"
        )
    return value


def _no_iban(value: str) -> str:
    if _IBAN_LIKE.search(value):
        raise ValueError("looks like an IBAN; CRM records passed as parameters must not carry bank details")
    return value


SmtpUrl = Annotated[
    str,
    AfterValidator(_no_url_password),
    Field(json_schema_extra={"pattern": NO_URL_PASSWORD}, description="smtp://host:port, without credentials."),
]
"""An SMTP URL without a password: Prefect stores flow parameters in plain text."""

CrmText = Annotated[str, AfterValidator(_no_iban), Field(json_schema_extra={"pattern": NO_IBAN})]
CrmRecord = dict[str, CrmText | int | float | bool | None]
"""One inline CRM record as a flow parameter: flat values, no IBAN-shaped text (it would be stored by Prefect)."""


class LexflowFlow(Flow[Any, Any]):
    """A Prefect flow whose parameters are stored with secrets and IBANs redacted.

    Prefect stores a direct call's parameters *before* validating them (a deployment run's are checked against
    the parameter schema first, which refuses `SmtpUrl`/`CrmText` violations). The function itself still gets the
    values it was called with; only the stored copy is redacted.
    """

    def serialize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return redact_secrets(super().serialize_parameters(parameters))  # type: ignore[no-any-return]


def lexflow_flow(**options: Any) -> Callable[[F], F]:
    """`@flow(...)` for lexflow's flows: a `LexflowFlow` with the same options."""

    def decorate(fn: F) -> F:
        return LexflowFlow(fn=fn, **options)  # type: ignore[return-value]

    return decorate


def table_artifact(key: str, rows: list[dict[str, Any]], description: str) -> None:
    """A table artifact (keys must be lowercase-dash, docs/prefect.md#artifacts); an empty table still gets one explanatory row."""
    from prefect.artifacts import create_table_artifact

    rows = redact_secrets(rows) or [{"result": "nothing to report"}]  # artifacts are stored in Prefect's database
    create_table_artifact(table=rows, key=key, description=redact_secrets(description))


def markdown_artifact(key: str, markdown: str, description: str) -> None:
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(markdown=redact_secrets(markdown), key=key, description=redact_secrets(description))


def wait_for_paused_run(flow_name: str, timeout: float = 30.0, exclude: set[str] | None = None) -> str:
    """Id of a PAUSED run of this flow (used by the demo and the tests to answer an approval like a person)."""
    import time

    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                flow_run_filter=FlowRunFilter(state={"type": {"any_": ["PAUSED"]}}),  # type: ignore[arg-type]
            )
            for run in runs:
                if str(run.id) not in (exclude or set()):
                    return str(run.id)
            time.sleep(0.1)
    raise TimeoutError(f"no paused run of {flow_name!r} within {timeout}s")


def smtp_url(param: str | None, secret_block: str | None = None) -> str:
    """The SMTP URL: a flow parameter without credentials, a Prefect `Secret` block, or `LEXFLOW_SMTP_URL`.

    Flow parameters are stored in plain text by Prefect and shown in the UI, so a URL with a password is refused
    there; put it in a Secret block (`Secret(value="smtp://user:pass@host:587?starttls=true").save("smtp")`) or the
    environment of the worker.
    """
    import os
    from urllib.parse import urlsplit

    if param:
        if urlsplit(param).password:
            raise ValueError(
                "smtp_url: a password in a flow parameter would be stored and shown by Prefect; put the URL in a "
                "Secret block (smtp_secret=...) or in LEXFLOW_SMTP_URL on the worker"
            )
        return param
    if secret_block:
        from prefect.blocks.system import Secret

        return str(Secret.load(secret_block).get())  # type: ignore[union-attr]
    env = os.environ.get("LEXFLOW_SMTP_URL")
    if env:
        return env
    raise ValueError(
        "no SMTP server: pass smtp_url (no credentials), smtp_secret (a Secret block) or set LEXFLOW_SMTP_URL"
    )


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


#: Seconds between the attempts of a Slack notification (three attempts in all); tests make them short.
NOTIFY_RETRY_DELAYS: list[float] = [5.0, 30.0]


def notify_slack(text: str) -> str | None:
    """Post `text` to the Slack channel of the approvals settings, retried; never fails the run.

    A notification reports work that is already done (drafts created, transactions matched), so Slack being down
    must not turn that run red. Returns None when posted or Slack is not configured, else a warning sentence that
    names Slack and what to check; the caller logs it and puts it in its artifact."""
    import time

    from lexflow.approvals.settings import SlackApprovalSettings

    try:
        cfg = SlackApprovalSettings()
        if not cfg.slack_configured:
            return None
    except Exception as exc:  # bad settings: still only a notification problem
        return (
            f"Slack notification not sent: the Slack settings are invalid ({exc}); check the LEXFLOW_SLACK_* variables"
        )
    error: Exception | None = None
    for delay in [0.0, *NOTIFY_RETRY_DELAYS]:
        time.sleep(delay)
        try:
            cfg.web_client().chat_postMessage(channel=str(cfg.channel), text=text)
            return None
        except Exception as exc:  # slack_sdk errors, connection refused, timeouts: all the same to the run
            error = exc
    return (
        f"Slack notification failed after {1 + len(NOTIFY_RETRY_DELAYS)} attempts ({type(error).__name__}: "
        f"{_short(error)}); the finished work is not affected. Check that Slack is reachable (status.slack.com), "
        f"that LEXFLOW_SLACK_BOT_TOKEN is valid and the bot is a member of channel {cfg.channel}."
    )


def _short(exc: BaseException | None, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def invoice_outcome_artifact(
    number: str | None, invoice_id: str, gross: str, recipient: str, message_id: str, approver: str
) -> None:
    """What the invoice run achieved, for the person looking at it in the UI: number, amount, where it went."""
    from lexflow.client.deeplinks import link_for
    from lexflow.formatting import eur
    from tasks.common import get_client

    link = link_for(get_client(), "invoices", invoice_id)
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
