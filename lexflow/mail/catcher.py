"""Old path of the SMTP catcher: it lives in `lexflow.testing.mail_catcher` now (kept so existing imports work while
the parallel branches land)."""

from lexflow.testing.mail_catcher import CaughtMessage, MailCatcher, _free_port

__all__ = ["CaughtMessage", "MailCatcher", "_free_port"]
