"""One Prefect credentials Block per accounting system, and the client a flow's profile gets from them.

    SevdeskCredentials(api_token="0123...cdef").save("acme-sevdesk")
    LexflowProfile(provider="sevdesk", credentials="acme-sevdesk", scopes=["*"]).save("acme")
    # a flow with profile="acme" now reads and writes acme's sevDesk account, and nothing else

The pattern of Prefect's own integrations (prefect-aws `AwsCredentials.get_client()`): secrets are `SecretStr`
fields, stored encrypted by the Prefect server, and `get_client()` builds that provider's client from the block's
values alone, never from the environment (a worker's `LEXWARE_API_KEY` must not leak into another profile's run).
A block without its secret gives the provider's embedded sandbox, as every `connect()` does without credentials.
docs/prefect.md#credentials-blocks shows how to create them in the UI or in code.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any, ClassVar, Literal

from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, SecretStr, field_validator

from lexflow.actions.policy import Profile
from lexflow.audit.redact import remember_secrets
from lexflow.settings import DEFAULT_BASE_URL

__all__ = [
    "CREDENTIALS",
    "LexwareCredentials",
    "ProviderCredentials",
    "QuickBooksCredentials",
    "SevdeskCredentials",
    "XeroCredentials",
    "account_for",
    "client_for",
    "credentials_for",
]


class ProviderCredentials(CredentialsBlock):
    """What every provider's credentials block has: the provider it is for and a stable, secret-free account key."""

    provider: ClassVar[str]

    def account_key(self) -> str:
        """A digest of every value (secrets included): two blocks with equal values share one client, a changed
        key gets a new one. Safe to keep in memory and to log; never reversible."""
        values = {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in ((n, getattr(self, n)) for n in type(self).model_fields)
        }
        raw = json.dumps([self.provider, values], sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def secrets(self) -> list[str]:
        """The secret values, for redaction by value (audit, logs)."""
        out = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                out.append(value.get_secret_value())
        return out


class LexwareCredentials(ProviderCredentials):
    """A Lexware Office account: its public API key (Settings → Public API in Lexware Office)."""

    _block_type_name = "Lexware Credentials"
    _block_type_slug = "lexflow-lexware-credentials"
    provider: ClassVar[str] = "lexware"

    api_key: SecretStr | None = Field(default=None, description="Lexware Office public API key; empty: the sandbox.")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="API gateway (a served sandbox in tests).")
    rate_limit: float = Field(default=2.0, ge=0, description="Requests per second for the account (0: off).")

    def get_client(self, limiter: Any = None) -> Any:
        """A `LexwareClient` on this key (`limiter`: e.g. the Prefect-wide account limit), else the embedded sandbox."""
        from lexflow.lexware.client import LexwareClient, connect
        from lexflow.settings import LexflowSettings

        if self.api_key is None or not self.api_key.get_secret_value():
            # the defaults, not the environment: no LEXWARE_API_KEY or OAuth app of the worker sneaks in
            return connect(LexflowSettings.model_construct(), limiter=limiter)
        return LexwareClient(
            api_key=self.api_key.get_secret_value(),
            base_url=self.base_url,
            rate_limit=0 if limiter is not None else self.rate_limit,
            limiter=limiter,
        )


