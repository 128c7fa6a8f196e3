from __future__ import annotations

from pathlib import Path

import pytest

from lexflow.webhooks.config import CallableAction, DeploymentAction, WebhookConfig, load_config
from lexflow.webhooks.errors import PermanentFailure
from lexflow.webhooks.events import EVENT_TYPES, WebhookEvent, normalise_event_type
from lexflow.webhooks.templates import render


def test_event_types_are_the_42_of_the_reference() -> None:
    assert len(EVENT_TYPES) == 42
    for name in ("payment.changed", "token.revoked", "down-payment-invoice.status.changed", "dunning.deleted"):
        assert name in EVENT_TYPES
    assert "dunning.status.changed" not in EVENT_TYPES
    assert normalise_event_type(" Invoice.Status.Changed ") == "invoice.status.changed"
    with pytest.raises(ValueError, match=r"unknown Lexware Office event type 'invoice\.paid'"):
        normalise_event_type("invoice.paid")


def test_event_key_distinguishes_event_dates_not_redeliveries() -> None:
    base = {
        "organizationId": "o",
        "eventType": "INVOICE.CHANGED",
        "resourceId": "r",
        "eventDate": "2026-01-01T10:00:00.000+01:00",
    }
    first, again = WebhookEvent.model_validate(base), WebhookEvent.model_validate(dict(base))
    later = WebhookEvent.model_validate(base | {"eventDate": "2026-01-01T10:00:01.000+01:00"})
    assert first.key == again.key != later.key
    assert first.event_type == "invoice.changed" and first.resource_kind == "invoice"


def test_render_keeps_types_for_lone_placeholders_and_formats_strings() -> None:
    context = {"resourceId": "abc", "resource": {"voucherStatus": "paid", "totalPrice": {"totalGrossAmount": 11.9}}}
    template = {
        "id": "{resourceId}",
        "whole": "{resource}",
        "status": "{resource[voucherStatus]}",
        "label": "invoice {resourceId} is {resource[voucherStatus]}",
        "nested": ["{resource[totalPrice][totalGrossAmount]}", 3],
    }
    assert render(template, context) == {
        "id": "abc",
        "whole": context["resource"],
        "status": "paid",
        "label": "invoice abc is paid",
        "nested": [11.9, 3],
    }
    assert render({"status": "{resource[voucherStatus]}"}, {"resource": None}) == {"status": None}
    with pytest.raises(PermanentFailure, match=r"\{resource\[missing\]\}"):
        render("{resource[missing]}", context)


def test_config_files_yaml_and_toml(tmp_path: Path) -> None:
    yaml_file = tmp_path / "hooks.yaml"
    yaml_file.write_text(
        "routes:\n"
        "  Payment.Changed: {callable: 'pkg.mod:fn', parameters: {id: '{resourceId}'}}\n"
        "  invoice.status.changed: {deployment: 'notify/default'}\n"
        "subscriptions: {callback_url: 'https://h.example/hook', events: [payment.changed, invoice.status.changed]}\n"
        "worker: {max_attempts: 3}\n"
    )
    config = load_config(yaml_file)
    assert isinstance(config.route_for("payment.changed"), CallableAction)
    assert isinstance(config.route_for("invoice.status.changed"), DeploymentAction)
    assert config.route_for("contact.changed") is None
    assert config.subscriptions.events == ["invoice.status.changed", "payment.changed"]
    assert config.worker.max_attempts == 3

    toml_file = tmp_path / "hooks.toml"
    toml_file.write_text('[routes."voucher.created"]\ndeployment = "log-expense/continue"\n')
    assert load_config(toml_file).route_for("voucher.created") == DeploymentAction(deployment="log-expense/continue")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("routes: {invoice.paid: {deployment: 'a/b'}}", "unknown Lexware Office event type 'invoice.paid'"),
        ("routes: {invoice.changed: {deployment: 'no-slash'}}", "routes.invoice.changed"),
        ("routes: {invoice.changed: {callable: 'x:y', parameters: {a: '{secret}'}}}", "unknown placeholder {secret}"),
        ("worker: {max_attempts: 0}", "worker.max_attempts"),
    ],
)
def test_config_errors_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_config(path)


def test_default_mapping_covers_the_issue() -> None:
    routes = WebhookConfig().routes
    assert set(routes) == {"payment.changed", "invoice.status.changed", "voucher.created", "contact.changed"}
