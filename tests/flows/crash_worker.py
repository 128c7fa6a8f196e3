"""Run flows in their own processes until `LEXFLOW_CRASH_AT` kills them (SIGKILL) at a step boundary.

Started once by tests/flows/test_crash_matrix.py as `python -m tests.flows.crash_worker`, with the Prefect API, the
result storage and the lexflow database in its environment, as on a worker. It imports Prefect and lexflow once,
then forks one fresh process per job (a JSON line on stdin: flow, sandbox url, api key, parameters, crash point,
extra environment) and answers each with the child's pid, then its exit code, on stdout (-9: killed). Forking a process that has only imported
modules (no thread, no connection yet) saves the 2 s of imports per crash.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

from lexflow.operations import CRASH_ENV


def run_flow(flow: str, url: str, api_key: str, params: dict[str, Any]) -> None:
    from lexflow.lexware.client import LexwareClient
    from tasks.common import use_client

    with LexwareClient(api_key=api_key, base_url=url, rate_limit=0) as client, use_client(client):
        if flow == "invoice":
            from flows.create_approve_send_invoice import InvoiceRequest, create_approve_send_invoice

            create_approve_send_invoice(**{**params, "request": InvoiceRequest.model_validate(params["request"])})
        elif flow == "expense":
            from flows.log_expense import Receipt, log_expense

            log_expense(**{**params, "receipts": [Receipt.model_validate(r) for r in params["receipts"]]})
        elif flow == "crm":
            from flows.crm_lead_to_customer import crm_lead_to_customer

            crm_lead_to_customer(**params)
        elif flow == "dunning":
            from flows.dunning_run import dunning_run

            dunning_run(**params)
        elif flow == "sync":
            from flows.sync_history import sync_history

            sync_history(**params)
        else:
            raise SystemExit(f"unknown flow {flow!r}")


def _child(job: dict[str, Any]) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stdout carries only the exit codes
    os.environ.update(job.get("env") or {})
    os.environ[CRASH_ENV] = job["point"]
    code = 0
    try:
        run_flow(job["flow"], job["url"], job["api_key"], job["params"])
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def serve() -> None:
    import flows.create_approve_send_invoice
    import flows.crm_lead_to_customer
    import flows.dunning_run
    import flows.log_expense
    import flows.sync_history  # noqa: F401

    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            _child(json.loads(line))
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(-os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status), flush=True)


if __name__ == "__main__":
    serve()
