"""A Xero adapter on the process's embedded sandbox, reset, for suites that run on every provider."""

from __future__ import annotations

import tempfile

import httpx

from lexflow.transport.limits import rate_limit_dir
from lexflow.transport.retry import RetryPolicy
from lexflow.xero.adapter import XeroAdapter
from lexflow.xero.client import XeroClient, XeroOAuth, authorise_programmatically, embedded_sandbox, xero_limiter
from lexflow.xero.client import sandbox_settings as xero_settings
from lexflow.xero.sandbox.config import DEFAULT_TENANTS


def sandbox_adapter() -> XeroAdapter:
    """On the German test organisation (EUR, 19 %/7 %), without client-side pacing (the tests are the only caller)."""
    sandbox = embedded_sandbox()
    sandbox.reset()
    oauth = XeroOAuth(xero_settings(sandbox.url), httpx.Client(timeout=10))
    authorise_programmatically(oauth)
    tenant = DEFAULT_TENANTS[1].tenant_id
    limiter = xero_limiter(oauth.settings, tenant, paced=False, directory=tempfile.mkdtemp(dir=rate_limit_dir()))
    client = XeroClient(oauth, tenant, retry=RetryPolicy(backoff_base=0.01), limiter=limiter)
    return XeroAdapter(client)
