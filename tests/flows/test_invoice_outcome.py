"""The invoice run ends with an outcome artifact: number, gross, recipient, Message-ID and where to open it."""

from __future__ import annotations

from typing import Any

import pytest

from lexflow.testing import MailCatcher
from tests.flows.paused import run_paused
from tests.flows.test_flows_e2e import _customer, _request, catcher, lexware  # noqa: F401 (fixtures)

pytestmark = pytest.mark.prefect


def test_sent_invoice_has_an_outcome_artifact(lexware: Any, catcher: MailCatcher, database_url: str) -> None:  # noqa: F811
    from prefect.artifacts import Artifact

    from flows.create_approve_send_invoice import create_approve_send_invoice

    _customer()
    state = run_paused(
        create_approve_send_invoice, {"approved": True, "approver": "U0APPROVER", "reason": "ok"},
        "create-approve-send-invoice", request=_request(), smtp_url=catcher.url, approval_poll_interval=0.2,
        database_url=database_url,
    )  # fmt: skip
    out = state.result()
    artifact = Artifact.get("invoice-outcome")
    assert artifact is not None
    text = str(artifact.data)
    for expected in (out["voucher_number"], out["message_id"], "einkauf@kunde.de", "U0APPROVER", " EUR"):
        assert expected in text, (expected, text)
    assert "app.lexware.de" not in text and "no web app" in text  # a sandbox id opens nothing in the web app
