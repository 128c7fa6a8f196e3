"""`lexflow sandbox ...` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    webhook_time_scale: Annotated[
        float | None,
        typer.Option(
            "--webhook-time-scale",
            min=0,
            help="Factor on Lexware's webhook retry schedule (0.001 = 1000x faster). "
            "Default: env LEXFLOW_SANDBOX_WEBHOOK_TIME_SCALE, else 1.",
        ),
    ] = None,
    callback_tls_check: Annotated[
        bool | None,
        typer.Option(
            "--callback-tls-check/--no-callback-tls-check",
            help="HEAD-check the TLS certificate of https callback URLs on subscribe (as Lexware does; 406 on failure). "
            "Default: env LEXFLOW_SANDBOX_CALLBACK_TLS_CHECK, else on.",
            show_default=False,
        ),
    ] = None,
    callback_ca_bundle: Annotated[
        Path | None,
        typer.Option("--callback-ca-bundle", help="PEM of CAs trusted for https callbacks (default: public CAs)."),
    ] = None,
    oauth_client: Annotated[
        list[str] | None,
        typer.Option(
            "--oauth-client",
            help="OAuth client as ID:SECRET (repeatable). Default: env LEXFLOW_SANDBOX_OAUTH_CLIENT_ID/_SECRET, "
            "else lexflow-sandbox-client:lexflow-sandbox-secret.",
        ),
    ] = None,
    oauth_expires_in: Annotated[
        int | None,
        typer.Option(
            "--oauth-expires-in",
            min=1,
            help="Access-token lifetime in seconds. Default: env LEXFLOW_SANDBOX_OAUTH_EXPIRES_IN, else 3600.",
        ),
    ] = None,
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            help="lexware, sevdesk, xero or quickbooks: which system's sandbox (docs/sevdesk.md, docs/xero.md, "
            "docs/quickbooks.md); xero and quickbooks take --port, --db and --host (xero: loopback only).",
        ),
    ] = "lexware",
) -> None:
    """Serve the sandbox API with uvicorn and print its URL and API key."""
    if provider.lower() == "sevdesk":
        from lexflow.sevdesk.sandbox.__main__ import serve as serve_sevdesk

        try:
            serve_sevdesk(host, port, db, api_key, rate_limit, bool(seed))
        except ValueError as exc:  # a token that is not 32 hex characters
            raise typer.BadParameter(str(exc).splitlines()[-1], param_hint="--api-key") from None
        return
    if provider.lower() in ("xero", "quickbooks"):
        import importlib

        entry = importlib.import_module(f"lexflow.{provider.lower()}.sandbox.__main__")
        argv = ["--port", str(port), *(["--db", str(db)] if db else [])]
        entry.main([*argv, "--host", host] if provider.lower() == "quickbooks" else argv)
        return
    if provider.lower() != "lexware":
        raise typer.BadParameter("choose lexware, sevdesk, xero or quickbooks", param_hint="--provider")
    import uvicorn
    from pydantic import ValidationError

    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    key = api_key or DEFAULT_API_KEY
    options: dict[str, Any] = {
        "webhook_time_scale": webhook_time_scale,
        "callback_tls_check": callback_tls_check,
        "callback_ca_bundle": callback_ca_bundle,
        "oauth_expires_in": oauth_expires_in,
        "oauth_clients": _oauth_clients(oauth_client) if oauth_client else None,
    }
    try:
        config = SandboxConfig(
            api_key=key,
            db_path=db,
            rate_limit=rate_limit,
            allow_http_callbacks=allow_http_callbacks,
            ocr_delay_seconds=ocr_delay,
            base_url=f"http://{host}:{port}",
            **{name: value for name, value in options.items() if value is not None},  # unset: env, then default
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'environment'}: {e['msg']}" for e in exc.errors())
        raise typer.BadParameter(problems) from None
    application = create_app(config)
    if seed:
        from lexflow.lexware.sandbox.seed import seed_company

        state = application.state.sandbox
        org = state.keys.lookup(key).organization_id
        result = seed_company(state, org, vouchers=seed)
        typer.echo(f"seeded: {result}")
    typer.echo(f"lexflow sandbox on http://{host}:{port}  (API key: {key})")
    typer.echo(f"  state: {db if db else 'in memory'} · rate limit: {rate_limit or 'off'} req/s per key")
    typer.echo(f"  OpenAPI: http://{host}:{port}/_sandbox/openapi.json")
    tls = "on" if config.callback_tls_check else "off"
    typer.echo(f"  webhooks: retry time scale {config.webhook_time_scale:g} · https callback TLS check {tls}")
    uvicorn.run(application, host=host, port=port, log_level="warning", lifespan="off")


@app.command()
def seed(
    vouchers: Annotated[int, typer.Option(min=10, help="How many sales and purchase vouchers to create.")] = 120,
    seed_: Annotated[int, typer.Option("--seed", help="Random seed: the same number gives the same company.")] = 42,
    reset: Annotated[bool, typer.Option("--reset", help="Empty the sandbox first (else the data is added).")] = False,
) -> None:
    """Fill the embedded sandbox with a company and write a bank statement and a CRM export for the deployments."""
    from lexflow.cli_support import fail
    from lexflow.lexware.sandbox.starter import seed_for_deployments
    from lexflow.settings import get_settings

    try:
        result = seed_for_deployments(vouchers=vouchers, seed=seed_, reset=reset)
    except RuntimeError as exc:
        fail(exc)
    counts = ", ".join(f"{n} {kind}" for kind, n in result.counts.items() if isinstance(n, int))
    typer.echo(f"sandbox ({get_settings().sandbox_db or 'in memory'}): {counts}")
    typer.echo(f"bank statement: {result.statement} ({result.statement_transactions} transactions)")
    typer.echo(f"CRM export:     {result.crm_export}")
    typer.echo(f"receipt:        {result.receipt}")
    typer.echo("try: .venv/bin/lexflow reconcile " + str(result.statement) + "   or Quick run a deployment in the UI")


def _oauth_clients(values: list[str]) -> dict[str, str]:
    """`--oauth-client ID:SECRET` options as the config's {id: secret}."""
    clients: dict[str, str] = {}
    for value in values:
        client_id, sep, secret = value.partition(":")
        if not sep or not client_id or not secret:
            raise typer.BadParameter("use ID:SECRET, e.g. my-app:s3cret", param_hint="--oauth-client")
        clients[client_id] = secret
    return clients
