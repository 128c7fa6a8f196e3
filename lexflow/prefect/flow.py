"""What makes a Prefect flow a lexflow flow: stored parameters redacted, expected failures logged in one line,
parameter types that keep secrets and IBANs out of Prefect's database, and where the SMTP URL comes from."""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from prefect import Flow
from pydantic import AfterValidator, Field

from lexflow.audit import install_log_redaction, redact_secrets
from lexflow.prefect import failures
from lexflow.settings import runtime_settings

failures.install()
install_log_redaction()  # every flow process: run logs reach Prefect's database redacted

F = TypeVar("F", bound=Callable[..., Any])

# JSON Schema patterns (Python `re`, which the Prefect server's schema check uses) for parameters that would
# otherwise carry a secret or an IBAN into Prefect's database: a deployment run with one is refused at creation.
NO_URL_PASSWORD = r"^(?![A-Za-z][A-Za-z0-9+.\-]*://[^/?#@\s]*:[^/?#@\s]*@)"
NO_IBAN = r"^(?![\s\S]*(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30})"
_IBAN_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}")


def _no_url_password(value: str) -> str:
    from urllib.parse import urlsplit

    if urlsplit(value).password:
        raise ValueError(
            "a password in a flow parameter would be stored and shown by Prefect; put the URL in a Secret block "
            "(smtp_secret=...) or in LEXFLOW_SMTP_URL on the worker"
        )
    return value


def _no_iban(value: str) -> str:
    if _IBAN_LIKE.search(value):
        raise ValueError("looks like an IBAN; CRM records passed as parameters must not carry bank details")
    return value


SmtpUrl = Annotated[
    str,
    AfterValidator(_no_url_password),
    Field(json_schema_extra={"pattern": NO_URL_PASSWORD}, description="smtp://host:port, without credentials."),
]
"""An SMTP URL without a password: Prefect stores flow parameters in plain text."""

CrmText = Annotated[str, AfterValidator(_no_iban), Field(json_schema_extra={"pattern": NO_IBAN})]
CrmRecord = dict[str, CrmText | int | float | bool | None]
"""One inline CRM record as a flow parameter: flat values, no IBAN-shaped text (it would be stored by Prefect)."""


class LexflowFlow(Flow[Any, Any]):
    """A Prefect flow whose parameters and return value are stored with secrets and IBANs redacted.

    Prefect stores a direct call's parameters *before* validating them (a deployment run's are checked against
    the parameter schema first, which refuses `SmtpUrl`/`CrmText` violations). The function itself still gets the
    values it was called with; only the stored copy is redacted. Its return value is persisted unencrypted in
    result storage (docs/prefect.md#results-and-caching), so the flow returns it redacted: a CRM name or a
    statement line with an IBAN in it comes back as `[iban ...32]`, to the caller and to the store alike.
    """

    def __init__(self, fn: Callable[..., Any], **options: Any) -> None:
        super().__init__(fn=fn, **options)  # version, entry point and parameter schema from the function itself
        self.fn = _returning_redacted(fn)

    def serialize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return redact_secrets(super().serialize_parameters(parameters))  # type: ignore[no-any-return]


def _returning_redacted(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` with its return value redacted. The wrapper gets `fn`'s module globals, because Prefect validates
    parameters against the wrapper's annotations, resolved in its globals (`date` of the flow's module)."""
    if getattr(fn, "_lexflow_redacts", False):
        return fn

    def closure(fn: Callable[..., Any] = fn, redact: Callable[[Any], Any] = redact_secrets) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            return redact(fn(*args, **kwargs))

        return run

    inner = closure()
    run = types.FunctionType(inner.__code__, fn.__globals__, fn.__name__, None, inner.__closure__)
    functools.update_wrapper(run, fn)
    run._lexflow_redacts = True  # type: ignore[attr-defined]
    return run


def lexflow_flow(**options: Any) -> Callable[[F], F]:
    """`@flow(...)` for lexflow's flows: a `LexflowFlow` with the same options."""

    def decorate(fn: F) -> F:
        return LexflowFlow(fn=fn, **options)  # type: ignore[return-value]

    return decorate


def smtp_url(param: str | None, secret_block: str | None = None) -> str:
    """The SMTP URL: a flow parameter without credentials, a Prefect `Secret` block, or `LEXFLOW_SMTP_URL`.

    Flow parameters are stored in plain text by Prefect and shown in the UI, so a URL with a password is refused
    there; put it in a Secret block (`Secret(value="smtp://user:pass@host:587?starttls=true").save("smtp")`) or the
    environment of the worker.
    """
    from urllib.parse import urlsplit

    if param:
        if urlsplit(param).password:
            raise ValueError(
                "smtp_url: a password in a flow parameter would be stored and shown by Prefect; put the URL in a "
                "Secret block (smtp_secret=...) or in LEXFLOW_SMTP_URL on the worker"
            )
        return param
    if secret_block:
        from prefect.blocks.system import Secret

        return str(Secret.load(secret_block).get())  # type: ignore[union-attr]
    env = runtime_settings().smtp_url
    if env is not None and env.get_secret_value():
        return env.get_secret_value()
    raise ValueError(
        "no SMTP server: pass smtp_url (no credentials), smtp_secret (a Secret block) or set LEXFLOW_SMTP_URL"
    )
