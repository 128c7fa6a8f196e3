"""One worker process of the cross-process refresh tests: opens a shared token file, waits for the start signal,
asks for a valid access token (the stored one is expired, so it must refresh or take another worker's refresh), then
reads once from the API with it and prints what it did as JSON (never a token: a digest of it).

Usage: python -m tests.client.refresher_worker {xero|quickbooks} URL TOKEN_FILE CONNECTION GO_FILE READY_FILE
(LEXFLOW_TOKEN_KEY in the environment).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx


def _wait(ready: Path, go: Path) -> None:
    ready.touch()
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no start signal")
        time.sleep(0.005)


def xero(url: str, token_file: str, tenant: str, go: Path, ready: Path) -> dict[str, object]:
    from lexflow.transport.limits import rate_limit_dir
    from lexflow.xero.client import XeroClient, XeroOAuth, sandbox_settings, xero_limiter

    oauth = XeroOAuth(sandbox_settings(url, minute_limit=0, token_file=Path(token_file)), httpx.Client(timeout=10))
    limiter = xero_limiter(oauth.settings, tenant, paced=False, directory=tempfile.mkdtemp(dir=rate_limit_dir()))
    client = XeroClient(oauth, tenant, limiter=limiter)
    _wait(ready, go)
    token = oauth.access_token()
    client.find_contacts(search="nobody")
    return {"refreshes": oauth.refreshes, "token": hashlib.sha256(token.encode()).hexdigest()}


def quickbooks(url: str, token_file: str, realm: str, go: Path, ready: Path) -> dict[str, object]:
    from lexflow.quickbooks.client import OAuthSession, QuickBooksClient, QuickBooksSettings, quickbooks_token_store
    from lexflow.quickbooks.sandbox.config import QuickBooksSandboxConfig

    cfg = QuickBooksSandboxConfig()
    http = httpx.Client(timeout=10)
    session = OAuthSession(
        http,
        f"{url}/oauth2/v1/tokens/bearer",
        f"{url}/v2/oauth2/tokens/revoke",
        cfg.client_id,
        cfg.client_secret,
        realm,
        quickbooks_token_store(realm, token_file),
    )
    client = QuickBooksClient(url, session, settings=QuickBooksSettings(requests_per_minute=0), http=http)
    _wait(ready, go)
    token = session.access_token()
    client.query("SELECT * FROM Customer")
    return {"refreshes": session.refresher.refreshes, "token": hashlib.sha256(token.encode()).hexdigest()}


def run_workers(provider: str, url: str, token_file: Path, connection: str, key: str, n: int = 3) -> list[dict]:
    """Start `n` workers, release them at once when all are ready, and return what each printed."""
    import os
    import subprocess

    root = Path(__file__).resolve().parents[2]
    signals = Path(tempfile.mkdtemp())
    go = signals / "go"
    env = {**os.environ, "LEXFLOW_TOKEN_KEY": key}
    command = [sys.executable, "-m", "tests.client.refresher_worker", provider, url, str(token_file), connection]
    procs = [
        subprocess.Popen(
            [*command, str(go), str(signals / f"ready-{i}")],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(n)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(signals.glob("ready-*"))) < n and time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                break
            time.sleep(0.01)
        go.touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err[-2000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


if __name__ == "__main__":
    provider, url, token_file, connection, go, ready = sys.argv[1:7]
    run = xero if provider == "xero" else quickbooks
    print(json.dumps(run(url, token_file, connection, Path(go), Path(ready))))
