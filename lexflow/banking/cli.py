"""`lexflow banking ...` commands."""

import typer

app = typer.Typer(help="banking commands", no_args_is_help=True)
