"""`invoice.status.changed` → one Slack message: which invoice, for whom, its new status, the amount, a link.

A plain webhook action (no flow run needed for one message). The bot token and channel come from the Slack
settings the approvals subsystem uses; the message never carries secrets.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from lexflow.webhooks.events import WebhookEvent

STATUS_WORDS = {
    "draft": "is a draft again",
    "open": "is open",
    "paid": "is paid",
    "paidoff": "is paid",
    "voided": "was voided",
    "overdue": "is overdue",
}


class SlackNoticeSettings(BaseSettings):
    """Where invoice notices go (`SLACK_BOT_TOKEN`, `SLACK_CHANNEL`, `SLACK_BASE_URL` for a fake or proxy)."""

    model_config = SettingsConfigDict(env_file=".env", env_prefix="SLACK_", extra="ignore")

    bot_token: SecretStr | None = None
    channel: str | None = None
    base_url: str = Field(default="https://slack.com/api/")


def invoice_notice(event: WebhookEvent, resource: dict[str, Any] | None) -> str:
    """The message text (mrkdwn), built from the re-fetched invoice."""
    from lexflow.settings import get_settings

    link = f"{get_settings().app_url.rstrip('/')}/permalink/invoices/view/{event.resource_id}"
    if resource is None:
        return f"Invoice <{link}|{event.resource_id}> changed status (it could not be read: deleted or no access)."
    number = resource.get("voucherNumber") or "(draft, no number)"
    customer = (resource.get("address") or {}).get("name") or "unknown customer"
    status = str(resource.get("voucherStatus", "unknown"))
    total = (resource.get("totalPrice") or {}).get("totalGrossAmount")
    currency = (resource.get("totalPrice") or {}).get("currency", "EUR")
    amount = f" ({total} {currency})" if total is not None else ""
    return f"Invoice <{link}|{number}> for {customer}{amount} {STATUS_WORDS.get(status.lower(), f'is {status}')}."


def notify_invoice_status(event: WebhookEvent, resource: dict[str, Any] | None, channel: str | None = None) -> str:
    """Webhook action: post the notice; returns the message timestamp."""
    from slack_sdk import WebClient

    settings = SlackNoticeSettings()
    if settings.bot_token is None:
        raise RuntimeError("SLACK_BOT_TOKEN is not set; the invoice notice cannot be posted (set it, then replay)")
    target = channel or settings.channel
    if not target:
        raise RuntimeError("no Slack channel: set SLACK_CHANNEL or pass channel in the route's parameters")
    base_url = settings.base_url if settings.base_url.endswith("/") else settings.base_url + "/"
    client = WebClient(token=settings.bot_token.get_secret_value(), base_url=base_url)
    text = invoice_notice(event, resource)
    response = client.chat_postMessage(channel=target, text=text, unfurl_links=False)
    return f"posted to {target} at {response.get('ts')}"
