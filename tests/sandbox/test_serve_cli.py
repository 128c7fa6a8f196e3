"""`lexflow sandbox serve` as a user runs it: a real process on a loopback port, state kept in SQLite across restarts."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from lexflow.sandbox.gateway import free_port
from tests.sandbox.helpers import company_contact


def _start(port: int, db, key: str, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "lexflow.sandbox", "serve", "--port", str(port), "--db", str(db), "--api-key", key]
    cmd += extra
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait(url: str, key: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/profile", headers={"Authorization": f"Bearer {key}"}, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.05)
    raise AssertionError("sandbox did not start")


def test_serve_prints_key_and_keeps_state_across_restarts(tmp_path):
    port, key, db = free_port(), "cli-test-key", tmp_path / "served.db"
    url = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {key}"}
    options = ("--oauth-client", "cli-app:cli-pw", "--oauth-expires-in", "90", "--webhook-time-scale", "0.5")
    proc = _start(port, db, key, *options)
    try:
        _wait(url, key, proc)
        redirect = "https://partner.example/cb"
        params = {"client_id": "cli-app", "redirect_uri": redirect, "response_type": "code"}
        code = httpx.get(f"{url}/oauth2/authorize", params=params).headers["location"].split("code=")[1]
        grant = {"grant_type": "authorization_code", "code": code}
        assert httpx.post(f"{url}/oauth2/token", data=grant, auth=("cli-app", "cli-pw")).json()["expires_in"] == 90
        r = httpx.post(f"{url}/v1/contacts", json=company_contact(), headers=auth)
        assert r.status_code == 200 and r.headers["Location"] == f"{url}/v1/contacts/{r.json()['id']}"
        codes = [httpx.get(f"{url}/v1/profile", headers=auth).status_code for _ in range(5)]
        assert 429 in codes  # the default 2 req/s limit is on
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in out and key in out
    assert "retry time scale 0.5" in out and "cli-pw" not in out
    proc = _start(port, db, key)
    try:
        _wait(url, key, proc)
        assert httpx.get(f"{url}/v1/contacts/{r.json()['id']}", headers=auth).status_code == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
