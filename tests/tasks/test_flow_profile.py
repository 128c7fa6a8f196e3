"""`flow_profile`: a `LexflowProfile` block is loaded once per flow run, not once per task (each load is a request)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect import flow

from lexflow.actions import Profile
from lexflow.prefect.blocks import LexflowProfile
from tasks.common import flow_profile

pytestmark = pytest.mark.prefect


def test_block_profile_is_loaded_once_per_run(prefect_flows: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    LexflowProfile(scopes=["contacts:read"], approval_for=[]).save("reader-once", overwrite=True)
    original, loads = LexflowProfile.load, []

    def counting_load(name: str, **kwargs: Any) -> Any:
        loads.append(name)
        return original(name, **kwargs)

    monkeypatch.setattr(LexflowProfile, "load", counting_load)

    @flow
    def three_tasks_worth() -> list[Profile]:
        return [flow_profile("reader-once") for _ in range(3)]

    first = three_tasks_worth()
    assert loads == ["reader-once"]
    assert {p.name for p in first} == {"reader-once"} and first[0].grants("contacts:read")
    assert not first[0].grants("contacts:write")
    three_tasks_worth()  # a new run reads the block again (it may have been edited in between)
    assert loads == ["reader-once", "reader-once"]


def test_missing_block_falls_back_to_the_profiles_file(prefect_flows: Path) -> None:
    @flow
    def unknown() -> Profile:
        return flow_profile("no-such-profile-anywhere")

    with pytest.raises(ValueError, match="unknown profile 'no-such-profile-anywhere'"):
        unknown()
