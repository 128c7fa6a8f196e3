"""Document store: dicts in memory, optionally written through to SQLite so a served sandbox survives restarts.

Every resource is a JSON document keyed by (organisation, kind, id). Internal bookkeeping lives in keys that start
with `_` and is stripped before a document leaves the API. Reads never touch SQLite (everything is loaded at start),
which keeps the served sandbox fast; each write is one `INSERT OR REPLACE`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

Doc = dict[str, Any]


class Store:
    """In-memory document store with optional SQLite write-through (`path`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._docs: dict[tuple[str, str], dict[str, Doc]] = {}
        self._blobs: dict[tuple[str, str], bytes] = {}
        self._meta: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._seen_version = 0
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS docs (org TEXT, kind TEXT, id TEXT, body BLOB, PRIMARY KEY (org, kind, id))"
            )
            self._db.execute("CREATE TABLE IF NOT EXISTS blobs (org TEXT, id TEXT, data BLOB, PRIMARY KEY (org, id))")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB)")
            self._load()

    def _data_version(self) -> int:
        assert self._db is not None
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def refresh(self) -> bool:
        """Reload when another process committed to the same SQLite file (e.g. a served sandbox and CLI commands
        sharing LEXFLOW_SANDBOX_DB). Costs one PRAGMA per call; returns True if it reloaded."""
        if self._db is None:
            return False
        version = self._data_version()
        if version == self._seen_version:
            return False
        with self._lock:
            self._docs.clear()
            self._blobs.clear()
            self._meta.clear()
            self._load()
        return True

    def _load(self) -> None:
        assert self._db is not None
        self._seen_version = self._data_version()
        for org, kind, id_, body in self._db.execute("SELECT org, kind, id, body FROM docs"):
            self._docs.setdefault((org, kind), {})[id_] = orjson.loads(body)
        for org, id_, data in self._db.execute("SELECT org, id, data FROM blobs"):
            self._blobs[(org, id_)] = bytes(data)
        for key, value in self._db.execute("SELECT key, value FROM meta"):
            self._meta[key] = orjson.loads(value)

    # documents -------------------------------------------------------------------------------------------------
    def get(self, org: str, kind: str, id_: str) -> Doc | None:
        coll = self._docs.get((org, kind))
        return coll.get(id_) if coll else None

    def find(self, org: str, kinds: tuple[str, ...], id_: str) -> tuple[str, Doc] | None:
        """The document with this id among several kinds (e.g. /v1/payments/{id})."""
        for kind in kinds:
            doc = self.get(org, kind, id_)
            if doc is not None:
                return kind, doc
        return None

    def organizations(self, kind: str) -> list[str]:
        """Organisations that hold documents of this kind."""
        return [org for (org, k), docs in self._docs.items() if k == kind and docs]

    def all(self, org: str, kind: str) -> list[Doc]:
        return list(self._docs.get((org, kind), {}).values())

    def iter(self, org: str, kind: str) -> Iterator[Doc]:
        return iter(self._docs.get((org, kind), {}).values())

    def count(self, org: str, kind: str) -> int:
        return len(self._docs.get((org, kind), {}))

    def put(self, org: str, kind: str, doc: Doc) -> Doc:
        """Insert or replace (write-through). Call it after every in-place change of a document."""
        with self._lock:
            self._docs.setdefault((org, kind), {})[doc["id"]] = doc
            if self._db is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO docs (org, kind, id, body) VALUES (?, ?, ?, ?)",
                    (org, kind, doc["id"], orjson.dumps(doc)),
                )
        return doc

    def put_many(self, org: str, kind: str, docs: list[Doc]) -> None:
        """Bulk insert in one transaction (seeding 20,000 vouchers)."""
        with self._lock:
            coll = self._docs.setdefault((org, kind), {})
            for doc in docs:
                coll[doc["id"]] = doc
            if self._db is not None:
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT OR REPLACE INTO docs (org, kind, id, body) VALUES (?, ?, ?, ?)",
                    [(org, kind, d["id"], orjson.dumps(d)) for d in docs],
                )
                self._db.execute("COMMIT")

    def delete(self, org: str, kind: str, id_: str) -> Doc | None:
        with self._lock:
            doc = self._docs.get((org, kind), {}).pop(id_, None)
            if self._db is not None:
                self._db.execute("DELETE FROM docs WHERE org=? AND kind=? AND id=?", (org, kind, id_))
        return doc

    # binary content (uploaded files) -----------------------------------------------------------------------------
    def put_blob(self, org: str, id_: str, data: bytes) -> None:
        with self._lock:
            self._blobs[(org, id_)] = data
            if self._db is not None:
                self._db.execute("INSERT OR REPLACE INTO blobs (org, id, data) VALUES (?, ?, ?)", (org, id_, data))

    def get_blob(self, org: str, id_: str) -> bytes | None:
        return self._blobs.get((org, id_))

    def delete_blob(self, org: str, id_: str) -> None:
        with self._lock:
            self._blobs.pop((org, id_), None)
            if self._db is not None:
                self._db.execute("DELETE FROM blobs WHERE org=? AND id=?", (org, id_))

    # small persistent values (number ranges, clock offset, revoked keys) ----------------------------------------
    def meta(self, key: str, default: Any = None) -> Any:
        return self._meta.get(key, default)

    def set_meta(self, key: str, value: Any) -> None:
        with self._lock:
            self._meta[key] = value
            if self._db is not None:
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, orjson.dumps(value)))

    def next_number(self, org: str, name: str, start: int = 1) -> int:
        """Next value of a number range (customer numbers, invoice numbers ...)."""
        key = f"seq:{org}:{name}"
        with self._lock:
            value = int(self._meta.get(key, start - 1)) + 1
            self.set_meta(key, value)
        return value

    def clear(self) -> None:
        """Forget everything (control API reset)."""
        with self._lock:
            self._docs.clear()
            self._blobs.clear()
            self._meta.clear()
            if self._db is not None:
                self._db.execute("DELETE FROM docs")
                self._db.execute("DELETE FROM blobs")
                self._db.execute("DELETE FROM meta")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
