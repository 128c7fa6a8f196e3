"""The `lexflow` command line. Each subsystem owns its sub-command group in its own `cli.py`."""

from __future__ import annotations

import typer

from flows.cli import prefect_app, serve_command
from lexflow.actions.cli import app as actions_app
from lexflow.actions.cli import mcp_command
from lexflow.approvals.cli import app as approvals_app
from lexflow.audit.cli import app as audit_app
from lexflow.banking.cli import app as banking_app
from lexflow.banking.cli import reconcile_command
from lexflow.client.cli import auth_app, contacts_app, invoices_app, profile_command
from lexflow.sandbox.cli import app as sandbox_app
from lexflow.sync.cli import sync_command
from lexflow.webhooks.cli import app as webhooks_app

app = typer.Typer(help="lexflow: Lexware Office bookkeeping automation.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(actions_app, name="actions")
app.add_typer(audit_app, name="audit")
app.add_typer(approvals_app, name="approvals")
app.add_typer(banking_app, name="bank")
app.add_typer(webhooks_app, name="webhooks")
app.command("mcp")(mcp_command)
app.command("serve")(serve_command)
app.add_typer(prefect_app, name="prefect")
app.command("sync")(sync_command)
app.command("reconcile")(reconcile_command)
app.command("profile")(profile_command)
app.add_typer(contacts_app, name="contacts")
app.add_typer(invoices_app, name="invoices")
app.add_typer(auth_app, name="auth")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
