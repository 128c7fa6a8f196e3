from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from lexflow.audit import AuditTrail
from lexflow.db import get_engine


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty audit database: a SQLite file, or a fresh schema on the CI PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/audit.db"
    base = request.getfixturevalue("postgres_url")
    schema = "audit_" + uuid.uuid4().hex[:10]
    with get_engine(base).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def trail(db_url) -> AuditTrail:
    return AuditTrail(db_url)
