"""`python -m lexflow.xero.sandbox [--port 8766] [--db PATH]`: serve the Xero sandbox on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
from pathlib import Path

from lexflow.xero.sandbox.app import create_app
from lexflow.xero.sandbox.config import XeroSandboxConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lexflow.xero.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to keep the data across restarts")
    args = parser.parse_args(argv)
    import uvicorn

    config = XeroSandboxConfig(db_path=args.db)
    print(f"Xero sandbox on http://127.0.0.1:{args.port}  client_id={config.client_id}  (secret: see docs/xero.md)")
    uvicorn.run(create_app(config), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