class SevdeskCredentials(ProviderCredentials):
    """A sevDesk account: the API token of an admin user (sevDesk → Settings → Users → API token)."""

    _block_type_name = "sevDesk Credentials"
    _block_type_slug = "lexflow-sevdesk-credentials"
    provider: ClassVar[str] = "sevdesk"

    api_token: SecretStr | None = Field(default=None, description="32 hexadecimal characters; empty: the sandbox.")
    base_url: str = Field(default="https://my.sevdesk.de/api/v1", description="API root (a served sandbox in tests).")
    rate_limit: float = Field(default=1.0, ge=0, le=50, description="Requests per second (sevDesk publishes none).")

    @field_validator("api_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        from lexflow.sevdesk.client import checked_token

        return checked_token(value, "api_token")

    def get_client(self) -> Any:
        """A `SevdeskClient` on this token, else the embedded sevDesk sandbox."""
        from lexflow.sevdesk.client import SevdeskClient, SevdeskSettings, connect_sevdesk

        if self.api_token is None:
            return connect_sevdesk(SevdeskSettings.model_construct())
        return SevdeskClient(self.api_token, self.base_url, rate_limit=self.rate_limit)


class XeroCredentials(ProviderCredentials):
    """A Xero organisation: the app's client id and secret, a refresh token from connecting it, and the tenant id.

    Xero rotates refresh tokens: each refresh returns a new one and the old one dies. With `token_file`, the
    current tokens are kept there (encrypted with LEXFLOW_TOKEN_KEY, shared by the worker's processes, refreshed
    once across them: docs/client.md#oauth) and win over the block's once it exists;
    without it, each process starts from the block's refresh token, which works for one process only."""

    _block_type_name = "Xero Credentials"
    _block_type_slug = "lexflow-xero-credentials"
    provider: ClassVar[str] = "xero"

    client_id: str | None = Field(default=None, description="The Xero app's client id; empty: the sandbox.")
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = Field(default=None, description="From connecting the app (offline_access).")
    tenant_id: str | None = Field(default=None, description="The organisation; empty: the first connected one.")
    token_file: str | None = Field(default=None, description="Where rotated tokens are kept (recommended).")
    token_key: SecretStr | None = Field(default=None, description="Fernet key of token_file; empty: LEXFLOW_TOKEN_KEY.")
    api_url: str = "https://api.xero.com"
    identity_url: str = "https://identity.xero.com"

    def get_client(self) -> Any:
        """A `XeroClient` for the tenant, refreshing from the block's token, else the embedded Xero sandbox."""
        import httpx

        from lexflow.transport.oauth_store import TokenSet, TokenStore
        from lexflow.xero.client import USER_AGENT, XeroClient, XeroOAuth, XeroSettings
        from lexflow.xero.errors import XeroAuthError

        if not self.client_id:
            return XeroClient.connect(XeroSettings.model_construct(tenant_id=self.tenant_id))
        if self.client_secret is None or self.refresh_token is None:
            raise XeroAuthError(
                "XeroCredentials: client_id needs client_secret and refresh_token",
                hint="Fill in all three (refresh_token from connecting the app), or none for the sandbox",
            )
        settings = XeroSettings.model_construct(
            client_id=self.client_id,
            client_secret=self.client_secret,
            tenant_id=self.tenant_id,
            api_url=self.api_url,
            identity_url=self.identity_url,
        )
        # expired at once: the first request refreshes with the block's token, unless the file holds newer ones
        store = TokenStore(
            self.token_file,
            self.token_key,
            provider="xero",
            connection=self.client_id,
            tokens=TokenSet(access_token=SecretStr(""), refresh_token=self.refresh_token, expires_at=0),
        )
        oauth = XeroOAuth(settings, httpx.Client(timeout=settings.timeout, headers={"User-Agent": USER_AGENT}), store)
        tenant = self.tenant_id
        if tenant is None:
            connections = oauth.connections()
            if not connections:
                raise XeroAuthError("the token reaches no organisation", hint="Connect an organisation in Xero")
            tenant = connections[0].tenant_id
        client = XeroClient(oauth, tenant)
        client._owns_http = True
        return client


class QuickBooksCredentials(ProviderCredentials):
    """A QuickBooks Online company: the Intuit app's client id and secret, the company (realm) id, a refresh token
    from connecting it, and Intuit's environment (`sandbox` for development keys, `production`).

    Intuit may replace the refresh token on a refresh (the old one dies once the new one is used): with
    `token_file`, the current tokens are kept there (encrypted with LEXFLOW_TOKEN_KEY, refreshed once across the
    worker's processes, docs/client.md#oauth) and win over the block's once it exists."""

    _block_type_name = "QuickBooks Credentials"
    _block_type_slug = "lexflow-quickbooks-credentials"
    provider: ClassVar[str] = "quickbooks"

    client_id: str | None = Field(default=None, description="The Intuit app's client id; empty: the sandbox.")
    client_secret: SecretStr | None = None
    realm_id: str | None = Field(default=None, description="The company id (realmId of the connect callback).")
    refresh_token: SecretStr | None = None
    environment: Literal["production", "sandbox"] = "sandbox"
    token_file: str | None = Field(default=None, description="Where rotated tokens are kept (recommended).")
    token_key: SecretStr | None = Field(default=None, description="Fernet key of token_file; empty: LEXFLOW_TOKEN_KEY.")
    base_url: str | None = Field(default=None, description="Another API and token host (a served sandbox in tests).")

    def get_client(self) -> Any:
        """A `QuickBooksClient` for the company, else the embedded QuickBooks sandbox."""
        import httpx

        from lexflow.quickbooks import client as qb
        from lexflow.transport import errors
        from lexflow.transport.oauth_store import TokenSet, TokenStore

        settings = qb.QuickBooksSettings.model_construct()
        if not self.client_id:
            return qb.connect(settings)
        if self.client_secret is None or self.refresh_token is None or not self.realm_id:
            raise errors.Unauthorized(
                "QuickBooksCredentials: client_id needs client_secret, realm_id and refresh_token",
                hint="Fill in all four (docs/quickbooks.md#connecting), or none for the sandbox",
            )
        api, token_url, revoke_url = qb.HOSTS[self.environment], qb.TOKEN_URL, qb.REVOKE_URL
        if self.base_url:
            root = self.base_url.rstrip("/")
            api, token_url, revoke_url = root, f"{root}/oauth2/v1/tokens/bearer", f"{root}/v2/oauth2/tokens/revoke"
        # expired at once: the first request refreshes with the block's token, unless the file holds newer ones
        seed = TokenSet(access_token=SecretStr(""), refresh_token=self.refresh_token, expires_at=0)
        store = TokenStore(
            self.token_file, self.token_key, provider="quickbooks", connection=self.realm_id, tokens=seed
        )
        http = httpx.Client(timeout=settings.timeout_seconds)
        session = qb.OAuthSession(
            http, token_url, revoke_url, self.client_id, self.client_secret.get_secret_value(), self.realm_id, store
        )
        return qb.QuickBooksClient(api, session, settings=settings, http=http)


#: The credentials block of each provider, by provider name (`lexflow.providers`).
CREDENTIALS: dict[str, type[ProviderCredentials]] = {
    block.provider: block for block in (LexwareCredentials, SevdeskCredentials, XeroCredentials, QuickBooksCredentials)
}


# ------------------------------------------------------------------------------------------------ the flow path
def _provider(profile: Profile) -> str:
    from lexflow.providers import provider_name

    return provider_name(profile.provider)


def credentials_for(profile: Profile) -> ProviderCredentials | None:
    """The profile's credentials: its named block (of its provider's type), else its inline Lexware key, else None.

    A named block is loaded once per flow run (every task asks; each load is a request to the Prefect API)."""
    provider = _provider(profile)
    if profile.credentials:
        from prefect.runtime import flow_run

        load = _load if flow_run.id else _load.__wrapped__  # outside a run: nothing to scope a cache to
        block = load(str(flow_run.id) if flow_run.id else None, provider, profile.credentials)
        remember_secrets(block.secrets())  # a key pasted into a record is redacted like an environment's
        return block
    if profile.api_key is not None:  # the older inline key: as before, the worker's URL unless the profile has one
        from lexflow.settings import get_settings

        s = get_settings()
        return LexwareCredentials(
            api_key=profile.api_key,
            base_url=profile.base_url or s.base_url,
            rate_limit=profile.rate_limit if profile.rate_limit is not None else s.rate_limit,
        )
    return None


@lru_cache(maxsize=32)
def _load(_run_id: str | None, provider: str, name: str) -> ProviderCredentials:
    block_type = CREDENTIALS[provider]
    try:
        block = block_type.load(name, _sync=True)  # type: ignore[call-arg]  # sync even inside an async task
    except ValueError:  # Prefect: "Unable to find block document named ..."
        raise ValueError(
            f"profile credentials {name!r}: no {block_type.__name__} block of that name (provider {provider}); "
            f"create it (`{block_type.__name__}(...).save({name!r})` or Blocks → {block_type._block_type_name} in "
            "the Prefect UI) or fix the profile's `credentials`"
        ) from None
    assert isinstance(block, ProviderCredentials)
    return block


def account_for(profile: Profile) -> tuple[str, str] | None:
    """Which account the profile acts on: (provider, account key); None means the process's own client (a profile
    without credentials on the process's provider, `LEXFLOW_PROVIDER`)."""
    from lexflow.providers import provider_name

    provider = _provider(profile)
    creds = credentials_for(profile)
    if creds is not None:
        return provider, creds.account_key()
    if provider == provider_name():
        return None
    return provider, "default"  # another provider, no credentials: its own settings, else its embedded sandbox


def client_for(profile: Profile, limiter: Any = None) -> Any:
    """A new connection for the profile's account, in the shape flows use: a `LexwareClient` for Lexware, that
    provider's `Provider` adapter for the others (and for Lexware on a worker whose LEXFLOW_PROVIDER is another,
    where only the neutral actions can run). `limiter` paces a Lexware account (the Prefect-wide limit).

    A profile without credentials on another provider than the process's gets that provider's default
    connection (its `SEVDESK_*`/`XERO_*`/`QUICKBOOKS_*` settings, else its embedded sandbox)."""
    from lexflow.providers import get_provider, provider_name

    provider = _provider(profile)
    creds = credentials_for(profile)
    if provider != "lexware":
        return get_provider(creds.get_client() if creds is not None else None, name=provider)
    if creds is None:
        from lexflow.lexware.client import connect

        client = connect(limiter=limiter)
    else:
        assert isinstance(creds, LexwareCredentials)
        client = creds.get_client(limiter=limiter)
    if provider_name() != "lexware":  # a bare client would be adapted to LEXFLOW_PROVIDER's provider: adapt it here
        return get_provider(client, name="lexware")
    return client
