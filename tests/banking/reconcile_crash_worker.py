"""A reconcile run that SIGKILLs itself mid-way, for tests/banking/test_reconcile_crash.py.

    python -m tests.banking.reconcile_crash_worker URL TOKEN DATABASE_URL STATEMENT N POINT [--hints]

Reconciles STATEMENT against the served sandbox at URL and kills itself with SIGKILL at the N-th transaction it
acts on: POINT `after-claim` right after the claim (nothing done yet), `before-finish` after the action (the hint
POST, when there is one) but before the ledger records it. No cleanup code runs, as with `kill -9`."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from lexflow.banking.ledger import MatchLedger
from lexflow.banking.readers import read_statement
from lexflow.banking.reconcile import reconcile
from lexflow.lexware.client import LexwareClient


def main() -> None:
    url, token, database_url, statement, n, point = sys.argv[1:7]
    hints = "--hints" in sys.argv[7:]
    ledger = MatchLedger(database_url)
    seen = {"count": 0}
    target = ledger.claim if point == "after-claim" else ledger.finish

    def crashing(*args, **kwargs):  # type: ignore[no-untyped-def]
        if point == "after-claim":
            result = target(*args, **kwargs)
            seen["count"] += 1
            if seen["count"] == int(n):
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        seen["count"] += 1
        if seen["count"] == int(n):
            os.kill(os.getpid(), signal.SIGKILL)
        return target(*args, **kwargs)

    setattr(ledger, "claim" if point == "after-claim" else "finish", crashing)
    with LexwareClient(api_key=token, base_url=url, rate_limit=0, allow_partner_endpoints=hints) as client:
        txs = read_statement(statement)
        reconcile(txs, client, ledger=ledger, statement=Path(statement).name, app_url="https://app.lexware.de")
    print("finished without crashing", flush=True)


if __name__ == "__main__":
    main()
