"""Run a flow that pauses for an approval in a thread, and answer it the way the Slack receiver does."""

from __future__ import annotations

import contextvars
import threading
import time
import uuid
from typing import Any

from lexflow.prefect.pausing import wait_for_paused_run


def run_paused(fn: Any, decide: dict[str, Any], flow_name: str, **kwargs: Any) -> Any:
    """Run a flow in a thread, answer its approval through the same API the Slack receiver uses, return its state."""
    from prefect.flow_runs import resume_flow_run

    box: dict[str, Any] = {}
    # in this test's context: a new thread would not see its Prefect settings (e.g. where results are kept)
    context = contextvars.copy_context()
    t = threading.Thread(target=lambda: box.setdefault("state", context.run(fn, **kwargs, return_state=True)))
    t.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            run_id = wait_for_paused_run(flow_name, timeout=0.5)
            break
        except TimeoutError:
            if not t.is_alive():
                return box["state"]  # ended before asking (the assertions will say why)
            if time.monotonic() > deadline:
                raise
    resume_flow_run(uuid.UUID(run_id), run_input=decide)
    t.join(60)
    return box["state"]
