"""Least-privilege profiles: which scopes a person, agent or environment may use, and when approvals are needed.

A profile grants scopes such as `contacts:read`, `invoices:write`, `*:read` or `*`. With no configuration, the
built-in `default` profile grants only `*:read`. Irreversible actions need an approval reference when the profile
says so (default: yes). Profiles come from a TOML or YAML file (`LEXFLOW_PROFILES_FILE`, else
`~/.config/lexflow/profiles.toml|yaml`) for the CLI and from a Prefect Block (`lexflow.prefect.blocks`) for flows.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from lexflow.actions.approvals import ApprovalVerifier, StoreApprovals
from lexflow.actions.errors import ApprovalRefused, ApprovalRequired, PolicyDenied
from lexflow.actions.io import writes_local_file
from lexflow.actions.registry import Action, Effect
from lexflow.settings import runtime_settings

READ_ONLY = ("*:read",)
#: The scope for writing local files (`save_to`); `*:read` does not include it.
LOCAL_FILES_WRITE = "local_files:write"


class Profile(BaseModel):
    """A named credential profile: what it may do, and on which accounting system and account.

    `provider` unset: the process's (`LEXFLOW_PROVIDER`, default lexware). `credentials` names a Prefect credentials
    block of that provider (`lexflow.prefect.credentials`; the flow path loads it); `api_key`/`base_url` are the
    older inline Lexware key. Neither: the process's settings for that provider, else its embedded sandbox."""

    model_config = ConfigDict(extra="forbid")

    name: str = "default"
    scopes: list[str] = Field(default_factory=lambda: list(READ_ONLY))
    approval_for: list[Effect] = Field(
        default_factory=lambda: list[Effect](["irreversible"]),
        description="Effects that need an approval reference: [] for none, ['irreversible'] (default), or also 'write'.",
    )
    provider: str | None = Field(
        default=None, description="lexware, sevdesk, xero or quickbooks; unset: LEXFLOW_PROVIDER."
    )
    credentials: str | None = Field(default=None, description="Name of the provider's credentials block (flows).")
    api_key: SecretStr | None = None
    base_url: str | None = None
    rate_limit: float | None = None
    description: str = ""

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, provider: str | None) -> str | None:
        if provider is None or not provider.strip():
            return None
        from lexflow.providers import PROVIDERS

        key = provider.strip().lower()
        if key not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}")
        return key

    @model_validator(mode="after")
    def _key_is_lexware(self) -> Profile:
        if self.api_key is not None and self.credentials:
            raise ValueError("give either credentials (a credentials block's name) or api_key, not both")
        if self.api_key is not None and self.provider not in (None, "lexware"):
            raise ValueError(
                f"api_key is a Lexware key, but the profile's provider is {self.provider}: put that provider's "
                "secrets in its credentials block and name it in `credentials`"
            )
        return self

    @field_validator("scopes")
    @classmethod
    def _scopes_look_right(cls, scopes: list[str]) -> list[str]:
        for s in scopes:
            if s != "*" and ":" not in s:
                raise ValueError(f"scope {s!r} must look like 'contacts:read', 'invoices:write', '*:read' or '*'")
        return scopes

    def grants(self, scope: str) -> bool:
        """`invoices:write` also implies `invoices:read`; wildcards match per part."""
        resource, _, level = scope.partition(":")
        wanted = [scope] + ([f"{resource}:write"] if level == "read" else [])
        return any(fnmatch.fnmatchcase(w, granted) for granted in self.scopes for w in wanted)

    def needs_approval(self, effect: Effect) -> bool:
        return effect in self.approval_for


def check(
    action: Action,
    data: BaseModel,
    profile: Profile,
    approval_ref: str | None,
    verify_approval: ApprovalVerifier | None = None,
) -> Effect:
    """Raise `PolicyDenied` / `ApprovalRequired` / `ApprovalRefused`, or return the effect the call has with this
    input. When the profile needs an approval for it, `approval_ref` was verified and consumed (default: in the
    approvals store, `StoreApprovals`)."""
    if not profile.grants(action.scope):
        raise PolicyDenied(action.name, action.scope, profile.name)
    effect = action.effect_for(data)
    if writes_local_file(data):  # a download that also writes a file is a write, on this machine
        if not profile.grants(LOCAL_FILES_WRITE):
            raise PolicyDenied(action.name, LOCAL_FILES_WRITE, profile.name, "save_to writes a local file")
        effect = "write" if effect == "read" else effect
    if not profile.needs_approval(effect):
        return effect
    if not approval_ref:
        raise ApprovalRequired(action.name, profile.name)
    from lexflow.approvals.store import ApprovalUnusable

    try:
        (verify_approval or StoreApprovals()).consume(approval_ref, action, data)
    except ApprovalUnusable as exc:
        raise ApprovalRefused(action.name, profile.name, str(exc)) from None
    return effect


