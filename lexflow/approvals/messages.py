"""Block Kit for decision requests: the question, the outcome, the reason modal, the reminder.

Pure functions from the request to JSON-able dicts, so the flow side, the receiver and the tests build the same
messages. Text is escaped for mrkdwn; no secret ever reaches a message (only what the request carries).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from lexflow.approvals.models import Choice, DecisionRequest

ACTION_PREFIX = "lexflow_decision:"
ACTIONS_BLOCK = "lexflow_decision"
REASON_CALLBACK = "lexflow_reason"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"


def esc(text: str) -> str:
    """Slack mrkdwn escaping (the three characters Slack asks to escape)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def money(value: Decimal | None, currency: str = "EUR") -> str:
    if value is None:
        return ""
    return f"{value:,.2f} {currency}"


def _ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _mention(approvers: list[str]) -> str:
    return " ".join(f"<!subteam^{a}>" if a.startswith("S") else f"<@{a}>" for a in approvers)


def summary_blocks(request: DecisionRequest, ui_url: str | None) -> list[dict[str, Any]]:
    s = request.summary
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": request.subject[:150]}},
    ]
    fields = [f"*{esc(f.label)}*\n{esc(f.value)}" for f in s.fields]
    if s.due_date:
        fields.append(f"*Due date*\n{s.due_date.isoformat()}")
    for i in range(0, len(fields), 10):  # Slack: at most 10 fields per section
        blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": t} for t in fields[i : i + 10]]})
    if s.lines:
        rows = []
        for line in s.lines[:20]:
            qty = (
                f"{line.quantity:g} {esc(line.unit or '')} × {money(line.unit_price)}".strip() if line.quantity else ""
            )
            rows.append(f"• {esc(line.description)}  {qty}  *{money(line.amount)}*".rstrip())
        if len(s.lines) > 20:
            rows.append(f"… and {len(s.lines) - 20} more lines")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(rows)[:3000]}})
    if s.totals:
        t = s.totals
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Net*\n{money(t.net, t.currency)}"},
                    {"type": "mrkdwn", "text": f"*Tax*\n{money(t.tax, t.currency)}"},
                    {"type": "mrkdwn", "text": f"*Gross*\n{money(t.gross, t.currency)}"},
                ],
            }
        )
    links = [f"<{link.url}|{esc(link.label)}>" for link in request.links]
    if ui_url:
        links.append(f"<{ui_url}|Paused run in Prefect>")
    if links:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]})
    return blocks


def _button(choice: Choice, request_id: str, request: DecisionRequest) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": ACTION_PREFIX + choice.id,
        "text": {"type": "plain_text", "text": choice.label},
        "value": request_id,
    }
    if choice.style:
        button["style"] = choice.style
    if choice.approves and not choice.asks_reason:
        button["confirm"] = {
            "title": {"type": "plain_text", "text": "Are you sure?"},
            "text": {"type": "mrkdwn", "text": f"{esc(choice.label)}: {esc(request.subject)}"[:300]},
            "confirm": {"type": "plain_text", "text": choice.label},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    return button


def request_message(
    request: DecisionRequest, request_id: str, *, approvers: list[str], expires_at: datetime, ui_url: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of the question with one button per choice."""
    blocks = summary_blocks(request, ui_url)
    who = f"Approvers: {_mention(approvers)} · " if approvers else ""
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"{who}expires {_ts(expires_at)}"}]})
    blocks.append(
        {
            "type": "actions",
            "block_id": ACTIONS_BLOCK,
            "elements": [_button(c, request_id, request) for c in request.choices],
        }
    )
    return f"Decision needed: {request.subject}", blocks


def outcome_message(
    request: DecisionRequest, *, ui_url: str | None, headline: str, detail: str = ""
) -> tuple[str, list[dict[str, Any]]]:
    """The question without buttons and with its outcome (approved by whom and when / rejected / expired)."""
    blocks = summary_blocks(request, ui_url)
    # The headline is ours (may hold a <@user> mention); the detail is user text and gets escaped.
    text = f"*{headline}*" + (f"\n>{esc(detail)}" if detail else "")
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    return f"{request.subject}: {headline}", blocks


def decided_headline(choice: Choice, user: str, when: datetime) -> str:
    verb = "Approved" if choice.approves else "Rejected"
    named = "" if choice.id in ("approve", "reject") else f" ({choice.label})"
    return f"{verb}{named} by <@{user}> at {_ts(when)}"


def reason_modal(request_id: str, choice: Choice, subject: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": REASON_CALLBACK,
        "private_metadata": f"{request_id}|{choice.id}",
        "title": {"type": "plain_text", "text": choice.label[:24]},
        "submit": {"type": "plain_text", "text": choice.label[:24]},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": esc(subject)[:3000]}},
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


def reminder_text(request: DecisionRequest, approvers: list[str], expires_at: datetime) -> str:
    who = _mention(approvers) + " " if approvers else ""
    return f"{who}Reminder: *{esc(request.subject)}* still needs a decision; it expires {_ts(expires_at)}."
