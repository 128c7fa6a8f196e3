"""`lexflow sandbox serve --provider sevdesk` as a user runs it: a real process; its SQLite state survives kill -9."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lexflow.sandbox.gateway import free_port
from lexflow.sevdesk.sandbox import DEFAULT_TOKEN


def _start(port: int, db: Path, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "lexflow.sandbox", "serve", "--provider", "sevdesk", "--port", str(port)]
    cmd += ["--db", str(db), "--rate-limit", "0", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/SevUser", headers={"Authorization": DEFAULT_TOKEN}, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.05)
    raise AssertionError("the sevDesk sandbox did not start")


def test_serve_sevdesk_keeps_state_across_kill_9(tmp_path: Path) -> None:
    port, db = free_port(), tmp_path / "sevdesk.db"
    url = f"http://127.0.0.1:{port}/api/v1"
    auth = {"Authorization": DEFAULT_TOKEN}
    proc = _start(port, db, "--seed", "1")  # sevDesk: any N seeds the company
    try:
        _wait(url, proc)
        invoices = httpx.get(f"{url}/Invoice", params={"countAll": "true"}, headers=auth).json()
        assert int(invoices["total"]) >= 5
        created = httpx.post(
            f"{url}/Contact",
            json={"name": "Nach Neustart AG", "category": {"id": 3, "objectName": "Category"}},
            headers=auth,
        )
        assert created.status_code == 201
    finally:
        proc.send_signal(signal.SIGKILL)
        output = proc.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/api/v1" in output and DEFAULT_TOKEN in output
    proc = _start(port, db)
    try:
        _wait(url, proc)
        names = [
            c["name"] for c in httpx.get(f"{url}/Contact", params={"name": "Neustart"}, headers=auth).json()["objects"]
        ]
        assert names == ["Nach Neustart AG"]
        assert int(httpx.get(f"{url}/Invoice", params={"countAll": "true"}, headers=auth).json()["total"]) == int(
            invoices["total"]
        )
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)


def test_serve_sevdesk_refuses_a_malformed_token(tmp_path: Path) -> None:
    proc = _start(free_port(), tmp_path / "x.db", "--api-key", "not-a-sevdesk-token")
    output = proc.communicate(timeout=60)[0]
    assert proc.returncode != 0 and "--api-key" in output and "Traceback" not in output
