"""Record the approved payments against the served sevDesk sandbox, for tests/banking/test_recording_crash.py.

    LEXFLOW_CRASH_AT=payment:answer python -m tests.banking.recording_crash_worker URL TOKEN DATABASE_URL SOURCE

SOURCE is `api` (the bank lines sevDesk reads) or a statement file. `LEXFLOW_CRASH_AT` kills the process with SIGKILL
at that point of `record_approved` (payment:intent before the write, payment:answer after it, before the ledger
knows), as `kill -9` would: no cleanup code runs."""

from __future__ import annotations

import sys

from lexflow.banking.ledger import MatchLedger
from lexflow.banking.readers import read_statement
from lexflow.banking.recording import line_from_provider, record_approved
from lexflow.sevdesk.adapter import SevdeskAdapter
from lexflow.sevdesk.client import SevdeskClient


def main() -> None:
    url, token, database_url, source = sys.argv[1:5]
    with SevdeskClient(token, url, rate_limit=0, settle_delay=0, timeout=5) as client:
        provider = SevdeskAdapter(client)
        if source == "api":
            lines = [line_from_provider(line) for line in provider.list_bank_transactions()]
        else:
            lines = read_statement(source)
        record_approved(lines, provider, ledger=MatchLedger(database_url))


if __name__ == "__main__":
    main()
