"""`lexflow approvals ...` commands."""

import typer

app = typer.Typer(help="approvals commands", no_args_is_help=True)
