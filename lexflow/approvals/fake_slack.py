"""Old path of the fake Slack: it lives in `lexflow.testing.fake_slack` now (kept so existing imports and
`python -m lexflow.approvals.fake_slack` work while the parallel branches land)."""

from lexflow.testing.fake_slack import FakeCall, FakeSlack, PostedRequest, main

__all__ = ["FakeCall", "FakeSlack", "PostedRequest", "main"]

if __name__ == "__main__":  # pragma: no cover - manual use
    main()
