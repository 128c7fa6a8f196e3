"""Settings of the embedded QuickBooks Online sandbox. Limits default to Intuit's; tests make them small."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class QuickBooksSandboxConfig(BaseModel):
    realms: list[str] = Field(default_factory=lambda: ["9341452347298547"])
    """Companies (realmIds) the sandbox knows; the first one is consented to on /connect/oauth2 by default."""
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    redirect_uris: list[str] = Field(default_factory=lambda: ["http://localhost:8765/callback"])
    access_token_seconds: int = 3600
    refresh_token_seconds: int = 8_726_400
    rotate_refresh_tokens: bool = True
    """Each refresh returns a new refresh token; the previous one dies once the new one has been used."""
    requests_per_minute: int = 500
    """Per realm; 0 switches the minute window off."""
    requests_per_second: int = 10
    """Per realm and app; 0 switches it off."""
    concurrent_requests: int = 10
    """Per realm; 0 switches it off."""
    home_currency: str = "EUR"
    """lexflow's users keep their books in euros; Intuit's own sandbox companies are often USD."""
    verifier_token: str = "sandbox-verifier-token"
    """Signs webhooks (intuit-signature)."""
    control_key: str = "sandbox-control"
    """Bearer key of the control API under /_sandbox."""
    db_path: Path | None = None
    """SQLite file for a sandbox that survives restarts; None keeps everything in memory."""
    webhook_delay_seconds: float | None = None
    """Deliver webhooks on its own this long after a change (aggregating what comes meanwhile), and retries when
    they are due. None: only `POST /_sandbox/webhooks-flush` delivers (deterministic tests)."""
    hang_seconds: float = 30.0
    """How long a `timeout` fault holds the response (the client gives up first)."""
