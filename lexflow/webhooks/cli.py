"""`lexflow webhooks ...`: serve the receiver (Lexware, Xero, QuickBooks), run the worker, look into the inbox,
manage Lexware's subscriptions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from lexflow.cli_support import api_client
from lexflow.webhooks.config import DEFAULT_PATH, OFFICIAL_PUBLIC_KEY_URL, WebhookConfig, WebhookSettings, load_config
from lexflow.webhooks.inbox import EventStatus, Inbox, RetryPolicy
from lexflow.webhooks.subscriptions import SyncReport

app = typer.Typer(
    help="Webhooks of Lexware Office, Xero and QuickBooks: verified events → durable inbox → flow runs.",
    no_args_is_help=True,
)


def _console() -> Console:
    """Created per call, so the terminal width (COLUMNS) of this invocation applies."""
    return Console(soft_wrap=True)


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML/TOML routes + subscriptions file [env LEXFLOW_WEBHOOKS_CONFIG]"),
]
DatabaseOption = Annotated[str | None, typer.Option("--database-url", help="Inbox database (default: settings)")]


def _config(path: Path | None) -> WebhookConfig:
    try:
        return load_config(path or WebhookSettings().config)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None


def _inbox(database_url: str | None, config: WebhookConfig | None = None) -> Inbox:
    worker = (config or WebhookConfig()).worker
    retry = RetryPolicy(worker.max_attempts, worker.base_delay, worker.max_delay)
    return Inbox(database_url, lease=worker.lease, retry=retry)


def _print_report(report: SyncReport) -> None:
    for label, subs in (("created", report.created), ("deleted", report.deleted)):
        for sub in subs:
            _console().print(f"{label} {sub.subscription_id}  {sub.event_type} → {sub.callback_url}", highlight=False)
    for failure in report.failed:
        _console().print(
            f"failed to {failure.operation} {failure.event_type} → {failure.callback_url}: {failure.error}",
            highlight=False,
            markup=False,
        )


def _public_key(option: str | None, settings: WebhookSettings) -> Any:
    """--public-key, else the environment, else (no API key) the embedded sandbox's key, else the official URL."""
    from lexflow.settings import get_settings
    from lexflow.webhooks.keys import WebhookPublicKey

    if option:
        return WebhookPublicKey(option)
    if settings.public_key_pem is not None:
        return WebhookPublicKey(settings.public_key_pem.get_secret_value().encode())
    if settings.public_key:
        return WebhookPublicKey(settings.public_key)
    if get_settings().uses_sandbox:
        return _embedded_sandbox_key()
    return WebhookPublicKey(OFFICIAL_PUBLIC_KEY_URL)


def _sources(settings: WebhookSettings) -> list[Any]:
    """The HMAC-signed providers whose secret is configured; without its secret a provider's path is not served."""
    from lexflow.webhooks.sources import quickbooks_source, xero_source

    sources = []
    if settings.xero_webhook_key is not None:
        sources.append(xero_source(settings.xero_webhook_key))
    if settings.quickbooks_verifier_token is not None:
        sources.append(quickbooks_source(settings.quickbooks_verifier_token))
    return sources


def _adapters(connections: dict[str, Any]) -> Any:
    """The worker's re-fetch: through a connection this command already holds, else the provider's configured one."""
    from lexflow.providers import get_provider

    return lambda provider, tenant: get_provider(connections.get(provider), name=provider).for_tenant(tenant)


def _embedded_sandbox_key() -> Any:
    """The embedded sandbox keeps its signing key in its database, so every process using it signs alike."""
    from lexflow.lexware.sandbox import SandboxConfig, create_app
    from lexflow.lexware.sandbox.webhooks import public_key_pem
    from lexflow.settings import get_settings
    from lexflow.webhooks.keys import WebhookPublicKey

    app = create_app(SandboxConfig(rate_limit=0, db_path=get_settings().sandbox_db))
    return WebhookPublicKey(public_key_pem(app.state.sandbox), description="the embedded sandbox's key")


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface; put a TLS proxy in front for Lexware (HTTPS only)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8585,
    public_key: Annotated[
        str | None,
        typer.Option("--public-key", help="PEM file or URL of Lexware's webhook key [default: official URL]"),
    ] = None,
    path: Annotated[str, typer.Option(help="URL path of the callback")] = DEFAULT_PATH,
    config_file: ConfigOption = None,
    database_url: DatabaseOption = None,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Drain the inbox in this process")] = True,
) -> None:
    """Receive webhooks: verify, store, answer 200; a worker thread dispatches the mapped actions."""
    import uvicorn

    from lexflow.audit import install_log_redaction
    from lexflow.webhooks.receiver import create_receiver_app
    from lexflow.webhooks.worker import InboxWorker

    install_log_redaction()  # a long-running receiver: whatever it logs is redacted first

    settings = WebhookSettings()
    config = _config(config_file)
    inbox = _inbox(database_url, config)
    key = _public_key(public_key, settings)
    try:
        key.pem()
    except Exception as exc:
        raise typer.BadParameter(str(exc), param_hint="--public-key") from None
    with api_client() as client:
        organization = settings.organization_id or _organization_of(client)
        age = timedelta(hours=settings.max_event_age_hours) if settings.max_event_age_hours else None
        adapters = _adapters({"lexware": client})
        runner = InboxWorker(inbox, config, client_factory=lambda: client, adapters=adapters) if worker else None
        _warn_without_prefect_server(config)
        sources = _sources(settings)
        _console().print(
            f"receiving on http://{host}:{port}{path} (key: {key.description}; "
            f"worker: {'on' if runner else 'off'}; {len(config.routes)} routes, {len(config.resources)} resource routes)",
            highlight=False,
        )
        for source in sources:
            _console().print(f"receiving {source.provider} on http://{host}:{port}{source.path}", highlight=False)
        app = create_receiver_app(
            inbox,
            key,
            worker=runner,
            path=path,
            organization_id=organization,
            max_event_age=age,
            sources=sources,
        )
        uvicorn.run(app, host=host, port=port, log_level="info")


