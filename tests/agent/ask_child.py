"""A `lexflow-ask` flow run with a scripted model against a served sandbox, as its own process (the restart test
kills it with SIGKILL while it waits for approval): `python -m tests.agent.ask_child '<json job>'`."""

from __future__ import annotations

import json
import sys
from typing import Any

from prefect import flow

from lexflow.prefect.asking import FlowPeople, run_ask
from tests.agent.conftest import AGENT, INVOICE, History, script

PROMPT = "Invoice ACME GmbH for 3 days of consulting at 950 EUR net, due in 14 days."


def invoice_model() -> Any:
    def find(h: History) -> list:
        return [("search_customers", {"name": "ACME"})]

    def invoice(h: History) -> list:
        cid = h.last("search_customers")["items"][0]["id"]
        return [(INVOICE, {"customer_id": cid, "finalize": True, "payment_term_days": 14, "reference": "ASK-ACME-0001",
                           "lines": [{"name": "Consulting", "quantity": "3", "unit": "Tag", "unit_price": "950",
                                      "tax": "standard"}]})]  # fmt: skip

    return script(find, invoice, lambda h: "Invoice created.")


def asking_model() -> Any:
    """Two customers match: ask which one, then invoice the one the person named."""

    def find(h: History) -> list:
        return [("search_customers", {"name": "ACME"})]

    def ask(h: History) -> list:
        options = [c["name"] for c in h.last("search_customers")["items"]]
        return [("ask_user", {"question": "Which ACME do you mean?", "options": options})]

    def invoice(h: History) -> list:
        (c,) = [c for c in h.results("search_customers")[-1]["items"] if c["name"] == h.last("ask_user")["answer"]]
        return [(INVOICE, {"customer_id": c["id"], "reference": "ASK-ACME-0002",
                           "lines": [{"name": "Consulting", "unit_price": "100", "tax": "standard"}]})]  # fmt: skip

    return script(find, ask, invoice, lambda h: "Draft created.")


@flow(name="lexflow-ask")
def ask_scripted(url: str, api_key: str, prompt: str = PROMPT, asking: bool = False) -> dict[str, Any]:
    from lexflow.lexware.client import LexwareClient

    model = asking_model() if asking else invoice_model()
    with LexwareClient(api_key=api_key, base_url=url, rate_limit=0) as client:
        result = run_ask(prompt, model=model, profile=AGENT, client_factory=lambda: client,
                         people=FlowPeople(poll_interval=0.2))  # fmt: skip
    return result.model_dump(mode="json")


if __name__ == "__main__":
    job = json.loads(sys.argv[1])
    ask_scripted(job["url"], job["api_key"])
