"""`python -m lexflow.quickbooks.sandbox [--host H] [--port P] [--db FILE] [--no-limits]`: serve the sandbox."""

from __future__ import annotations

import argparse
from pathlib import Path

from lexflow.quickbooks.sandbox.app import create_app
from lexflow.quickbooks.sandbox.config import QuickBooksSandboxConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m lexflow.quickbooks.sandbox", description="Serve the embedded QuickBooks Online sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8485)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file; the state survives restarts")
    parser.add_argument("--no-limits", action="store_true", help="switch the per-realm rate limits off")
    parser.add_argument("--webhook-url", default=None, help="deliver signed webhooks here (classic format)")
    parser.add_argument("--cloudevents", action="store_true", help="send webhooks in the CloudEvents format")
    args = parser.parse_args(argv)
    config = QuickBooksSandboxConfig(db_path=args.db, webhook_delay_seconds=1.0)
    if args.no_limits:
        config = config.model_copy(
            update={"requests_per_minute": 0, "requests_per_second": 0, "concurrent_requests": 0}
        )
    import uvicorn

    app = create_app(config)
    if args.webhook_url:
        app.state.qbo.webhooks.url = args.webhook_url
        app.state.qbo.webhooks.format = "cloudevents" if args.cloudevents else "legacy"

    print(
        f"QuickBooks sandbox on http://{args.host}:{args.port}  realm {config.realms[0]}  client {config.client_id}",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
