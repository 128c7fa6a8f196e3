"""The shared document store with per-tenant snapshots, so a refused element leaves no trace (Xero validates a
whole batch before it writes; with `summarizeErrors=false` only the valid elements are written)."""

from __future__ import annotations

from typing import Any

import orjson

from lexflow.sandbox.store import Store


class TxStore(Store):
    def snapshot(self, org: str) -> tuple[dict[str, bytes], dict[str, Any]]:
        with self._lock:
            docs = {kind: orjson.dumps(coll) for (o, kind), coll in self._docs.items() if o == org}
            return docs, dict(self._meta)

    def restore(self, org: str, snap: tuple[dict[str, bytes], dict[str, Any]]) -> None:
        docs, meta = snap
        with self._lock:
            for o, kind in [k for k in self._docs if k[0] == org]:
                del self._docs[(o, kind)]
            for kind, raw in docs.items():
                self._docs[(org, kind)] = orjson.loads(raw)
            self._meta = dict(meta)
            if self._db is not None:
                self._db.execute("BEGIN")
                self._db.execute("DELETE FROM docs WHERE org=?", (org,))
                self._db.executemany(
                    "INSERT INTO docs (org, kind, id, body) VALUES (?, ?, ?, ?)",
                    [
                        (org, kind, i, orjson.dumps(d))
                        for (o, kind), c in self._docs.items()
                        if o == org
                        for i, d in c.items()
                    ],
                )
                self._db.execute("DELETE FROM meta")
                self._db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)", [(k, orjson.dumps(v)) for k, v in self._meta.items()]
                )
                self._db.execute("COMMIT")
