"""A flow's return value is persisted by Prefect in result storage (unencrypted): it carries no IBAN and no
configured secret (issue 13 follow-up). Read back from the storage key the server holds for the run."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.prefect

IBAN = "GB82 WEST 1234 5698 7654 32"  # a valid IBAN (mod 97), in groups as people paste it
SECRET = "PLANTEDresultsecret0123456789"


def _persisted_result(state: Any) -> str:
    """What Prefect stored for the run's return value (base64 of a pickle), read back the way a later reader
    finds it: the storage key from the server, the serializer named in the record."""
    from prefect import get_client

    with get_client(sync_client=True) as prefect:
        stored = prefect.read_flow_run(state.state_details.flow_run_id).state
    assert stored is not None and stored.is_completed()
    record = stored.data
    blob = Path(record.storage_key).read_bytes()
    return json.dumps(record.serializer.loads(blob)) + base64.b64decode(blob).decode("utf-8", "replace")


def test_flow_results_in_storage_have_no_iban_or_secret(
    served_sandbox: Any, prefect_flows: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.crm_lead_to_customer import crm_lead_to_customer
    from lexflow.lexware.client import LexwareClient
    from lexflow.settings import get_settings
    from tasks.common import use_client

    served_sandbox.reset()
    monkeypatch.setenv("LEXFLOW_SLACK_SIGNING_SECRET", SECRET)
    get_settings.cache_clear()
    export = tmp_path / "crm.json"  # a CRM export file (an inline parameter with an IBAN is refused earlier)
    records = [
        {"id": "R1", "company": f"Zahlt an {IBAN} GmbH", "email": "r1@example.com"},
        {"id": "R2", "company": f"Schluessel {SECRET} AG"},
        {"id": "R3", "company": "", "email": f"not-an-email {IBAN}"},  # needs review: its row echoes the record
    ]
    export.write_text(json.dumps(records))
    with (
        LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client,
        use_client(client),
    ):
        state = crm_lead_to_customer(str(export), crm_source="results", return_state=True)
    rows = state.result()
    assert [r["crm_id"] for r in rows] == ["R1", "R2", "R3"]
    assert "Zahlt an [iban ...32] GmbH" in json.dumps(rows)  # the caller sees the masked name too
    stored = _persisted_result(state)
    assert "Zahlt an" in stored and "Schluessel" in stored  # the rows were persisted, so the check can fail
    for needle in (IBAN, IBAN.replace(" ", ""), SECRET):
        assert needle not in stored, needle
    get_settings.cache_clear()
