"""`lexflow actions ...` and the root-level `lexflow mcp` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="The action catalogue: list, inspect, run and export agent tools.", no_args_is_help=True)

profiles_app = typer.Typer(
    help="Action profiles (scopes, approvals): write the documented examples.", no_args_is_help=True
)


@profiles_app.callback()
def _profiles() -> None:
    """Action profiles (scopes, approvals): write the documented examples."""


@profiles_app.command("init")
def profiles_init(
    path: Annotated[
        Path | None, typer.Option(help="Where to write (default LEXFLOW_PROFILES_FILE, else ~/.config/lexflow).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the documented example profiles (dev, agent, prod), so `--profile dev` works."""
    from lexflow.actions.policy import EXAMPLE_PROFILES, default_profiles_path

    target = path or default_profiles_path()
    if target.exists() and not force:
        _err(f"error: {target} exists already; edit it, or pass --force to replace it with the examples")
        raise typer.Exit(1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(EXAMPLE_PROFILES, encoding="utf-8")
    hint = "" if path is None else f" (set LEXFLOW_PROFILES_FILE={target} to use it)"
    typer.echo(f"wrote {target}: profiles dev (everything), agent, prod{hint}")
    typer.echo('try: lexflow actions run upsert_customer --input \'{"name": "Muster GmbH"}\' --profile dev')


@profiles_app.command("list")
def profiles_list() -> None:
    """The profiles in use, with their scopes."""
    from lexflow.actions.policy import load_profiles, profiles_file

    typer.echo(f"profiles file: {profiles_file() or 'none (lexflow profiles init writes one)'}")
    for name, profile in sorted(load_profiles(need="").items()):  # profiles whose key variable is unset: left out
        typer.echo(
            f"  {name}: scopes {', '.join(profile.scopes) or '-'}; approval for {', '.join(profile.approval_for) or '-'}"
        )


ProfileOpt = Annotated[
    str | None, typer.Option("--profile", "-p", help="Credential profile (LEXFLOW_PROFILE, else 'default': read-only).")
]


def _split(values: str | None) -> list[str] | None:
    return [v.strip() for v in values.split(",") if v.strip()] if values else None


def _err(message: str) -> None:
    typer.echo(message, err=True)


@app.command("list")
def list_(
    read_only: Annotated[bool, typer.Option("--read-only", help="Only actions that change nothing.")] = False,
    group: Annotated[
        str | None, typer.Option(help="'neutral' (every provider), 'lexware' (Lexware Office's own) or 'partner'.")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Also actions that are switched off here (partner-only), with the reason.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """All usable actions with scope and effect (`--all` adds switched-off ones)."""
    from lexflow.actions import registry

    selected = registry.select(read_only=read_only, include_unavailable=all_)
    actions = [a for a in selected if not group or a.group == group]
    if as_json:
        rows = [
            {"name": a.name, "group": a.group, "scope": a.scope, "effect": a.effect, "idempotent": a.idempotent}
            | ({"unavailable": reason} if (reason := a.unavailable_reason()) else {})
            for a in actions
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "scope", "effect", "description", title=f"{len(actions)} actions")
    for a in actions:
        reason = a.unavailable_reason()
        summary = a.description.split(". ")[0]
        table.add_row(a.name, a.scope, a.effect, f"(off: {reason}) {summary}" if reason else summary)
    Console().print(table)


@app.command()
def schema(
    name: str,
    part: Annotated[str, typer.Option(help="input, output or both.")] = "both",
) -> None:
    """The JSON Schema of an action's input and output."""
    from lexflow.actions import UnknownAction, registry

    try:
        action = registry.get(name)
    except UnknownAction as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    doc: dict[str, Any] = {
        "name": action.name,
        "description": action.description,
        "scope": action.scope,
        "effect": action.effect,
        "idempotent": action.idempotent,
        "examples": list(action.examples),
    }
    if reason := action.unavailable_reason():
        doc["unavailable"] = reason
    if part in ("input", "both"):
        doc["input"] = action.input_schema()
    if part in ("output", "both"):
        doc["output"] = action.output_schema()
    typer.echo(json.dumps(doc if part == "both" else doc[part], indent=2, ensure_ascii=False))


def _read_input(value: str) -> Any:
    """`--input`: JSON text, `@file.json` or `@-` (stdin); every problem is a usage error naming `--input`."""
    from lexflow.actions.limits import MAX_INPUT_BYTES

    if value == "@-":
        raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        where = "stdin"
    elif value.startswith("@"):
        path = Path(value[1:]).expanduser()
        where = str(path)
        try:
            if path.is_dir():
                raise typer.BadParameter(f"{path} is a directory; give a JSON file", param_hint="--input")
            with path.open("rb") as f:
                raw = f.read(MAX_INPUT_BYTES + 1)
        except FileNotFoundError:
            raise typer.BadParameter(f"file {path} does not exist", param_hint="--input") from None
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="--input") from None
    else:
        raw, where = value.encode("utf-8", "surrogatepass"), "the option"
    if len(raw) > MAX_INPUT_BYTES:
        raise typer.BadParameter(f"{where} holds more than {MAX_INPUT_BYTES} bytes", param_hint="--input")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise typer.BadParameter(
            f"{where} is not UTF-8 text (byte {exc.start}); give a JSON file", param_hint="--input"
        ) from None
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not valid JSON ({exc.msg} at line {exc.lineno})", param_hint="--input") from None


@app.command("run")
def run_(
    name: str,
    input: Annotated[str, typer.Option("--input", "-i", help="JSON, @file.json or @- for stdin.")] = "{}",
    profile: ProfileOpt = None,
    approval_ref: Annotated[str | None, typer.Option(help="Approval reference for irreversible actions.")] = None,
    actor: Annotated[str | None, typer.Option(help="Who acts (default: your login name).")] = None,
) -> None:
    """Run one action; the result is JSON on stdout, the backend and any error on stderr."""
    from lexflow.actions import ActionError, Actor, resolve_profile, run
    from lexflow.actions.runner import client_for, default_actor

    data = _read_input(input)
    try:
        prof = resolve_profile(profile)
    except (ValueError, FileNotFoundError) as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    made: list[Any] = []
    from lexflow.actions import registry

    if name in registry and not registry.get(name).uses_client:
        _err("backend: none (computed locally; nothing is sent to Lexware)")

    def factory() -> Any:  # only a call that passed the policy gets a client (and the backend line)
        client = client_for(prof, registry.get(name) if name in registry else None)
        made.append(client)
        _err(f"backend: {getattr(client, 'backend_description', 'Lexware Office API')}")
        return client

    try:
        output = run(
            name,
            data,
            actor=Actor.user(actor) if actor else default_actor(),
            profile=prof,
            client_factory=factory,
            approval_ref=approval_ref,
        )
    except ActionError as exc:
        _err(f"{exc.code}: {exc}")
        raise typer.Exit(2) from None
    except Exception as exc:
        from lexflow.audit import redact_text

        secrets = [prof.api_key.get_secret_value()] if prof.api_key else []
        _err(redact_text(f"{type(exc).__name__}: {exc}", secrets))
        raise typer.Exit(1) from None
    finally:
        for client in made:
            client.close()
    typer.echo(output.model_dump_json(by_alias=True, indent=2))


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", "-f", help="openai, anthropic or mcp.")] = "openai",
    only: Annotated[str | None, typer.Option(help="Comma-separated action names.")] = None,
    read_only: Annotated[bool, typer.Option("--read-only")] = False,
) -> None:
    """Tool schemas for agent frameworks."""
    from lexflow.actions import UnknownAction
    from lexflow.actions.export import export_tools

    if format not in ("openai", "anthropic", "mcp"):
        raise typer.BadParameter("use openai, anthropic or mcp", param_hint="--format")
    try:
        tools = export_tools(format, _split(only), read_only)  # type: ignore[arg-type]
    except UnknownAction as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"tools": tools} if format == "mcp" else tools, indent=2, ensure_ascii=False))


