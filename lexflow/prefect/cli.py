"""Root commands for Prefect: `lexflow serve` and `lexflow prefect setup` (prefect is imported inside them)."""

from __future__ import annotations

from pathlib import Path

import typer

prefect_app = typer.Typer(help="Prepare a Prefect server for lexflow.", no_args_is_help=True)


@prefect_app.command("setup")
def setup_command(
    rate_limit: float = typer.Option(2.0, help="Account requests per second shared by all workers."),
    work_pool: bool = typer.Option(True, help="Create the process work pool 'lexflow-process'."),
) -> None:
    """Create the `lexware-api` rate limit, the work pool and the block types on the server in PREFECT_API_URL."""
    from lexflow.prefect.setup import setup

    result = setup(rate_limit, work_pool)
    typer.echo(f"rate limit   {result.rate_limit}")
    typer.echo(f"work pool    {result.work_pool or '(skipped)'}")
    typer.echo(f"block types  {', '.join(result.blocks) or '(none)'}")


def serve_command(
    no_schedules: bool = typer.Option(False, "--no-schedules", help="Serve without the schedules (manual runs only)."),
    rate_limit: float = typer.Option(2.0, help="Rate limit to ensure on the server before serving."),
    file: Path | None = typer.Option(None, "--file", help="Deployments file [default: deployments/prefect.yaml]."),
) -> None:
    """Serve every deployment of deployments/prefect.yaml from this process (needs PREFECT_API_URL).

    Every deployment's parameters are checked against its flow's signature first: a wrong value is refused here,
    naming the deployment and the field, not when the schedule fires."""
    from prefect import serve

    from lexflow.prefect.serving import PREFECT_YAML, InvalidDeployments, runner_deployments
    from lexflow.prefect.setup import ensure_rate_limit
    from lexflow.settings import get_settings

    if get_settings().uses_sandbox:
        typer.echo("backend: embedded sandbox (no LEXWARE_API_KEY set)")
    try:
        deps = runner_deployments(file or PREFECT_YAML, schedules=not no_schedules)
    except InvalidDeployments as exc:
        typer.echo(f"error: {exc} (in {file or PREFECT_YAML})", err=True)
        raise typer.Exit(2) from None
    typer.echo(ensure_rate_limit(rate_limit))
    serve(*deps)
