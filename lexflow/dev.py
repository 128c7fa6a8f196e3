"""`lexflow dev`: the local pieces a person needs to try approvals and e-mail, without writing Python.

Starts, in this one process and on fixed loopback ports:
- a mail catcher (SMTP): every mail a flow sends is printed and saved as an .eml file;
- the fake Slack (the Web API methods lexflow calls), whose decision requests are printed here;
- the real approvals receiver, which Slack's button clicks go to.
It writes the environment that points lexflow at them to `.lexflow/dev.env` (`set -a; . .lexflow/dev.env` in the
terminal that runs `lexflow serve` or a flow). Typing `a` (Approve) or `r` (Reject) + Enter clicks the button of
the oldest unanswered request, exactly as a click in Slack would (a signed interaction POSTed to the receiver).
The Lexware side is the embedded sandbox as always (`lexflow sandbox seed` fills it).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

SIGNING_SECRET = "lexflow-dev-signing-secret-0123456789"
APPROVER = "U0DEVAPPROVER"
TOKEN = "xoxb-lexflow-dev"


def dev_environment(*, smtp_url: str, slack_api_url: str, channel: str = "C0LEXFLOWDEV") -> dict[str, str]:
    """What a flow process needs to use the dev pieces (no real secret: the fake Slack accepts this token)."""
    return {
        "LEXFLOW_SMTP_URL": smtp_url,
        "LEXFLOW_SLACK_BOT_TOKEN": TOKEN,
        "LEXFLOW_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "LEXFLOW_SLACK_CHANNEL": channel,
        "LEXFLOW_SLACK_APPROVERS": APPROVER,
        "LEXFLOW_SLACK_BASE_URL": slack_api_url,
    }


class DevStack:
    """Mail catcher + fake Slack + approvals receiver; `answer()` clicks like a person in Slack."""

    def __init__(self, smtp_port: int = 1025, slack_port: int = 8091, receiver_port: int = 8092) -> None:
        self.ports = (smtp_port, slack_port, receiver_port)
        self.answered: set[str] = set()
        self._stack: Any = None

    def __enter__(self) -> DevStack:
        import contextlib
        import os

        from lexflow.approvals.receiver import create_receiver_app
        from lexflow.approvals.serving import ThreadedServer
        from lexflow.approvals.settings import SlackApprovalSettings
        from lexflow.testing import MailCatcher
        from lexflow.testing.fake_slack import FakeSlack

        smtp_port, slack_port, receiver_port = self.ports
        self._stack = contextlib.ExitStack()
        try:
            self.mail = self._stack.enter_context(MailCatcher(port=smtp_port))
            self.slack = FakeSlack(token=TOKEN).start(port=slack_port)
            self._stack.callback(self.slack.stop)
            self.env = dev_environment(smtp_url=self.mail.url, slack_api_url=self.slack.api_url)
            os.environ.update(self.env)  # the receiver reads the same settings as the flows
            receiver = create_receiver_app(SlackApprovalSettings(), sweep_interval=1.0)
            self.receiver = self._stack.enter_context(ThreadedServer(receiver, port=receiver_port))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def pending(self) -> list[Any]:
        return [p for p in self.slack.posted_requests() if p.request_id not in self.answered]

    def answer(self, choice: str) -> str:
        """Click Approve (`approve`) or Reject (`reject`, with a reason) on the oldest unanswered request."""
        from lexflow.testing.slack_clicks import click, reject

        waiting = self.pending()
        if not waiting:
            return "no decision request is waiting"
        posted = waiting[0]
        if choice == "approve":
            resp = click(self.receiver.url, SIGNING_SECRET, posted, choice="approve", user=APPROVER)
        else:
            resp = reject(self.receiver.url, SIGNING_SECRET, self.slack, posted, user=APPROVER, reason="lexflow dev")
        self.answered.add(posted.request_id)
        return f"{choice} clicked as {APPROVER} on {posted.text!r} (receiver answered HTTP {resp.status_code})"


def _watch(stack: DevStack, mail_dir: Path, stop: threading.Event) -> None:
    """Print each new mail (and where it was saved) and each new decision request."""
    seen_mail, seen_requests = 0, 0
    while not stop.wait(0.5):
        messages = stack.mail.messages
        for i, m in enumerate(messages[seen_mail:], start=seen_mail + 1):
            path = mail_dir / f"{i:03d}.eml"
            path.write_bytes(bytes(m.message))
            typer.echo(f"mail: {m.subject!r} to {', '.join(m.rcpt_to)} ({len(m.attachments())} attachment(s)) → {path}")
        seen_mail = len(messages)
        posted = stack.slack.posted_requests()
        for p in posted[seen_requests:]:
            typer.echo(f"slack: decision request {p.text!r}: type a + Enter to Approve, r + Enter to Reject")
        seen_requests = len(posted)


def dev_command(
    smtp_port: Annotated[int, typer.Option(help="Mail catcher (SMTP) port.")] = 1025,
    slack_port: Annotated[int, typer.Option(help="Fake Slack port.")] = 8091,
    receiver_port: Annotated[int, typer.Option(help="Approvals receiver port.")] = 8092,
) -> None:
    """Start the local pieces to try lexflow: sandbox, mail catcher, fake Slack, approvals receiver."""
    from lexflow.approvals.receiver import DEFAULT_PATH as RECEIVER_PATH
    from lexflow.cli_support import fail

    state = Path(".lexflow")
    mail_dir = state / "dev-mail"
    mail_dir.mkdir(parents=True, exist_ok=True)
    try:
        stack = DevStack(smtp_port, slack_port, receiver_port).__enter__()
    except (OSError, RuntimeError) as exc:
        fail(f"cannot start the dev pieces ({exc}); is `lexflow dev` already running, or a port taken? Use --*-port")
    try:
        env_file = state / "dev.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in stack.env.items()), encoding="utf-8")
        typer.echo(f"mail catcher:       {stack.mail.url}  (mails are printed here and saved in {mail_dir}/)")
        typer.echo(f"fake Slack:         {stack.slack.api_url}  (channel {stack.env['LEXFLOW_SLACK_CHANNEL']})")
        typer.echo(f"approvals receiver: {stack.receiver.url}{RECEIVER_PATH}")
        typer.echo("Lexware Office:     the embedded sandbox (.lexflow/sandbox.db; `lexflow sandbox seed` fills it)")
        typer.echo(f"\nIn the terminal that runs flows or `lexflow serve`:  set -a; . {env_file}; set +a")
        typer.echo("Then type a + Enter (Approve) or r + Enter (Reject) here when a decision request shows up.")
        typer.echo("Ctrl-C (or q + Enter) stops everything.\n")
        stop = threading.Event()
        threading.Thread(target=_watch, args=(stack, mail_dir, stop), daemon=True).start()
        try:
            for line in sys.stdin:
                word = line.strip().lower()
                if word in ("q", "quit", "exit"):
                    break
                if word in ("a", "approve", "r", "reject"):
                    typer.echo(stack.answer("approve" if word.startswith("a") else "reject"))
                elif word:
                    typer.echo("a = Approve, r = Reject (the oldest waiting request), q = quit")
            else:  # stdin closed (started in the background): keep serving until Ctrl-C
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            pass
        stop.set()
    finally:
        stack.__exit__(None, None, None)
