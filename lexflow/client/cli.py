"""Root commands `lexflow profile`, `lexflow contacts list --email …`, `lexflow invoices get ID`.

The first line always names the backend (the real API or the embedded sandbox). `--json` prints the API's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

__all__ = ["contacts_app", "invoices_app", "profile_command"]

contacts_app = typer.Typer(help="Contacts (customers and vendors).", no_args_is_help=True)
invoices_app = typer.Typer(help="Invoices.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]


@contextmanager
def _client(as_json: bool = False) -> Iterator[Any]:
    """Connect and print the backend first (on stderr with --json, so stdout stays pure JSON for pipes)."""
    from lexflow.cli_support import fail
    from lexflow.client import connect, errors

    client = connect()
    Console(stderr=as_json).print(f"backend: {client.backend_description}", highlight=False, soft_wrap=True)
    try:
        yield client
    except errors.LexwareError as exc:
        fail(exc)  # escaped ([field: code] lists stay), redacted, exit code 1
    finally:
        client.close()


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
    with _client(as_json) as client:
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
    with _client(as_json) as client:
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
    with _client(as_json) as client:
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
