"""`lexflow sandbox ...` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Run and drive the embedded Lexware Office sandbox.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Run and drive the embedded Lexware Office sandbox."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind; keep it on loopback.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8484,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite file that keeps the state across restarts.")] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="Key of the default organisation (default: the documented one).")
    ] = None,
    rate_limit: Annotated[
        float, typer.Option("--rate-limit", help="Requests/second per key; 0 switches it off.")
    ] = 2.0,
    allow_http_callbacks: Annotated[
        bool, typer.Option("--allow-http-callbacks", help="Accept http:// webhook URLs (local receivers).")
    ] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed a realistic company with N vouchers first.")] = None,
    ocr_delay: Annotated[
        float, typer.Option("--ocr-delay", help="Seconds until an uploaded voucher leaves 'blank'.")
    ] = 2.0,
) -> None:
    """Serve the sandbox API with uvicorn and print its URL and API key."""
    import uvicorn

    from lexflow.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    key = api_key or DEFAULT_API_KEY
    config = SandboxConfig(
        api_key=key,
        db_path=db,
        rate_limit=rate_limit,
        allow_http_callbacks=allow_http_callbacks,
        ocr_delay_seconds=ocr_delay,
        base_url=f"http://{host}:{port}",
    )
    application = create_app(config)
    if seed:
        from lexflow.sandbox.seed import seed_company

        state = application.state.sandbox
        org = state.keys.lookup(key).organization_id
        result = seed_company(state, org, vouchers=seed)
        typer.echo(f"seeded: {result}")
    typer.echo(f"lexflow sandbox on http://{host}:{port}  (API key: {key})")
    typer.echo(f"  state: {db if db else 'in memory'} · rate limit: {rate_limit or 'off'} req/s per key")
    typer.echo(f"  OpenAPI: http://{host}:{port}/_sandbox/openapi.json")
    uvicorn.run(application, host=host, port=port, log_level="warning", lifespan="off")
