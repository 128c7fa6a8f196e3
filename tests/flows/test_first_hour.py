"""What a fresh install sees: the hourly CRM deployment without an export has nothing to do (not a failure)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.prefect
def test_missing_crm_export_is_nothing_to_do_with_a_hint(prefect_flows: Path, tmp_path: Path) -> None:
    from prefect.artifacts import Artifact

    from flows.crm_lead_to_customer import crm_lead_to_customer

    missing = tmp_path / "exports" / "crm-leads.csv"
    state = crm_lead_to_customer(str(missing), database_url=f"sqlite:///{tmp_path}/l.db", return_state=True)
    assert state.is_completed(), state.message
    assert state.result() == []
    artifact = Artifact.get("crm-lead-to-customer")
    assert artifact is not None
    assert "Nothing to do" in str(artifact.description) and "lexflow sandbox seed" in str(artifact.description)
