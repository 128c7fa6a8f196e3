"""Small helpers the flows share (no business logic: that lives in `lexflow.actions`)."""

from __future__ import annotations

from typing import Any


def ui_url() -> str | None:
    """Prefect UI link of the current flow run (None outside a run or without PREFECT_UI_URL/API URL)."""
    from prefect.runtime import flow_run

    return flow_run.ui_url


def table_artifact(key: str, rows: list[dict[str, Any]], description: str) -> None:
    """A table artifact (keys must be lowercase-dash, notes §8); an empty table still gets one explanatory row."""
    from prefect.artifacts import create_table_artifact

    create_table_artifact(table=rows or [{"result": "nothing to report"}], key=key, description=description)


def markdown_artifact(key: str, markdown: str, description: str) -> None:
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(markdown=markdown, key=key, description=description)


def wait_for_paused_run(flow_name: str, timeout: float = 30.0, exclude: set[str] | None = None) -> str:
    """Id of a PAUSED run of this flow (used by the demo and the tests to answer an approval like a person)."""
    import time

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
