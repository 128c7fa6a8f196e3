"""Helpers for the partner-only transaction-assignment hint: a partner OAuth token and a voucher to hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from lexflow.lexware.client import LexwareClient, OAuth2Client, OAuth2Config, TokenStore
from lexflow.lexware.sandbox import ALL_SCOPES, DEFAULT_ORGANIZATION_ID
from tests.sandbox.helpers import invoice_body

PARTNER_SCOPE = "transaction-assignment-hint.write"
HINT_PATH = "/v1/transaction-assignment-hint"


def partner_token(base_url: str, tmp_path: Path) -> str:
    """An access token with the partner scope, through lexflow's own OAuth client and the sandbox's
    authorization-code flow over HTTP (docs/lexware.md#partner-oauth), as a partner app would get one."""
    config = OAuth2Config(
        "lexflow-sandbox-client",
        SecretStr("lexflow-sandbox-secret"),
        "http://127.0.0.1/cb",
        app_url=base_url,
        scopes=tuple(sorted({*ALL_SCOPES, PARTNER_SCOPE})),
    )
    oauth = OAuth2Client(config, TokenStore(tmp_path / "tokens.bin", key=Fernet.generate_key()))
    request = oauth.authorization_request()
    redirect = httpx.get(request.url, follow_redirects=False).headers["location"]
    query = dict(part.split("=", 1) for part in redirect.split("?", 1)[1].split("&"))
    tokens = oauth.exchange_code(query["code"], request, query["state"])
    oauth.close()
    return tokens.access_token.get_secret_value()


def finalized_invoice(client: LexwareClient) -> str:
    """An open invoice (the voucher a payment would belong to)."""
    return str(client.invoices.create(invoice_body(), finalize=True).id)


def stored_hint(state: Any, voucher_id: str) -> Any:
    """What the sandbox stored for the voucher's hint (None: nothing arrived)."""
    return state.store.get(DEFAULT_ORGANIZATION_ID, "transaction-hints", voucher_id)
