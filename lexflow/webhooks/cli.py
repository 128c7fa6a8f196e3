"""`lexflow webhooks ...` commands."""

import typer

app = typer.Typer(help="webhooks commands", no_args_is_help=True)
