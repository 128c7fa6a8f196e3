"""`invoice.status.changed` → one Slack message: which invoice, for whom, its new status, the amount, a link.

A plain webhook action (no flow run needed for one message), posted once per event even when the action runs
again (`lexflow.webhooks.effects`). The bot token, channel and Slack base URL are the
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


def invoice_notice(event: WebhookEvent, resource: dict[str, Any] | None, *, on_sandbox: bool | None = None) -> str:
    """The message text (mrkdwn), built from the re-fetched invoice. On the sandbox (`on_sandbox`; default: no
    API key or OAuth app configured) the invoice is named without a link: no web app knows a sandbox id."""
    from lexflow.lexware.client import deeplinks
    from lexflow.settings import get_settings

    settings = get_settings()
    sandbox = settings.uses_sandbox if on_sandbox is None else on_sandbox

    def named(label: str) -> str:
        return label if sandbox else f"<{deeplinks.view_url('invoices', event.resource_id, settings.app_url)}|{label}>"

    if resource is None:
        return f"Invoice {named(event.resource_id)} changed status (it could not be read: deleted or no access)."
    number = resource.get("voucherNumber") or "(draft, no number)"
    customer = (resource.get("address") or {}).get("name") or "unknown customer"
    status = str(resource.get("voucherStatus", "unknown"))
    total = (resource.get("totalPrice") or {}).get("totalGrossAmount")
    currency = (resource.get("totalPrice") or {}).get("currency", "EUR")
    amount = f" ({total} {currency})" if total is not None else ""
    return f"Invoice {named(number)} for {customer}{amount} {STATUS_WORDS.get(status.lower(), f'is {status}')}."


def notify_invoice_status(
    event: WebhookEvent,
    resource: dict[str, Any] | None,
    channel: str | None = None,
    database_url: str | None = None,
) -> str:
    """Webhook action: post the notice once per event; returns where it is (channel and message ts).

    The post is recorded in `webhook_effects` (key `slack-notice:<event key>`, the ts once Slack answered), so a
    re-run after the inbox write failed, after a crash or after `lexflow webhooks replay` finds the message and
    does not post it again. `database_url`: the worker passes its inbox's database."""
    from slack_sdk.errors import SlackApiError

    from lexflow.approvals.settings import SlackApprovalSettings
    from lexflow.webhooks.effects import EffectLog

    settings = SlackApprovalSettings()
    target = channel or settings.channel
    if settings.bot_token is None or not target:
        raise RuntimeError(
            "Slack is not configured for invoice notices: set LEXFLOW_SLACK_BOT_TOKEN and LEXFLOW_SLACK_CHANNEL "
            "(or pass channel in the route's parameters), then `lexflow webhooks replay ID`"
        )
    effects = EffectLog(database_url)
    key = f"slack-notice:{event.key}"
    earlier = effects.begin(key)
    if earlier is not None and earlier.outcome is not None:
        posted = earlier.outcome
        return f"already posted to {posted.get('channel')} at {posted.get('ts')}; not posted again"
    text = invoice_notice(event, resource)
    if earlier is not None:
        # An attempt posted (or was about to) and never recorded Slack's answer: it may be in the channel already.
        # A notice twice, marked as such, beats one lost; the ts below ends the repetition for good.
        text += " _(sent again: an earlier attempt was interrupted and may have posted this notice already)_"
    try:
        response = settings.web_client().chat_postMessage(channel=target, text=text, unfurl_links=False)
    except SlackApiError:
        effects.abandon(key)  # Slack answered and refused: nothing was posted, the retry starts clean
        raise
    effects.finish(key, {"channel": response.get("channel") or target, "ts": response.get("ts")})
    return f"posted to {target} at {response.get('ts')}"
