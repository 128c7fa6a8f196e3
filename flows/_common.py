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