EXAMPLE_PROFILES = """\
# lexflow action profiles (docs/security.md). `lexflow profiles init` wrote this file; edit it freely.
[profiles.dev]
scopes = ["*"]                  # everything (on the sandbox)
approval_for = []

[profiles.agent]
scopes = ["*:read", "contacts:write", "invoices:write"]
approval_for = ["irreversible"] # default: finalized invoices and credit notes need an approval reference

[profiles.prod]
scopes = ["*:read", "invoices:write", "credit_notes:write", "vouchers:write"]
api_key_env = "LEXWARE_PROD_KEY"  # the key is read from this variable; the file holds no secret
"""
"""The documented example profiles; `lexflow profiles init` writes them (docs/security.md shows the same text)."""


def default_profiles_path() -> Path:
    """Where `lexflow profiles init` writes: `LEXFLOW_PROFILES_FILE`, else ~/.config/lexflow/profiles.toml."""
    env = runtime_settings()
    if env.profiles_file:
        return Path(env.profiles_file).expanduser()
    return Path(env.config_home).expanduser() / "lexflow" / "profiles.toml"


def profiles_file() -> Path | None:
    """The profiles file in use: `LEXFLOW_PROFILES_FILE`, else the first of ~/.config/lexflow/profiles.{toml,yaml,yml}."""
    env = runtime_settings()
    if env.profiles_file:
        return Path(env.profiles_file).expanduser()
    base = Path(env.config_home).expanduser() / "lexflow"
    for name in ("profiles.toml", "profiles.yaml", "profiles.yml"):
        if (base / name).exists():
            return base / name
    return None


def load_profiles(path: Path | None = None, *, need: str | None = None) -> dict[str, Profile]:
    """Read profiles from a file shaped `[profiles.NAME] scopes = [...]` (TOML) or `profiles: {NAME: {...}}` (YAML).

    Secrets in the file can be indirect: `api_key_env = "PROD_LEXWARE_KEY"` reads the key from that variable, so
    the file itself can be shared. With `need=NAME`, a profile whose variable is unset is left out (it cannot be
    used in this environment) unless it is the one needed: `--profile dev` works where only prod's key is missing.
    """
    path = path or profiles_file()
    profiles: dict[str, Profile] = {"default": Profile()}
    if path is None:
        return profiles
    if not path.exists():
        raise FileNotFoundError(f"profiles file {path} does not exist (set LEXFLOW_PROFILES_FILE or create it)")
    text = path.read_text(encoding="utf-8")
    raw: dict[str, Any] = tomllib.loads(text) if path.suffix == ".toml" else (yaml.safe_load(text) or {})
    for name, body in (raw.get("profiles") or {}).items():
        body = dict(body or {})
        env_name = body.pop("api_key_env", None)
        if env_name:
            if env_name not in os.environ:
                if need is not None and need != name:
                    continue
                raise ValueError(f"profile {name!r}: environment variable {env_name!r} (api_key_env) is not set")
            body["api_key"] = os.environ[env_name]
        try:
            profiles[name] = Profile(name=name, **body)
        except ValueError as exc:
            raise ValueError(f"profile {name!r} in {path}: {exc}") from None
    return profiles


def resolve_profile(profile: Profile | str | None) -> Profile:
    """A Profile object as is; a name from the profiles file; None: `LEXFLOW_PROFILE` or `default`."""
    if isinstance(profile, Profile):
        return profile
    name = profile or runtime_settings().profile or "default"
    profiles = load_profiles(need=name)
    if name not in profiles:
        known = ", ".join(sorted(profiles))
        where = profiles_file()
        if where is None:  # no file yet: say how to get one, not where a file would be
            raise ValueError(
                f"unknown profile {name!r}; known: {known} (no profiles file yet). `lexflow profiles init` writes "
                f"the documented examples (dev, agent, prod) to {default_profiles_path()}"
            )
        raise ValueError(f"unknown profile {name!r}; known: {known} (defined in {where})")
    return profiles[name]
