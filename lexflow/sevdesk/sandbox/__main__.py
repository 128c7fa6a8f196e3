"""`python -m lexflow.sevdesk.sandbox [--port 8485] [--db FILE] [--seed]`: serve the sevDesk sandbox."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from lexflow.sevdesk.sandbox import DEFAULT_TOKEN, SevdeskSandboxConfig, create_app

    parser = argparse.ArgumentParser(prog="python -m lexflow.sevdesk.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind; keep it on loopback")
    parser.add_argument("--port", type=int, default=8485)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file that keeps the state across restarts")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the API token (32 hex characters)")
    parser.add_argument("--rate-limit", type=float, default=0.0, help="requests/second before 429; 0 = off")
    parser.add_argument("--seed", action="store_true", help="seed a realistic company at start")
    args = parser.parse_args(argv)
    try:
        config = SevdeskSandboxConfig(token=args.token, db_path=args.db, rate_limit=args.rate_limit)
    except ValueError as exc:
        parser.error(str(exc).splitlines()[-1] if str(exc) else "invalid option")
    app = create_app(config)
    if args.seed:
        from fastapi.testclient import TestClient

        with TestClient(app) as http:
            http.post("/_sandbox/seed", headers={"Authorization": config.token}).raise_for_status()
    print(f"lexflow sevDesk sandbox on http://{args.host}:{args.port}/api/v1  (token: {config.token})")
    print(f"  state: {args.db or 'in memory'} · OpenAPI: http://{args.host}:{args.port}/_sandbox/openapi.json")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
