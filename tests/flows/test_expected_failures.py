"""An expected business failure is logged as one clear line, without the traceback and without Prefect's
"Engine execution exited with unexpected exception" repeat; an unexpected error keeps its traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.prefect,
    pytest.mark.filterwarnings("ignore:Logger 'prefect.flow_runs' attempted to send logs"),  # no run id outside
]


class _Collect(logging.Filter):
    """Records as the run loggers' handlers get them (a filter: Prefect may reconfigure the handlers mid-test)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.records.append(record)
        return True


@pytest.fixture
def run_records() -> Iterator[list[logging.LogRecord]]:
    import lexflow.prefect.flow  # noqa: F401  (installs the expected-failure filter first, as every flow does)

    collect = _Collect()
    loggers = [logging.getLogger(n) for n in ("prefect.flow_runs", "prefect.task_runs")]
    for lg in loggers:
        lg.addFilter(collect)
    yield collect.records
    for lg in loggers:
        lg.removeFilter(collect)


def _run_as_a_worker_would(fn: object) -> None:
    """`prefect.flow_engine.run_flow` with the run logger as error logger, as a worker or `serve` process calls it."""
    from prefect import flow
    from prefect.flow_engine import run_flow

    wrapped = flow(name="failing")(fn)  # type: ignore[call-overload]
    with pytest.raises(Exception):  # noqa: B017 (both kinds are expected to raise)
        run_flow(wrapped, error_logger=logging.getLogger("prefect.flow_runs"))


def test_no_smtp_server_is_one_line_without_traceback(
    prefect_flows: Path, run_records: list[logging.LogRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lexflow.prefect.flow import smtp_url

    monkeypatch.delenv("LEXFLOW_SMTP_URL", raising=False)
    _run_as_a_worker_would(lambda: smtp_url(None))
    errors = [r for r in run_records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors if "no SMTP server" in r.getMessage()], errors
    assert all(r.exc_info is None for r in errors)
    assert not [r for r in run_records if "Engine execution exited" in r.getMessage()]


def test_an_unexpected_error_keeps_its_traceback(prefect_flows: Path, run_records: list[logging.LogRecord]) -> None:
    def boom() -> None:
        raise ZeroDivisionError("a bug")

    _run_as_a_worker_would(boom)
    assert any(r.exc_info for r in run_records if r.levelno >= logging.ERROR)
    assert [r for r in run_records if "Engine execution exited" in r.getMessage()]
