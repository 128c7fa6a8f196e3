"""One OAuth2 token store and refresh helper for every provider's client (docs/client.md#oauth).

Lexware, Xero and QuickBooks all hand out short-lived access tokens and refresh tokens that may rotate: a refresh
returns a new refresh token and the old one dies. Two processes refreshing with the same refresh token therefore
lose the connection (the second gets `invalid_grant`). The store prevents it:

- one file per provider and connection, Fernet-encrypted at rest (key: `LEXFLOW_TOKEN_KEY`), written atomically 0600;
- `Refresher` refreshes under a cross-process file lock (`filelock`) and re-reads the file first, so a refresh another
  process already did is used instead of spending the dead refresh token again;
- the file records its provider and connection; opening it for another connection is refused, never mixed.

Without a path the store keeps the tokens in memory (one process; the embedded sandboxes).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock
from pydantic import BaseModel, SecretStr, ValidationError

from lexflow.settings import runtime_settings
from lexflow.transport import errors

__all__ = ["NEW_KEY_COMMAND", "AuthorizationRequest", "Refresher", "TokenSet", "TokenStore"]

PENDING_TTL = 600.0
"""How long a started authorization (state + PKCE verifier) waits for its code (authorization codes are short-lived)."""
NEW_KEY_COMMAND = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class TokenSet(BaseModel):
    """What a token endpoint returned, with the expiry as a timestamp. Secrets never show in reprs or logs."""

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: float
    scope: str | None = None

    def expires_within(self, seconds: float) -> bool:
        return time.time() + seconds >= self.expires_at

    @classmethod
    def from_response(
        cls, data: dict[str, Any], previous: TokenSet | None = None, default_lifetime: float = 3600.0
    ) -> TokenSet:
        """From an RFC 6749 token answer; a refresh answer without a refresh token keeps the previous one."""
        refresh = data.get("refresh_token") or (
            previous.refresh_token.get_secret_value() if previous and previous.refresh_token else None
        )
        return cls(
            access_token=SecretStr(str(data["access_token"])),
            refresh_token=SecretStr(str(refresh)) if refresh else None,
            expires_at=time.time() + float(data.get("expires_in") or default_lifetime),
            scope=data.get("scope"),
        )

    def secrets(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token.get_secret_value(),
            "refresh_token": self.refresh_token.get_secret_value() if self.refresh_token else None,
            "expires_at": self.expires_at,
            "scope": self.scope,
        }

    def to_json(self) -> bytes:
        return json.dumps(self.secrets()).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> TokenSet:
        return cls.model_validate(json.loads(raw))


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the user, plus what to keep until the callback: `state` (CSRF) and the PKCE verifier."""

    url: str
    state: str
    code_verifier: str
    created_at: float = field(default_factory=time.time)

    def expired(self) -> bool:
        return time.time() - self.created_at > PENDING_TTL


def _fernet(key: str | bytes | SecretStr | None) -> Any:
    from cryptography.fernet import Fernet

    if isinstance(key, SecretStr):
        key = key.get_secret_value()
    if not key and (configured := runtime_settings().token_key) is not None:
        key = configured.get_secret_value()
    if not key:
        raise errors.LexwareError(
            "no encryption key for the OAuth token store",
            hint=f"Set LEXFLOW_TOKEN_KEY (or a credentials block's token_key) to a Fernet key (create one with "
            f"{NEW_KEY_COMMAND}) and keep it: the tokens stored with it cannot be read with another",
        )
    try:
        return Fernet(key if isinstance(key, bytes) else key.encode())
    except (ValueError, TypeError):
        raise errors.LexwareError(
            "the token-store key (LEXFLOW_TOKEN_KEY, or the key passed to TokenStore) is not a Fernet key",
            hint=f"A Fernet key is 32 url-safe base64-encoded bytes; create one with {NEW_KEY_COMMAND}",
        ) from None


