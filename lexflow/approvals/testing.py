"""Old path of the Slack click driver: it lives in `lexflow.testing.slack_clicks` now (kept so existing imports work
while the parallel branches land)."""

from lexflow.testing.slack_clicks import (
    button_payload,
    click,
    post_payload,
    reject,
    signed_headers,
    view_submission_payload,
)

__all__ = ["button_payload", "click", "post_payload", "reject", "signed_headers", "view_submission_payload"]