@app.command()
def stats(
    since: Annotated[
        str | None, typer.Option(help="Only calls since: a duration (30d, 12h, 2w) or a date/time (UTC).")
    ] = None,
    actor_kind: Annotated[str | None, typer.Option(help="Only calls by 'agent', 'user' or 'flow'.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Database URL (default: LEXFLOW_DATABASE_URL).")] = None,
    hints: Annotated[
        bool, typer.Option("--hints", help="Also show the frequent-mistake hints these calls would give.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Success and error rates per action and per error kind, from the audit trail."""
    from lexflow.actions.hints import propose
    from lexflow.audit import AuditTrail
    from lexflow.audit.stats import parse_since, report

    if actor_kind is not None and actor_kind not in ("agent", "user", "flow"):
        raise typer.BadParameter("use agent, user or flow", param_hint="--actor-kind")
    try:
        start = parse_since(since) if since else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from None
    result = report(AuditTrail(url), since=start, actor_kind=actor_kind, action=action)
    proposed = propose(result.actions) if hints else None
    if as_json:
        doc = result.model_dump(mode="json") | ({"hints": proposed} if proposed is not None else {})
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    window = f" since {start:%Y-%m-%d %H:%M} UTC" if start else ""
    table = Table("action", "calls", "success", "errors", "top error kinds", title=f"{result.records} calls{window}")
    for row in result.actions:
        kinds = "; ".join(f"{k.kind} ×{k.count}" for k in row.error_kinds[:3])
        table.add_row(row.action, str(row.calls), f"{row.success_rate:.0%}", f"{row.error_rate:.0%}", kinds or "-")
    console = Console()
    console.print(table)
    if proposed is not None:
        console.print("hints (python -m bench.agent.tune keeps them only if the task suite does not score lower):")
        for name, lines in sorted(proposed.items()):
            for line in lines:
                console.print(f"  {name}: {line}", highlight=False)
        if not proposed:
            console.print("  none: no refused input field is frequent enough")


def mcp_command(
    transport: Annotated[str, typer.Option(help="stdio or http (streamable HTTP).")] = "stdio",
    host: Annotated[str, typer.Option(help="HTTP bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8765,
    only: Annotated[str | None, typer.Option(help="Expose only these actions (comma-separated).")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Expose only read-only actions.")] = False,
    profile: ProfileOpt = None,
    agent: Annotated[str, typer.Option(help="Agent name recorded in the audit trail.")] = "mcp-agent",
) -> None:
    """Serve the action catalogue to agents over MCP (stdio or streamable HTTP)."""
    from lexflow.actions import UnknownAction
    from lexflow.actions.mcp import create_server, serve_http, serve_stdio
    from lexflow.audit import install_log_redaction

    install_log_redaction()  # a long-running server: whatever it logs is redacted first

    try:
        server = create_server(only=_split(only), read_only=read_only, profile=profile, agent=agent)
    except (UnknownAction, ValueError, FileNotFoundError) as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    if transport == "stdio":
        serve_stdio(server)
    elif transport == "http":
        _err(f"MCP (streamable HTTP) on http://{host}:{port}/mcp")
        serve_http(server, host=host, port=port)
    else:
        raise typer.BadParameter("use stdio or http", param_hint="--transport")
