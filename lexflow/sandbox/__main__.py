"""`python -m lexflow.sandbox serve ...` (the same as `lexflow sandbox serve`, without importing the whole CLI)."""

from lexflow.sandbox.cli import app

app()
