"""The `lexflow` command line. Each subsystem owns its sub-command group in its own `cli.py`.

The groups load lazily: `lexflow --help` and `lexflow sandbox ...` import only what that command needs (the
sandbox pulls in FastAPI, the flows Prefect, the actions the whole client), so the shell answers quickly. Each
entry names where the command lives and its one-line help (a test keeps that line equal to the command's own).
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

#: command name → ("module:attribute", one-line help). A Typer attribute is a group, a function a command.
COMMANDS: dict[str, tuple[str, str]] = {
    "sandbox": ("lexflow.sandbox.cli:app", "Run and drive the embedded Lexware Office sandbox."),
    "dev": ("lexflow.dev:dev_command", "Start the local pieces to try lexflow: sandbox, mail catcher, fake Slack, approvals receiver."),
    "sync": ("lexflow.sync.cli:sync_command", "Sync contacts and documents of the accounting system (--provider / LEXFLOW_PROVIDER) into the local store, by its own change mechanism (no Prefect server needed)."),
    "reconcile": ("lexflow.banking.cli:reconcile_command", "Match a bank statement against open invoices and show the proposals with their reasons."),
    "profile": ("lexflow.lexware.client.cli:profile_command", "Show the account profile (company, tax type, features)."),
    "contacts": ("lexflow.lexware.client.cli:contacts_app", "Contacts (customers and vendors)."),
    "invoices": ("lexflow.lexware.client.cli:invoices_app", "Invoices."),
    "actions": ("lexflow.actions.cli:app", "The action catalogue: list, inspect, run and export agent tools."),
    "profiles": ("lexflow.actions.cli:profiles_app", "Action profiles (scopes, approvals): write the documented examples."),
    "mcp": ("lexflow.actions.cli:mcp_command", "Serve the action catalogue to agents over MCP (stdio or streamable HTTP)."),
    "audit": ("lexflow.audit.cli:app", "Read and verify the hash-chained audit trail."),
    "approvals": ("lexflow.approvals.cli:app", "Slack approvals: buttons that resume paused flow runs."),
    "bank": ("lexflow.banking.cli:app", "Bank statements and payment reconciliation (the Lexware API cannot read bank data)."),
    "webhooks": ("lexflow.webhooks.cli:app", "Webhooks of Lexware Office, Xero and QuickBooks: verified events → durable inbox → flow runs."),
    "prefect": ("lexflow.prefect.cli:prefect_app", "Prepare a Prefect server for lexflow."),
    "serve": ("lexflow.prefect.cli:serve_command", "Serve every deployment of deployments/prefect.yaml from this process (needs PREFECT_API_URL)."),
    "ask": ("lexflow.prefect.asking:ask_command", "Describe the outcome: an agent picks the calls, asks when unclear, and checks the result."),
    "db": ("lexflow.migrations.cli:app", "lexflow's database schema: show its revision, upgrade it, write a migration."),
    "auth": ("lexflow.lexware.client.cli:auth_app", "OAuth2 for a Lexware partner app (LEXWARE_OAUTH_*): log in, show the token status, log out."),
}  # fmt: skip


def load_command(name: str) -> Any:
    """The click command behind `name`, importing its module now."""
    module, attribute = COMMANDS[name][0].split(":")
    target = getattr(import_module(module), attribute)
    parent = typer.Typer(add_completion=False)  # the completion options belong to `lexflow` itself
    if isinstance(target, typer.Typer):
        parent.add_typer(target, name=name)
    else:
        parent.command(name)(target)
    parent.callback()(lambda: None)  # a group even with one command, so the command keeps its name
    return typer.main.get_group(parent).commands[name]


class LazyGroup(TyperGroup):
    """A group whose sub-commands are imported when run; the help lists them from `COMMANDS` without importing."""

    listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if self.listing:
            return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name][1], callback=None)
        return load_command(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(cls=LazyGroup, help="lexflow: Lexware Office bookkeeping automation.", no_args_is_help=True)


PROVIDERS = ("lexware", "sevdesk", "xero", "quickbooks")


@app.callback()
def _root(
    provider: str | None = typer.Option(
        None,
        "--provider",
        help="The accounting system for this command (default: LEXFLOW_PROVIDER, else lexware; docs/providers.md).",
    ),
) -> None:
    """lexflow: Lexware Office bookkeeping automation."""
    if provider and provider.lower() not in PROVIDERS:
        raise typer.BadParameter(f"choose {', '.join(PROVIDERS)}", param_hint="--provider")
    if provider:  # one place every settings model reads, so the choice reaches the whole command
        os.environ["LEXFLOW_PROVIDER"] = provider.lower()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
