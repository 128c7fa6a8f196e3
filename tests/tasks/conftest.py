"""Task tests share the flows' Prefect fixture (one harness per session)."""

from tests.flows.conftest import database_url, prefect_flows

__all__ = ["database_url", "prefect_flows"]