class TokenStore:
    """The tokens of one connection: encrypted in a file shared by processes, or (no `path`) in memory.

    `provider` and `connection` name whose tokens these are (Lexware: the app; Xero: the app's connection, shared by
    its tenants; QuickBooks: the company's realm id). They are written into the encrypted file and checked on
    every read: a file of another connection is refused, never used. Files of earlier lexflow versions (an
    encrypted file without them, or Xero's and QuickBooks' plain JSON token files) are read once and written back
    encrypted with the owner recorded.

    Beside the tokens it keeps a started authorization (`<path>.pending`, encrypted too) so a login can be finished
    by a second command (paste mode on a machine without a browser).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        key: str | bytes | SecretStr | None = None,
        *,
        provider: str = "lexware",
        connection: str = "",
        tokens: TokenSet | None = None,
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else None
        self.provider = provider
        self.connection = connection
        self._memory = tokens
        self._fernet: Any = _fernet(key) if self.path is not None else None
        self._thread_lock = threading.RLock()
        self._file_lock = (
            FileLock(f"{self.path}.lock", thread_local=False, mode=0o600) if self.path is not None else None
        )
        if tokens is not None and self.path is not None and not self.path.exists():
            with self.lock():
                if not self.path.exists():
                    self.save(tokens)

    def __repr__(self) -> str:
        return f"TokenStore({self.provider!r}, {self.connection!r}, path={self.path})"

    # ---------------------------------------------------------------------------------------- tokens
    def load(self) -> TokenSet | None:
        """The stored tokens (None: not connected yet)."""
        if self.path is None:
            return self._memory
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if raw.lstrip().startswith(b"{"):
            return self._migrate_plain(raw)
        data = self._decrypt(raw, self.path)
        owner = (data.get("provider"), data.get("connection") or "")
        if "provider" in data and (
            owner[0] != self.provider or (owner[1] and self.connection and owner[1] != self.connection)
        ):
            raise errors.Unauthorized(
                f"the token file {self.path} holds the tokens of {owner[0]} connection {owner[1]!r}, "
                f"not of {self.provider} connection {self.connection!r}",
                hint="Give each connection its own token file (tokens of two connections are never mixed)",
            )
        try:
            return TokenSet.model_validate(data.get("tokens", data))
        except ValidationError:
            raise errors.Unauthorized(
                f"the token file {self.path} does not hold OAuth tokens",
                hint=f"Delete it and connect {self.provider} again",
            ) from None

    def save(self, tokens: TokenSet) -> None:
        if self.path is None:
            self._memory = tokens
            return
        body = {"provider": self.provider, "connection": self.connection, "tokens": tokens.secrets()}
        self._write(self.path, json.dumps(body).encode())

    def clear(self) -> None:
        if self.path is None:
            self._memory = None
            return
        self.path.unlink(missing_ok=True)
        self.clear_pending()

    def _decrypt(self, raw: bytes, path: Path) -> dict[str, Any]:
        from cryptography.fernet import InvalidToken

        try:
            data = json.loads(self._fernet.decrypt(raw))
        except InvalidToken:
            raise errors.LexwareError(
                f"the token store {path} cannot be decrypted",
                hint="LEXFLOW_TOKEN_KEY differs from the key it was written with; restore that key, or delete the "
                f"file and connect {self.provider} again (Lexware: `lexflow auth login`)",
            ) from None
        if not isinstance(data, dict):
            raise errors.Unauthorized(f"the token file {path} does not hold OAuth tokens", hint="Delete it")
        return data

    def _migrate_plain(self, raw: bytes) -> TokenSet:
        """A plain JSON token file of an earlier version (Xero: a token set; QuickBooks: a refresh token): read it
        and write it back encrypted at once, so the secret does not stay readable on disk."""
        assert self.path is not None
        try:
            data = json.loads(raw)
            refresh = data["refresh_token"]
            tokens = TokenSet(
                access_token=SecretStr(data.get("access_token") or ""),
                refresh_token=SecretStr(refresh) if refresh else None,
                expires_at=float(data.get("expires_at") or 0),
                scope=data.get("scope"),
            )
        except (ValueError, KeyError, TypeError, ValidationError):
            raise errors.Unauthorized(
                f"the token file {self.path} is neither an encrypted token store nor an earlier plain token file",
                hint=f"Delete it and connect {self.provider} again",
            ) from None
        with self.lock():
            self.save(tokens)
        return tokens

    def _write(self, path: Path, raw: bytes) -> None:
        """Atomically, encrypted, readable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self._fernet.encrypt(raw))
        os.chmod(tmp, 0o600)  # also when the file existed with wider permissions
        os.replace(tmp, path)

    # ---------------------------------------------------------------------------------------- a started login
    @property
    def pending_path(self) -> Path:
        if self.path is None:
            raise errors.LexwareError("an in-memory token store keeps no started authorization")
        return self.path.with_suffix(self.path.suffix + ".pending")

    def save_pending(self, request: AuthorizationRequest) -> None:
        self._write(self.pending_path, json.dumps(asdict(request)).encode())

    def load_pending(self) -> AuthorizationRequest | None:
        """The started authorization, or None (none, expired, or written with another key)."""
        from cryptography.fernet import InvalidToken

        try:
            raw = self._fernet.decrypt(self.pending_path.read_bytes())
        except (FileNotFoundError, InvalidToken):
            return None
        request = AuthorizationRequest(**json.loads(raw))
        return None if request.expired() else request

    def clear_pending(self) -> None:
        self.pending_path.unlink(missing_ok=True)

    # ---------------------------------------------------------------------------------------- locking
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive between the threads of this store and (with a file) every process using the file."""
        with self._thread_lock:
            if self._file_lock is None:
                yield
                return
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._file_lock:
                yield


Grant = Callable[[TokenSet], TokenSet]
"""Spend `current.refresh_token` at the token endpoint; return the new tokens (raise the provider's error)."""


class Refresher:
    """Valid access tokens from a store, refreshing at most once across every process sharing it.

    `grant` is the provider's refresh call. Under the store's lock the file is re-read first: tokens another process
    refreshed meanwhile are used, and the (rotated, now dead) refresh token is never spent twice.
    """

    def __init__(
        self,
        store: TokenStore,
        grant: Grant,
        *,
        margin: float,
        not_connected: Callable[[], Exception],
        on_tokens: Callable[[TokenSet], None] | None = None,
    ) -> None:
        self.store = store
        self.grant = grant
        self.margin = margin
        self.not_connected = not_connected
        self.on_tokens = on_tokens
        self.refreshes = 0
        """Refreshes this refresher sent to the token endpoint."""

    def current(self) -> TokenSet:
        tokens = self.store.load()
        if tokens is None:
            raise self.not_connected()
        return tokens

    def valid(self) -> TokenSet:
        """Current tokens, refreshed first if they expire within the margin."""
        tokens = self.store.load()
        if tokens is not None and not tokens.expires_within(self.margin):
            return tokens
        return self.refresh()

    def refresh(self, stale_access_token: str | None = None) -> TokenSet:
        """Fresh tokens. Without `stale_access_token` only expiring tokens are refreshed; with it (the token a 401
        refused) any other valid token in the store counts as refreshed already, else the store refreshes."""
        with self.store.lock():
            tokens = self.current()
            seen_other = stale_access_token is not None and tokens.access_token.get_secret_value() != stale_access_token
            if not tokens.expires_within(self.margin) and (stale_access_token is None or seen_other):
                return tokens
            if tokens.refresh_token is None or not tokens.refresh_token.get_secret_value():
                raise self.not_connected()
            new = self.grant(tokens)
            self.store.save(new)
            self.refreshes += 1
        if self.on_tokens is not None:
            self.on_tokens(new)
        return new

    def force(self) -> TokenSet:
        """Refresh now, whatever the expiry (`lexflow auth refresh`)."""
        with self.store.lock():
            tokens = self.current()
            if tokens.refresh_token is None:
                raise self.not_connected()
            new = self.grant(tokens)
            self.store.save(new)
            self.refreshes += 1
        if self.on_tokens is not None:
            self.on_tokens(new)
        return new
