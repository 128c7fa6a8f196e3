"""Notifying a person from a flow run (Slack), never failing the run over it."""

from __future__ import annotations

#: Seconds between the attempts of a Slack notification (three attempts in all); tests make them short.
NOTIFY_RETRY_DELAYS: list[float] = [5.0, 30.0]


def notify_slack(text: str) -> str | None:
    """Post `text` to the Slack channel of the approvals settings, retried; never fails the run.

    A notification reports work that is already done (drafts created, transactions matched), so Slack being down
    must not turn that run red. Returns None when posted or Slack is not configured, else a warning sentence that
    names Slack and what to check; the caller logs it and puts it in its artifact."""
    import time

    from lexflow.approvals.settings import SlackApprovalSettings

    try:
        cfg = SlackApprovalSettings()
        if not cfg.slack_configured:
            return None
    except Exception as exc:  # bad settings: still only a notification problem
        return (
            f"Slack notification not sent: the Slack settings are invalid ({exc}); check the LEXFLOW_SLACK_* variables"
        )
    error: Exception | None = None
    for delay in [0.0, *NOTIFY_RETRY_DELAYS]:
        time.sleep(delay)
        try:
            cfg.web_client().chat_postMessage(channel=str(cfg.channel), text=text)
            return None
        except Exception as exc:  # slack_sdk errors, connection refused, timeouts: all the same to the run
            error = exc
    return (
        f"Slack notification failed after {1 + len(NOTIFY_RETRY_DELAYS)} attempts ({type(error).__name__}: "
        f"{_short(error)}); the finished work is not affected. Check that Slack is reachable (status.slack.com), "
        f"that LEXFLOW_SLACK_BOT_TOKEN is valid and the bot is a member of channel {cfg.channel}."
    )


def _short(exc: BaseException | None, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
