"""The matcher's decisions on a fixed adversarial month, proposal by proposal, as they were before the speed work
(main at 8c0e2ab). A change meant to make the matcher faster must keep this list identical; a change of a rule
that alters decisions on purpose rewrites the file (`python -m tests.banking.test_matcher_decisions write`) and
says why in its commit."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

from lexflow.banking.matcher import Matcher
from lexflow.banking.simulate_payers import realistic_month

REFERENCE = Path(__file__).parent / "fixtures" / "matcher_proposals_2000_seed101.json.gz"


def _proposals() -> list[dict[str, Any]]:
    data = realistic_month(2000, 2000, seed=101)
    matcher = Matcher(data.open_items, known_ibans=data.known_ibans, collected=data.collected)
    return [p.model_dump(mode="json") for p in matcher.match_all(data.transactions)]


def test_decisions_on_a_fixed_month_are_unchanged() -> None:
    reference = json.loads(gzip.decompress(REFERENCE.read_bytes()))
    now = _proposals()
    assert len(now) == len(reference) == 2000
    for before, after in zip(reference, now, strict=True):
        assert after == before, f"decision changed for {before['transaction_id']}"


if __name__ == "__main__" and sys.argv[1:] == ["write"]:
    body = json.dumps(_proposals(), sort_keys=True, separators=(",", ":")).encode()
    with gzip.GzipFile(REFERENCE, "wb", mtime=0) as out:
        out.write(body)
