"""Expected business failures end a run with their one clear message, not three tracebacks.

Prefect logs a failing run's exception with its traceback up to three times (the task, "Encountered exception during
execution", and in a worker or served process "Engine execution exited with unexpected exception"). For errors
lexflow raises on purpose (a missing file, no SMTP server, an invalid tax rate, a refused action, a 4xx answer from
Lexware Office) the traceback says nothing the message does not: this filter drops it, keeps one line per record and
removes the engine's repeat. Unexpected errors keep their tracebacks. Installed when `lexflow.prefect.flow` is imported,
so every flow process has it.
"""

from __future__ import annotations

import logging
from pathlib import Path

#: Prefect's run loggers (a flow's and a task's records go through these).
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
_ENGINE_REPEAT = "Engine execution exited with unexpected exception"
_OWN_CODE = tuple(str(Path(__file__).resolve().parents[2] / d) for d in ("lexflow", "flows", "tasks"))


def is_expected_failure(exc: BaseException) -> bool:
    """True for an error lexflow raised on purpose, whose message already says what is wrong and what to do."""
    from pydantic import ValidationError

    from lexflow.actions.errors import ActionError
    from lexflow.banking.errors import BankingError
    from lexflow.mail.sender import MailError
    from lexflow.transport.errors import LexwareError

    if isinstance(exc, ActionError | BankingError | MailError):
        return True
    if isinstance(exc, LexwareError):
        return exc.status is not None and 400 <= exc.status < 500 and exc.status != 429
    if isinstance(exc, ValueError | OSError | ValidationError):
        return _raised_by_own_code(exc)
    return False


def _raised_by_own_code(exc: BaseException) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return bool(last) and str(last).startswith(_OWN_CODE) and "site-packages" not in str(last)


class ExpectedFailureFilter(logging.Filter):
    """Drops the traceback of expected failures and Prefect's repeat of them (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not is_expected_failure(exc):
            return True
        if record.getMessage().startswith(_ENGINE_REPEAT):
            return False
        what = "Task run" if record.name.startswith("prefect.task_runs") else "Flow run"
        record.msg, record.args = "%s failed: %s", (what, exc)
        record.exc_info, record.exc_text = None, None
        return True


def install() -> None:
    """Add the filter to Prefect's run loggers once per process."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ExpectedFailureFilter) for f in logger.filters):
            logger.addFilter(ExpectedFailureFilter())
