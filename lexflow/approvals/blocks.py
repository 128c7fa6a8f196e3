"""The Prefect Block twin of `SlackApprovalSettings` (the only module here that imports Prefect's blocks)."""

from __future__ import annotations

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from lexflow.approvals.settings import DEFAULT_SLACK_BASE_URL, SlackApprovalSettings


class SlackApprovalBlock(Block):
    """Slack approvals for lexflow: bot token, signing secret, app token, channel, approvers."""

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
