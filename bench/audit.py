"""Audit trail: appends per second (one writer and 4 concurrent writers, each append a serialised chain step),
time to verify the whole chain, and the overhead `run()` adds to an action (policy + redaction + one append).

    .venv/bin/python bench/audit.py [--records 1000] [--url postgresql+psycopg://...]

Prints the figures and writes bench/results/audit.json (SQLite in a temp dir unless --url is given).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

from lexflow.actions import Profile, run
from lexflow.audit import Actor, AuditRecord, AuditTrail, HttpCall


def _record(i: int) -> AuditRecord:
    return AuditRecord(
        actor=Actor.agent("bench"),
        profile="bench",
        action="contacts_get",
        input={"id": f"c-{i}", "email": "someone@example.org", "note": "IBAN DE89370400440532013000"},
        resource_ids=[f"5f1e3a7c-2b4d-4c6e-8f90-{i:012d}"],
        http_calls=[HttpCall(method="GET", path="/v1/contacts/x", status=200, elapsed_ms=12.0)],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.url or f"sqlite:///{tmp}/audit.db"
    trail = AuditTrail(url)
    n = args.records

    t0 = time.perf_counter()
    for i in range(n):
        trail.record(_record(i))
    single = n / (time.perf_counter() - t0)

    def writer(k: int) -> None:
        mine = AuditTrail(url)
        for i in range(n // 4):
            mine.record(_record(k * n + i))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    concurrent = (n // 4 * 4) / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    result = trail.verify()
    verify_s = time.perf_counter() - t0
    assert result.ok, result.problems

    draft = {"recipient_name": "X", "line_items": [{"name": "A", "unit_price": "10", "tax_rate": "19"}]}
    profile = Profile(name="bench", scopes=["*"], approval_for=[])
    laps = []
    for _ in range(200):
        t0 = time.perf_counter()
        run("lexware_preview_invoice", draft, client=object(), trail=trail, profile=profile)
        laps.append((time.perf_counter() - t0) * 1000)

    figures = {
        "database": url.split(":", 1)[0],
        "appends_per_s_single_writer": round(single),
        "appends_per_s_4_writers": round(concurrent),
        "verify_records": result.checked,
        "verify_seconds": round(verify_s, 3),
        "run_preview_invoice_ms_median": round(statistics.median(laps), 2),
        "run_preview_invoice_ms_p95": round(sorted(laps)[int(len(laps) * 0.95)], 2),
    }
    print(json.dumps(figures, indent=2))
    out = Path(__file__).parent / "results" / f"audit-{figures['database'].split('+')[0]}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
