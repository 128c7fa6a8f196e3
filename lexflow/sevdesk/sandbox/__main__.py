"""`python -m lexflow.sevdesk.sandbox [--port 8485] [--db FILE] [--seed]`: serve the sevDesk sandbox."""

from __future__ import annotations

import argparse
from pathlib import Path


def serve(
    host: str = "127.0.0.1",
    port: int = 8485,
    db: Path | None = None,
    token: str | None = None,
    rate_limit: float = 0.0,
    seed: bool = False,
) -> None:
    """Serve the sevDesk sandbox with uvicorn (also `lexflow sandbox serve --provider sevdesk`)."""
    import uvicorn

    from lexflow.sevdesk.sandbox import DEFAULT_TOKEN, SevdeskSandboxConfig, create_app

    config = SevdeskSandboxConfig(token=token or DEFAULT_TOKEN, db_path=db, rate_limit=rate_limit)
    app = create_app(config)
    if seed:
        from fastapi.testclient import TestClient

        with TestClient(app) as http:
            http.post("/_sandbox/seed", headers={"Authorization": config.token}).raise_for_status()
    print(f"lexflow sevDesk sandbox on http://{host}:{port}/api/v1  (token: {config.token})")
    print(f"  state: {db or 'in memory'} · OpenAPI: http://{host}:{port}/_sandbox/openapi.json")
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")


def main(argv: list[str] | None = None) -> None:
    from lexflow.sevdesk.sandbox import DEFAULT_TOKEN

    parser = argparse.ArgumentParser(prog="python -m lexflow.sevdesk.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind; keep it on loopback")
    parser.add_argument("--port", type=int, default=8485)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file that keeps the state across restarts")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the API token (32 hex characters)")
    parser.add_argument("--rate-limit", type=float, default=0.0, help="requests/second before 429; 0 = off")
    parser.add_argument("--seed", action="store_true", help="seed a realistic company at start")
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port, args.db, args.token, args.rate_limit, args.seed)
    except ValueError as exc:  # pydantic's ValidationError: a bad token or rate
        parser.error(str(exc).splitlines()[-1] if str(exc) else "invalid option")


if __name__ == "__main__":
    main()
