"""What every `lexflow` command does alike when an expected error ends it, and when it talks to the API.

An expected error (a `LexwareError`: refused request, missing OAuth tokens, rate limit after retries; or a caller's
own input error) ends a command with one line `error: <message>` on stderr and exit code 1, never a traceback: the
message already says what happened and what to do. The message is escaped, because API errors end in
`[field: code; ...]` lists that rich would read as markup and drop, and secrets are redacted (configured ones by
value, tokens/keys/IBANs by shape) before anything is printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape

__all__ = ["api_client", "error_text", "fail", "print_error", "reported_errors"]


def _configured_secrets() -> list[str]:
    """The values of every secret setting (API key, OAuth client secret, token key), to redact them by value."""
    try:
        from lexflow.settings import get_settings

        settings = get_settings()
    except Exception:  # an invalid environment is not this error: the shape-based redaction still applies
        return []
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [v.get_secret_value() for v in values if isinstance(v, SecretStr)]


def error_text(error: BaseException | str) -> str:
    """The message of `error` with configured secrets and secret-looking values (tokens, keys, IBANs) redacted."""
    from lexflow.audit.redact import redact_text

    return redact_text(str(error), _configured_secrets())


def print_error(error: BaseException | str) -> None:
    """`error: <message>` on stderr, escaped (not read as rich markup) and redacted."""
    Console(stderr=True, soft_wrap=True, highlight=False).print(f"[red]error:[/red] {escape(error_text(error))}")


def fail(error: BaseException | str, *, code: int = 1) -> NoReturn:
    """Print the error (see `print_error`) and end the command with `code` (1; 2 is left to usage errors)."""
    print_error(error)
    raise typer.Exit(code)


@contextmanager
def reported_errors(*expected: type[BaseException]) -> Iterator[None]:
    """A `LexwareError` (or one of `expected`) raised in the block ends the command through `fail`, exit code 1."""
    from lexflow.transport.errors import LexwareError

    kinds: tuple[type[BaseException], ...] = (LexwareError, *expected)
    try:
        yield
    except kinds as exc:
        print_error(exc)
        raise typer.Exit(1) from None


@contextmanager
def api_client(*, stderr: bool = False) -> Iterator[Any]:
    """`lexflow.lexware.client.connect()` from the settings; the first line printed names the backend that answers (on
    stderr with `stderr=True`, so a JSON stdout stays pure). API errors, also while connecting, end the command
    through `reported_errors`."""
    from lexflow.lexware.client import connect

    with reported_errors():
        client = connect()
        Console(stderr=stderr, soft_wrap=True).print(
            f"backend: {client.backend_description}", highlight=False, markup=False
        )
        with client:
            yield client
