"""Pausing a flow run until typed input arrives, and resuming it: written once for approvals and webhook events.

A run that asks (a Slack message, a registered event waiter) is on its way into its pause when the answer may
already come: the run is still running, or Prefect has stored the PAUSED state but not yet the input form. A resume
in that moment is "not paused yet" (`RunNotPausedYet`), which the caller retries; a run that finished or was deleted
is "not paused" for good (`RunNotPaused`). Prefect is imported inside the functions, so the webhook receiver and
worker can import this module without it.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel

from lexflow.errors import LexflowError

__all__ = ["RunNotPaused", "RunNotPausedYet", "resume_run", "wait_for_input", "wait_for_paused_run"]

M = TypeVar("M", bound=BaseModel)


class RunNotPausedYet(LexflowError, RuntimeError):
    """The run is not paused yet (running, pending, scheduled, or paused a moment ago without its input form):
    try again shortly. `state`: the run's state when it was read (None: paused, form not stored yet)."""

    def __init__(self, message: str, state: Any = None) -> None:
        super().__init__(message)
        self.state = state


class RunNotPaused(LexflowError, RuntimeError):
    """The run will not take the input: it finished (`state`) or was deleted (`state` None)."""

    def __init__(self, message: str, state: Any = None) -> None:
        super().__init__(message)
        self.state = state


def wait_for_input(
    model: type[M],
    *,
    key: str,
    timeout: int,
    poll_interval: float | None = None,
    suspend: bool = False,
    description: str | None = None,
) -> M:
    """Pause the current run until it is resumed with `model`'s fields (the Prefect UI shows them as a form, with
    `description` above); returns them validated. `suspend`: the process exits and a worker resumes the run later
    (deployments only). Raises `prefect.exceptions.FlowPauseTimeout` after `timeout` seconds."""
    from prefect.flow_runs import pause_flow_run, suspend_flow_run
    from prefect.input import RunInput

    form: Any = model
    if description is not None and issubclass(model, RunInput):
        form = model.with_initial_data(description=description)
    if suspend:
        received = suspend_flow_run(wait_for_input=form, timeout=timeout, key=key)
    else:
        options: dict[str, Any] = {"poll_interval": poll_interval} if poll_interval is not None else {}
        received = pause_flow_run(wait_for_input=form, timeout=timeout, key=key, **options)
    return model.model_validate(received.model_dump(include=set(model.model_fields)))


def resume_run(flow_run_id: str | UUID, run_input: dict[str, Any]) -> None:
    """Resume a paused run with `run_input`.

    Raises `RunNotPausedYet` while the run is on its way into its pause, `RunNotPaused` when it finished or was
    deleted, `prefect.exceptions.FlowPauseTimeout` when its pause timed out, and RuntimeError when Prefect refuses
    the input."""
    from prefect.exceptions import NotPausedError, ObjectNotFound
    from prefect.flow_runs import resume_flow_run

    run_id = UUID(str(flow_run_id))
    try:
        resume_flow_run(run_id, run_input=run_input)
    except RuntimeError as exc:  # REJECT "Run input schema not found.": paused a moment ago, form not stored yet
        if "schema not found" in str(exc):
            raise RunNotPausedYet(f"flow run {run_id} cannot take the input yet: {exc}") from exc
        raise
    except (NotPausedError, ObjectNotFound) as exc:
        state = _state(run_id)
        if state is None or state.is_final():
            what = state.type.value if state is not None else "deleted"
            raise RunNotPaused(f"flow run {run_id} is no longer paused ({what})", state) from exc
        raise RunNotPausedYet(f"flow run {run_id} is {state.type.value}, not paused yet", state) from exc


def _state(run_id: UUID) -> Any:
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            return client.read_flow_run(run_id).state
        except ObjectNotFound:
            return None


def wait_for_paused_run(flow_name: str, timeout: float = 30.0, exclude: set[str] | None = None) -> str:
    """Id of a PAUSED run of this flow (used by the demo and the tests to answer an approval like a person)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                flow_run_filter=FlowRunFilter(state={"type": {"any_": ["PAUSED"]}}),  # type: ignore[arg-type]
            )
            for run in runs:
                if str(run.id) not in (exclude or set()):
                    return str(run.id)
            time.sleep(0.1)
    raise TimeoutError(f"no paused run of {flow_name!r} within {timeout}s")
