"""`lexflow sandbox serve --provider xero|quickbooks` serves that system's sandbox; an unknown name lists the four."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from lexflow.sandbox.gateway import free_port


@pytest.mark.parametrize(("provider", "path"), [("xero", "/connections"), ("quickbooks", "/v3/company/x/query")])
def test_serve_provider_answers_with_that_systems_api(provider: str, path: str) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "lexflow.sandbox", "serve", "--provider", provider, "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.05)
        assert answer.status_code in (401, 403)  # that system's API, asking for its own credentials
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert {"xero": "Xero sandbox", "quickbooks": "QuickBooks sandbox"}[provider] in output


def test_unknown_provider_names_the_four() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lexflow.sandbox", "serve", "--provider", "sage"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "lexware, sevdesk, xero or quickbooks" in result.stderr
