"""`shared_trail`: one open trail per URL for frequent writers (runs, flow tasks, the sync), default the settings'."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexflow.audit import Actor, AuditRecord, shared_trail
from lexflow.settings import get_settings


def test_one_trail_per_url_and_the_default_follows_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    assert shared_trail(a) is shared_trail(a)
    assert shared_trail(b) is not shared_trail(a)
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", b)
    get_settings.cache_clear()
    try:
        default = shared_trail()
    finally:
        get_settings.cache_clear()
    assert default is shared_trail(b)
    default.record(AuditRecord(actor=Actor.user("tester"), profile="default", action="probe", input={}))
    assert [r.action for r in shared_trail(b).list()] == ["probe"] and shared_trail(a).list() == []
