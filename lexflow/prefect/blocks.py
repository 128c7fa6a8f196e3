"""lexflow's Prefect Blocks: credentials and settings a flow loads by name, secrets stored encrypted by Prefect.

    LexwareCredentials(api_key="...").save("prod-lexware")         # lexflow.prefect.credentials, one per provider
    LexflowProfile(scopes=["*:read", "invoices:write"], credentials="prod-lexware").save("prod")
    profile = LexflowProfile.load("prod").to_profile("prod")
    lexflow.actions.run("lexware_create_invoice", data, actor=Actor.flow(run_id), profile=profile, approval_ref=ref)

`SecretStr` fields are stored Fernet-encrypted by the Prefect server and shown as ******** in the UI. The block
type slugs are what saved documents are found by: they never change.
"""

from __future__ import annotations

from typing import Literal

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from lexflow.actions.policy import READ_ONLY, Profile
from lexflow.actions.registry import Effect
from lexflow.approvals.settings import DEFAULT_SLACK_BASE_URL, SlackApprovalSettings
from lexflow.prefect.credentials import CREDENTIALS

__all__ = ["BLOCK_TYPES", "LexflowProfile", "SlackApprovalBlock"]


class LexflowProfile(Block):
    """A lexflow profile: allowed scopes, which effects need approval, and the accounting system and account it acts
    on (`provider` and the name of that provider's credentials block; `api_key` is the older inline Lexware key)."""

    _block_type_name = "Lexflow Profile"
    _block_type_slug = "lexflow-profile"

    scopes: list[str] = Field(default_factory=lambda: list(READ_ONLY), description="e.g. ['*:read', 'invoices:write'].")
    approval_for: list[Effect] = Field(
        default_factory=lambda: list[Effect](["irreversible"]), description="Effects that need an approval reference."
    )
    provider: Literal["lexware", "sevdesk", "xero", "quickbooks"] | None = Field(
        default=None, description="The accounting system; empty: the worker's LEXFLOW_PROVIDER (default lexware)."
    )
    credentials: str | None = Field(
        default=None,
        description="Name of the provider's credentials block (e.g. a 'Lexware Credentials' document); empty: the "
        "worker's settings for that provider, else its embedded sandbox.",
    )
    api_key: SecretStr | None = Field(default=None, description="Lexware API key (older; prefer `credentials`).")
    base_url: str | None = None
    rate_limit: float | None = None
    description: str = ""

    def to_profile(self, name: str | None = None) -> Profile:
        """The plain policy profile `lexflow.actions.run` takes (named after the block document by default)."""
        doc_name = name or getattr(self, "_block_document_name", None) or "prefect"
        return Profile(
            name=doc_name,
            scopes=list(self.scopes),
            approval_for=list(self.approval_for),
            provider=self.provider,
            credentials=self.credentials,
            api_key=self.api_key,
            base_url=self.base_url,
            rate_limit=self.rate_limit,
            description=self.description,
        )


class SlackApprovalBlock(Block):
    """Slack approvals for lexflow: bot token, signing secret, app token, channel, approvers (the Block twin of
    `SlackApprovalSettings`)."""

    _block_type_name = "Lexflow Slack Approvals"
    _block_type_slug = "lexflow-slack-approvals"

    bot_token: SecretStr | None = Field(default=None, description="xoxb-… bot token (chat:write).")
    signing_secret: SecretStr | None = Field(default=None, description="Slack signing secret (receiver only).")
    app_token: SecretStr | None = Field(default=None, description="xapp-… app-level token for Socket Mode.")
    channel: str | None = Field(default=None, description="Channel id or name for decision requests.")
    approvers: list[str] = Field(default_factory=list, description="Slack user ids (U…) or user-group ids (S…).")
    base_url: str = Field(default=DEFAULT_SLACK_BASE_URL, description="Slack Web API base URL (tests: a fake).")
    database_url: str | None = Field(default=None, description="Pending requests store; default LEXFLOW_DATABASE_URL.")
    poll_interval: float = Field(default=1.0, gt=0, description="Seconds between checks of a paused run.")

    def to_settings(self) -> SlackApprovalSettings:
        return SlackApprovalSettings.model_validate(
            {name: getattr(self, name) for name in SlackApprovalSettings.model_fields if hasattr(self, name)}
        )

    @classmethod
    def from_settings(cls, settings: SlackApprovalSettings) -> SlackApprovalBlock:
        return cls(**{name: getattr(settings, name) for name in cls.model_fields if hasattr(settings, name)})


#: What `lexflow prefect setup` registers on a server, so the UI offers them before a document exists.
BLOCK_TYPES: tuple[type[Block], ...] = (LexflowProfile, SlackApprovalBlock, *CREDENTIALS.values())
