"""`lexflow actions ...` commands."""

import typer

app = typer.Typer(help="actions commands", no_args_is_help=True)
