"""`lexflow sandbox ...` commands."""

import typer

app = typer.Typer(help="Run and drive the embedded Lexware Office sandbox.", no_args_is_help=True)
