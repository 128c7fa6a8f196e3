"""Run one flow in its own process until `LEXFLOW_CRASH_AT` kills it (SIGKILL) at a step boundary.

Started by tests/flows/test_crash_matrix.py: `python -m tests.flows.crash_worker <flow> <sandbox url> <api key>
<parameters as JSON>`, with the Prefect API, result storage and lexflow database in the environment, as on a worker.
"""

from __future__ import annotations

import json
import sys


def main(flow: str, url: str, api_key: str, parameters: str) -> None:
    from lexflow.client import LexwareClient
    from tasks.common import use_client

    params = json.loads(parameters)
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
        else:
            raise SystemExit(f"unknown flow {flow!r}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
