"""`lexflow approvals ...`: serve the Slack receiver, list requests, run one expiry/reminder sweep."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Slack approvals: buttons that resume paused flow runs.", no_args_is_help=True)


def _console() -> Console:
    return Console(soft_wrap=True)


DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Pending requests store [default: LEXFLOW_SLACK_DATABASE_URL / LEXFLOW_DATABASE_URL]"
    ),
]


def _settings(database_url: str | None):  # type: ignore[no-untyped-def]
    from lexflow.approvals.settings import SlackApprovalSettings

    settings = SlackApprovalSettings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface; put a TLS proxy in front for Slack (HTTPS only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 3000,
    path: Annotated[str, typer.Option(help="Interactivity Request URL path")] = "/slack/events",
    socket_mode: Annotated[
        bool, typer.Option("--socket-mode", help="Connect out with the app-level token instead of serving HTTP")
    ] = False,
    sweep_interval: Annotated[float, typer.Option(help="Seconds between expiry/reminder sweeps (0: off)")] = 5.0,
    database_url: DatabaseOption = None,
) -> None:
    """Receive button clicks and reason modals; resume the flow runs; update the messages.

    Needs LEXFLOW_SLACK_BOT_TOKEN, LEXFLOW_SLACK_SIGNING_SECRET (HTTP) or LEXFLOW_SLACK_APP_TOKEN (--socket-mode),
    and PREFECT_API_URL pointing at the Prefect server the flows run against.
    """
    from lexflow.audit import install_log_redaction

    install_log_redaction()  # a long-running receiver: whatever it logs is redacted first
    settings = _settings(database_url)
    if settings.bot_token is None:
        raise typer.BadParameter("set LEXFLOW_SLACK_BOT_TOKEN (xoxb-…)", param_hint="LEXFLOW_SLACK_BOT_TOKEN")
    if socket_mode:
        from lexflow.approvals.receiver import socket_mode_handler, sweeper_for

        try:
            handler = socket_mode_handler(settings)
        except RuntimeError as exc:
            raise typer.BadParameter(str(exc), param_hint="--socket-mode") from None
        sweeper = sweeper_for(handler.app, sweep_interval)
        _console().print("Socket Mode: connecting to Slack with the app-level token", highlight=False)
        if sweeper:
            sweeper.start()
        handler.start()
        return
    import uvicorn

    from lexflow.approvals.receiver import create_receiver_app

    if settings.signing_secret is None:
        raise typer.BadParameter(
            "set LEXFLOW_SLACK_SIGNING_SECRET (or use --socket-mode)", param_hint="LEXFLOW_SLACK_SIGNING_SECRET"
        )
    receiver = create_receiver_app(settings, path=path, sweep_interval=sweep_interval or None)
    _console().print(
        f"receiving Slack interactivity on http://{host}:{port}{path} (Slack API {settings.base_url}; "
        f"channel {settings.channel or '-'}; {len(settings.approvers)} default approvers)",
        highlight=False,
    )
    uvicorn.run(receiver, host=host, port=port, log_level="info")


@app.command("list")
def list_requests(
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 20,
    database_url: DatabaseOption = None,
) -> None:
    """Decision requests and what became of them."""
    from lexflow.approvals.store import ApprovalStore

    store = ApprovalStore(_settings(database_url).database_url)
    table = Table("created", "subject", "state", "by", "expires", "flow run")
    for p in store.list(limit):
        table.add_row(
            f"{p.created_at:%Y-%m-%d %H:%M}",
            p.subject,
            p.state,
            p.decided_by or "",
            f"{p.expires_at:%Y-%m-%d %H:%M}",
            p.flow_run_id or "",
        )
    _console().print(table)


@app.command()
def grant(
    action: Annotated[str, typer.Argument(help="The action to allow, e.g. create_invoice.")],
    input: Annotated[str, typer.Option("--input", "-i", help="Its exact input: JSON, @file.json or @- for stdin.")],
    by: Annotated[str, typer.Option("--by", help="Who approves (recorded in the store and the audit trail).")],
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    valid_minutes: Annotated[int, typer.Option(min=1, max=7 * 24 * 60, help="Usable for this long, once.")] = 60,
    database_url: DatabaseOption = None,
) -> None:
    """Approve one exact call (action and input) and print its reference for `--approval-ref` / `approval_ref`.

    The approval allows only this action with exactly this input (after validation), once, within
    --valid-minutes. Whoever can run this can approve: keep the database writable only by approvers.
    """
    from datetime import timedelta

    from lexflow.actions import ActionError
    from lexflow.actions.approvals import grant as grant_call
    from lexflow.actions.cli import _read_input

    try:
        ref = grant_call(
            action,
            _read_input(input),
            approver=by,
            reason=reason or None,
            use_within=timedelta(minutes=valid_minutes),
            url=_settings(database_url).database_url,
        )
    except ActionError as exc:
        typer.echo(f"{exc.code}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(ref)


@app.command()
def sweep(database_url: DatabaseOption = None) -> None:
    """Expire overdue requests and send half-time reminders once (the receiver does this every few seconds)."""
    from lexflow.approvals.service import Decider

    result = Decider(_settings(database_url)).sweep()
    _console().print(f"expired {result['expired']}, reminded {result['reminded']}", highlight=False)