def _organization_of(client: Any) -> str | None:
    """The organisation of the configured account (`GET /v1/profile`), whose events alone are accepted."""
    from lexflow.cli_support import print_error

    try:
        profile = client.profile.get()
    except Exception as exc:
        print_error(f"cannot read the account's organizationId ({exc}); set LEXFLOW_WEBHOOKS_ORGANIZATION_ID")
        raise typer.Exit(1) from None
    value = getattr(profile, "organization_id", None) or getattr(profile, "organizationId", None)
    return str(value) if value else None


def _warn_without_prefect_server(config: WebhookConfig) -> None:
    """Without PREFECT_API_URL, run_deployment would start runs on a throwaway server that nobody serves."""
    from lexflow.webhooks.config import DeploymentAction

    if not any(isinstance(action, DeploymentAction) for action in config.routes.values()):
        return
    from prefect.settings import get_current_settings

    if get_current_settings().api.url is None:
        _console().print(
            "warning: routes start Prefect deployments but PREFECT_API_URL is not set; set it to the server "
            "that serves them (e.g. http://127.0.0.1:4200/api); until then those events are parked (replay them after)",
            highlight=False,
        )


@app.command()
def work(
    once: Annotated[bool, typer.Option("--once", help="Drain what is due now, then exit")] = False,
    config_file: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Run only the worker (beside `serve --no-worker`, or several on other machines against one database)."""
    import time

    from lexflow.webhooks.worker import InboxWorker

    config = _config(config_file)
    inbox = _inbox(database_url, config)
    with api_client() as client:
        _warn_without_prefect_server(config)
        runner = InboxWorker(inbox, config, client_factory=lambda: client, adapters=_adapters({"lexware": client}))
        if once:
            _console().print(f"processed {runner.drain()} event(s)")
            return
        runner.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            runner.stop()


@app.command()
def inbox(
    parked: Annotated[bool, typer.Option("--parked", help="Only parked (poison) events")] = False,
    status: Annotated[EventStatus | None, typer.Option(help="Only this status")] = None,
    limit: Annotated[int, typer.Option(help="Newest N")] = 50,
    database_url: DatabaseOption = None,
) -> None:
    """Show the inbox: status, attempts, and why an event failed or was parked."""
    box = _inbox(database_url)
    rows = box.list(EventStatus.PARKED if parked else status, limit=limit)
    counts = box.counts()
    _console().print(" · ".join(f"{k}: {v}" for k, v in counts.items()), highlight=False)
    table = Table(
        "id",
        "provider",
        "event",
        Column("resource", overflow="fold"),  # ids are copied into other commands: never cut them
        "event date",
        "status",
        "tries",
        "deliveries",
        Column("result / reason", overflow="fold"),
    )
    for row in rows:
        reason = row.parked_reason or row.last_error or row.result or ""
        table.add_row(
            str(row.id),
            row.provider,
            row.event_type,
            row.resource_id,
            row.event_date,
            row.status,
            str(row.attempts),
            str(row.deliveries),
            escape(reason),  # API errors carry [field: code] lists, which rich would take for markup
        )
    _console().print(table)


@app.command()
def replay(
    event_id: Annotated[int, typer.Argument(help="Inbox id (see `lexflow webhooks inbox`)")],
    database_url: DatabaseOption = None,
) -> None:
    """Queue an event again (a parked one after a fix, or a done one on purpose) with a fresh retry budget."""
    try:
        row = _inbox(database_url).replay(event_id)
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0]), param_hint="ID") from None
    _console().print(f"event {row.id} ({row.event_type} {row.resource_id}) queued again; a running worker picks it up")


@app.command()
def routes(config_file: ConfigOption = None) -> None:
    """Show what each event type does, and check that every callable imports and takes its parameters."""
    from lexflow.webhooks.dispatch import check_route

    config = _config(config_file)
    table = Table("event type", "action", "parameters", "refetch", "check")
    problems = 0
    for event_type, action in sorted(config.routes.items()):
        problem = check_route(action)
        problems += problem is not None
        table.add_row(event_type, action.target, str(action.parameters or ""), str(action.refetch), problem or "ok")
    for resource_type, action in sorted(config.resources.items()):
        problem = check_route(action)
        problems += problem is not None
        label = f"{resource_type} (any provider; no route of its own type)"
        table.add_row(label, action.target, str(action.parameters or ""), str(action.refetch), problem or "ok")
    _console().print(table)
    if problems:
        raise typer.Exit(1)


@app.command()
def paths(
    path: Annotated[str, typer.Option(help="Lexware's callback path (as `serve --path`)")] = DEFAULT_PATH,
) -> None:
    """Where each provider delivers, how it signs, and whether its secret is configured (never the secret itself)."""
    from lexflow.webhooks.sources import QUICKBOOKS_PATH, XERO_PATH

    settings = WebhookSettings()
    table = Table("provider", "path", "signature", "secret", "answers")
    table.add_row(
        "lexware",
        path,
        "X-Lxo-Signature (RSA SHA-512)",
        "public key: " + ("configured" if settings.public_key or settings.public_key_pem else "default"),
        "200 stored · 401 bad signature · 400 not an event · 403 other organisation · 503 retry",
    )
    table.add_row(
        "xero",
        XERO_PATH,
        "x-xero-signature (HMAC-SHA256)",
        "LEXFLOW_WEBHOOKS_XERO_WEBHOOK_KEY " + ("set" if settings.xero_webhook_key else "NOT SET: path not served"),
        "200 / 401 with an empty body · 503 retry",
    )
    table.add_row(
        "quickbooks",
        QUICKBOOKS_PATH,
        "intuit-signature (HMAC-SHA256)",
        "LEXFLOW_WEBHOOKS_QUICKBOOKS_VERIFIER_TOKEN "
        + ("set" if settings.quickbooks_verifier_token else "NOT SET: path not served"),
        "200 stored · 401 bad signature · 400 not an event · 503 retry",
    )
    _console().print(table)


@app.command()
def subscribe(
    url: Annotated[str, typer.Option("--url", help="Public HTTPS callback URL of the receiver")],
    events: Annotated[str, typer.Option("--events", help="Comma-separated event types, e.g. payment.changed,...")],
) -> None:
    """Create subscriptions (existing type+URL pairs are left alone: Lexware would answer 409)."""
    from lexflow.webhooks.config import SubscriptionSet
    from lexflow.webhooks.subscriptions import sync_subscriptions

    try:
        wanted = SubscriptionSet(callback_url=url, events=[e for e in (x.strip() for x in events.split(",")) if e])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--events") from None
    with api_client() as client:
        report = sync_subscriptions(client, wanted)
    _print_report(report)
    if not report.created and not report.failed:
        _console().print("nothing to create: every pair exists already")
    if report.failed:
        raise typer.Exit(1)


@app.command("list")
def list_() -> None:
    """List the account's event subscriptions."""
    from lexflow.webhooks.subscriptions import list_subscriptions

    with api_client() as client:
        subs = list_subscriptions(client)
    table = Table("subscription id", "event type", "callback URL")
    for sub in subs:
        table.add_row(sub.subscription_id, sub.event_type, sub.callback_url)
    _console().print(table)


@app.command()
def delete(subscription_id: Annotated[str, typer.Argument(help="Subscription id (see `list`)")]) -> None:
    """Delete one subscription."""
    with api_client() as client:
        client.event_subscriptions.delete(subscription_id)
    _console().print(f"deleted {subscription_id}")


@app.command()
def sync(
    config_file: ConfigOption = None,
    prune: Annotated[bool, typer.Option("--prune", help="Also delete subscriptions that are not configured")] = False,
) -> None:
    """Make the subscriptions match the config (re-creates what a key rotation or `token.revoked` removed)."""
    from lexflow.webhooks.subscriptions import sync_subscriptions

    config = _config(config_file)
    try:
        with api_client() as client:
            report = sync_subscriptions(client, config.subscriptions, prune=prune)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None
    _print_report(report)
    _console().print(
        f"{len(report.kept)} kept, {len(report.created)} created, {len(report.deleted)} deleted, "
        f"{len(report.failed)} failed",
        highlight=False,
    )
    if report.extra and not prune:
        names = ", ".join(f"{s.event_type} → {s.callback_url}" for s in report.extra)
        _console().print(f"{len(report.extra)} not configured (kept; --prune deletes them): {names}", highlight=False)
    if report.failed:
        raise typer.Exit(1)
