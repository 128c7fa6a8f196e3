"""Root commands `lexflow profile`, `lexflow contacts list --email …`, `lexflow invoices get ID`, and
`lexflow auth login|status|logout` (a partner app's OAuth2 tokens).

The first line always names the backend (the real API or the embedded sandbox). `--json` prints the API's JSON.
Tokens and secrets are never printed.
"""

from __future__ import annotations

import json
import time
import webbrowser
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from lexflow.cli_support import api_client, fail

__all__ = ["auth_app", "contacts_app", "invoices_app", "profile_command"]

contacts_app = typer.Typer(help="Contacts (customers and vendors).", no_args_is_help=True)
invoices_app = typer.Typer(help="Invoices.", no_args_is_help=True)
auth_app = typer.Typer(
    help="OAuth2 for a Lexware partner app (LEXWARE_OAUTH_*): log in, show the token status, log out.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(_dump(value), indent=2, ensure_ascii=False))


def _table(title: str, rows: list[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in rows:
        table.add_row(key, "" if value is None else str(value))
    return table


def profile_command(as_json: JsonOpt = False) -> None:
    """Show the account profile (company, tax type, features)."""
    with api_client(stderr=as_json) as client:
        p = client.profile.get()
        if as_json:
            _print_json(p)
            return
        Console().print(
            _table(
                "Profile",
                [
                    ("company", p.company_name),
                    ("organization", p.organization_id),
                    ("tax type", p.tax_type),
                    ("small business", p.small_business),
                    ("features", ", ".join(p.business_features)),
                ],
            )
        )


@contacts_app.command("list")
def contacts_list(
    email: Annotated[str | None, typer.Option(help="E-mail filter (≥3 characters; % and _ are wildcards).")] = None,
    name: Annotated[str | None, typer.Option(help="Name filter (≥3 characters).")] = None,
    customer: Annotated[bool | None, typer.Option("--customer/--no-customer", help="Only (non-)customers.")] = None,
    vendor: Annotated[bool | None, typer.Option("--vendor/--no-vendor", help="Only (non-)vendors.")] = None,
    limit: Annotated[int, typer.Option(help="Stop after this many contacts.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """List contacts matching the filters."""
    with api_client(stderr=as_json) as client:
        rows = []
        for c in client.contacts.list(email=email, name=name, customer=customer, vendor=vendor):
            rows.append(c)
            if len(rows) >= limit:
                break
        if as_json:
            _print_json(rows)
            return
        table = Table(title=f"Contacts ({len(rows)})")
        for col in ("id", "name", "customer no.", "vendor no.", "e-mail"):
            table.add_column(col)
        for c in rows:
            emails = [
                e
                for group in (c.email_addresses.model_dump().values() if c.email_addresses else [])
                for e in (group or [])
            ]
            table.add_row(
                str(c.id),
                c.display_name,
                str(c.roles.customer.number) if c.roles.customer and c.roles.customer.number else "",
                str(c.roles.vendor.number) if c.roles.vendor and c.roles.vendor.number else "",
                ", ".join(emails),
            )
        Console().print(table)


@invoices_app.command("get")
def invoices_get(
    invoice_id: Annotated[str, typer.Argument(help="Invoice id (UUID).")], as_json: JsonOpt = False
) -> None:
    """Show one invoice."""
    with api_client(stderr=as_json) as client:
        inv = client.invoices.get(invoice_id)
        if as_json:
            _print_json(inv)
            return
        total = inv.total_price
        Console().print(
            _table(
                f"Invoice {inv.voucher_number or '(draft)'}",
                [
                    ("id", inv.id),
                    ("status", inv.voucher_status),
                    ("date", inv.voucher_date),
                    ("due", inv.due_date),
                    ("customer", inv.address.name if inv.address else None),
                    ("net", total.total_net_amount if total else None),
                    ("tax", total.total_tax_amount if total else None),
                    ("gross", total.total_gross_amount if total else None),
                    ("lines", len(inv.line_items)),
                ],
            )
        )


# ------------------------------------------------------------------------------------------------------------ auth
def _oauth() -> Any:
    """The settings' partner app, or a clean exit naming what to configure."""
    from lexflow.lexware.client.auth import oauth_from_settings
    from lexflow.settings import get_settings
    from lexflow.transport import errors

    try:
        return oauth_from_settings(get_settings())
    except errors.LexwareError as exc:
        fail(exc)


def _when(epoch: float) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))
    left = epoch - time.time()
    if left <= 0:
        return f"{stamp} (expired; refreshed on next use)"
    return f"{stamp} (in {int(left // 60)} min)"


def _api_key_note() -> None:
    from lexflow.settings import get_settings

    if get_settings().api_key is not None:
        Console(stderr=True).print(
            "note: LEXWARE_API_KEY is set, so commands keep using the API key; unset it to use the OAuth tokens",
            highlight=False,
        )


@auth_app.command("login")
def auth_login(
    no_browser: Annotated[
        bool,
        typer.Option("--no-browser", help="Paste mode (no browser here): print the URL and exit; finish with --code."),
    ] = False,
    code: Annotated[
        str | None,
        typer.Option(help="Finish a paste-mode login: the URL the browser was sent to, or the code Lexware showed."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the browser's redirect.")] = 300.0,
) -> None:
    """Authorize the partner app: open the authorize URL, catch the redirect on the loopback redirect URI, store the
    tokens encrypted (LEXFLOW_TOKEN_STORE, key LEXFLOW_TOKEN_KEY)."""
    from lexflow.lexware.client import login
    from lexflow.transport import errors

    oauth = _oauth()
    out = Console(highlight=False, soft_wrap=True)
    try:
        if code is not None:
            tokens = login.finish_login(oauth, code)
        elif no_browser or login.loopback_address(oauth.config.redirect_uri) is None:
            request = login.start_paste_login(oauth)
            out.print("Open this URL in a browser (on any machine) and approve lexflow:")
            typer.echo(request.url)
            out.print(
                "Then run: lexflow auth login --code '<the URL the browser was sent to, or the code shown>' "
                "(within 10 minutes)"
            )
            return
        else:

            def show(url: str) -> None:
                out.print("Open this URL to authorize lexflow (a browser is being opened):")
                typer.echo(url)
                out.print(f"Waiting for the redirect to {oauth.config.redirect_uri} (up to {timeout:.0f} s) …")

            tokens = login.login_loopback(oauth, show_url=show, open_browser=webbrowser.open, timeout=timeout)
    except errors.LexwareError as exc:
        fail(exc)
    finally:
        oauth.close()
    out.print(f"Authorized app {oauth.config.client_id}; tokens stored encrypted in {oauth.store.path}")
    out.print(f"scopes: {tokens.scope or ' '.join(oauth.config.scopes)}")
    out.print(f"access token valid until {_when(tokens.expires_at)}; refreshed automatically")
    _api_key_note()


@auth_app.command("status")
def auth_status(as_json: JsonOpt = False) -> None:
    """Show the stored authorization (expiry, scopes; never the tokens). Exit code 1 when no tokens are stored."""
    from lexflow.settings import get_settings
    from lexflow.transport import errors

    oauth = _oauth()
    try:
        tokens = oauth.store.load()
        pending = oauth.store.load_pending()
    except errors.LexwareError as exc:
        fail(exc)
    finally:
        oauth.close()
    s = get_settings()
    info: dict[str, Any] = {
        "client_id": oauth.config.client_id,
        "token_store": str(oauth.store.path),
        "authorized": tokens is not None,
        "access_token_expires_at": tokens.expires_at if tokens else None,
        "refresh_token": bool(tokens and tokens.refresh_token),
        "scopes": (tokens.scope or "").split() if tokens else [],
        "login_pending": pending is not None,
        "used_by_connect": s.uses_oauth,
        "token_endpoint": oauth.config.url(oauth.config.token_path),
        "redirect_uri": oauth.config.redirect_uri,
    }
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        rows: list[tuple[str, Any]] = [
            ("client id", info["client_id"]),
            ("token store", info["token_store"]),
            ("authorized", "yes" if tokens else "no (run `lexflow auth login`)"),
        ]
        if tokens is not None:
            rows += [
                ("access token expires", _when(tokens.expires_at)),
                ("refresh token", "stored" if tokens.refresh_token else "none (log in again when it expires)"),
                ("scopes", tokens.scope or "(not reported)"),
            ]
        rows += [
            ("login pending", "yes (finish with --code)" if pending else "no"),
            ("used by commands", "yes" if s.uses_oauth else "no (LEXWARE_API_KEY is set)"),
            ("token endpoint", info["token_endpoint"]),
            ("redirect URI", info["redirect_uri"]),
        ]
        Console(highlight=False).print(_table("OAuth2", rows))
    if tokens is None:
        raise typer.Exit(1)


@auth_app.command("logout")
def auth_logout() -> None:
    """Revoke the authorization at Lexware (this also deletes its event subscriptions) and clear the token store."""
    from lexflow.transport import errors

    oauth = _oauth()
    out = Console(highlight=False, soft_wrap=True)
    try:
        if oauth.store.load() is None:
            oauth.store.clear()
            out.print(f"No tokens stored in {oauth.store.path}; nothing to revoke")
            return
        oauth.revoke()
    except errors.LexwareError as exc:
        exc.hint = (
            f"{exc.hint + '. ' if exc.hint else ''}The tokens were kept in {oauth.store.path}: retry, or delete "
            "that file to forget them here (the authorization then stays valid until revoked in Lexware Office)"
        )
        fail(exc)
    finally:
        oauth.close()
    out.print(f"Revoked the authorization of app {oauth.config.client_id} and cleared {oauth.store.path}")
