"""`invoice.status.changed` → one Slack message: which invoice, for whom, its new status, the amount, a link.

A plain webhook action (no flow run needed for one message). The bot token, channel and Slack base URL are the
approvals subsystem's settings (`LEXFLOW_SLACK_*`, one place for Slack); the message never carries secrets.
"""

from __future__ import annotations

from typing import Any

from lexflow.webhooks.events import WebhookEvent

STATUS_WORDS = {
    "draft": "is a draft again",
    "open": "is open",
    "paid": "is paid",
    "paidoff": "is paid",
    "voided": "was voided",
    "overdue": "is overdue",
}


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
    from lexflow.approvals.settings import SlackApprovalSettings

    settings = SlackApprovalSettings()
    target = channel or settings.channel
    if settings.bot_token is None or not target:
        raise RuntimeError(
            "Slack is not configured for invoice notices: set LEXFLOW_SLACK_BOT_TOKEN and LEXFLOW_SLACK_CHANNEL "
            "(or pass channel in the route's parameters), then `lexflow webhooks replay ID`"
        )
    response = settings.web_client().chat_postMessage(
        channel=target, text=invoice_notice(event, resource), unfurl_links=False
    )
    return f"posted to {target} at {response.get('ts')}"
