"""`lexflow serve` checks every deployment's parameters against its flow at start (issue 13, item 7): `wait: pole`
and `batch_size: hundred` used to be accepted and fail only when the schedule fired."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lexflow.cli import app
from lexflow.prefect.serving import PREFECT_YAML, InvalidDeployments, runner_deployments


def _broken(tmp_path: Path) -> Path:
    doc = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    for spec in doc["deployments"]:
        if spec["entrypoint"].endswith(":log_expense"):
            spec["parameters"]["wait"] = "pole"
        if spec["entrypoint"].endswith(":sync_history"):
            spec["parameters"]["batch_size"] = "hundred"
            spec["parameters"]["bogus"] = 1
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_the_shipped_deployments_are_valid():
    assert runner_deployments(PREFECT_YAML, schedules=False)


def test_an_entrypoint_without_its_flow_is_refused_at_start(tmp_path):
    doc = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    doc["deployments"][0]["entrypoint"] = "flows/no_such_flow.py:nothing"
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InvalidDeployments, match=r"flows/no_such_flow\.py:nothing"):
        runner_deployments(path, schedules=False)


def test_invalid_parameters_are_refused_naming_deployment_and_field(tmp_path):
    with pytest.raises(InvalidDeployments) as err:
        runner_deployments(_broken(tmp_path), schedules=False)
    text = str(err.value)
    assert "on-upload" in text and "wait" in text and "pole" in text
    assert "nightly" in text and "batch_size" in text and "hundred" in text
    assert "bogus: not a parameter of sync-history" in text


def test_lexflow_serve_stops_before_serving(tmp_path):
    out = CliRunner().invoke(app, ["serve", "--file", str(_broken(tmp_path))])
    assert out.exit_code == 2 and "batch_size" in out.output and "Traceback" not in out.output
