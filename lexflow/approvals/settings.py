"""Slack approval settings from the environment (`LEXFLOW_SLACK_*`). No Prefect here; the Block lives in `blocks.py`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SLACK_BASE_URL = "https://slack.com/api/"


class SlackApprovalSettings(BaseSettings):
    """Bot token, signing secret, app token, channel, approvers, Slack base URL (tests: the fake's URL)."""

    model_config = SettingsConfigDict(env_prefix="LEXFLOW_SLACK_", env_file=".env", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, description="xoxb-… bot token (chat:write).")
    signing_secret: SecretStr | None = Field(default=None, description="Verifies that requests come from Slack.")
    app_token: SecretStr | None = Field(default=None, description="xapp-… app-level token, only for --socket-mode.")
    channel: str | None = Field(default=None, description="Channel id or name the requests are posted to.")
    approvers: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated Slack user ids (U…) or user-group ids (S…)."
    )
    base_url: str = Field(default=DEFAULT_SLACK_BASE_URL, description="Slack Web API base URL.")
    database_url: str | None = Field(default=None, description="Pending requests store; default LEXFLOW_DATABASE_URL.")
    poll_interval: float = Field(default=1.0, gt=0, description="How often a paused flow asks Prefect if it resumed.")
    reminder: bool = Field(default=True, description="Remind the approvers at half time.")

    @field_validator("approvers", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("base_url")
    @classmethod
    def _slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def slack_configured(self) -> bool:
        """Can we post messages? (bot token and channel)."""
        return self.bot_token is not None and bool(self.channel)

    def resolved_database_url(self) -> str:
        """The URL the approvals store opens: `database_url`, else the one default `lexflow.db.open_database`
        applies (LEXFLOW_DATABASE_URL). Creates the store's tables if missing."""
        from lexflow.approvals.store import ApprovalStore

        return ApprovalStore(self.database_url).url

    def web_client(self):  # type: ignore[no-untyped-def]
        """A slack-sdk `WebClient` on `base_url` (the only way to point it at a fake, docs/prefect.md#slack-messages)."""
        from slack_sdk import WebClient

        if self.bot_token is None:
            raise RuntimeError("Slack is not configured: set LEXFLOW_SLACK_BOT_TOKEN (and LEXFLOW_SLACK_CHANNEL)")
        return WebClient(token=self.bot_token.get_secret_value(), base_url=self.base_url, timeout=10)
