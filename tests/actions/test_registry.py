from __future__ import annotations

import json

import jsonschema
import pytest

from lexflow.actions import OPERATIONS, registry
from lexflow.actions.export import export_tools

BUSINESS = {
    "lexware_upsert_customer",
    "lexware_preview_invoice",
    "lexware_create_invoice",
    "lexware_invoice_document",
    "lexware_payment_status",
    "lexware_create_expense",
    "create_dunning",
}

FLOWS = {
    "upsert_customer",
    "find_duplicate_contacts",
    "preview_invoice",
    "invoice_document",
    "cancel_invoice",
    "open_items",
    "payment_status",
}
"""Neutral actions beyond the product's 12: those the customer and invoice flows use (tests/core/test_flow_actions.py),
cancellation and receivables (tests/core/test_cancellation.py, test_receivables.py)."""


def test_catalogue_has_every_operation_and_business_action():
    assert len(OPERATIONS) == 55
    assert len({f"{o.resource}:{o.op}" for o in OPERATIONS}) == 55
    assert set(registry.names()) >= BUSINESS | FLOWS
    assert [a.name for a in registry if a.group == "partner"] == ["transaction_assignment_hints_create"]
    assert len([a for a in registry if a.group == "neutral"]) == 12 + len(FLOWS)  # test_neutral.py, test_flow_actions
    assert len([a for a in registry if a.group == "lexware"]) == 55 + len(BUSINESS)  # Lexware Office's own
    assert len(registry) == 55 + len(BUSINESS) + 1 + 12 + len(FLOWS)  # + the partner-only, opt-in assignment hint


@pytest.mark.parametrize("action", list(registry), ids=lambda a: a.name)
def test_schemas_are_valid_and_examples_round_trip(action):
    schema_in, schema_out = action.input_schema(), action.output_schema()
    jsonschema.Draft202012Validator.check_schema(schema_in)
    jsonschema.Draft202012Validator.check_schema(schema_out)
    assert schema_in["type"] == "object"
    assert action.examples, f"{action.name} has no example"
    assert action.name.isidentifier() and action.name == action.name.lower()
    assert len(action.description) > 40
    assert action.scope.split(":")[1] in {"read", "write"}
    for example in action.examples:
        jsonschema.validate(example, schema_in)
        parsed = action.input_model.model_validate(example)
        dumped = json.loads(parsed.model_dump_json(by_alias=True, exclude_none=True))
        jsonschema.validate(dumped, schema_in)
        assert action.input_model.model_validate(dumped) == parsed


def test_effects_and_annotations():
    assert registry.get("contacts_get").annotations()["readOnlyHint"] is True
    create = registry.get("lexware_create_invoice")
    assert create.annotations()["destructiveHint"] is True and create.annotations()["idempotentHint"] is False
    assert registry.get("upsert_customer").annotations()["idempotentHint"] is True
    draft = create.input_model.model_validate({**create.examples[0], "finalize": False})
    assert create.effect_for(draft) == "write"
    assert create.effect_for(create.input_model.model_validate(create.examples[0])) == "irreversible"


def test_select_subset_and_read_only():
    assert [a.name for a in registry.select(["contacts_get", "create_invoice"], read_only=True)] == ["contacts_get"]
    ro = registry.select(read_only=True)
    assert ro and all(a.effect == "read" for a in ro)


@pytest.mark.parametrize("fmt", ["openai", "anthropic", "mcp"])
def test_export_formats(fmt):
    tools = export_tools(fmt)
    assert len(tools) == len(registry.select())
    for tool in tools:
        if fmt == "openai":
            assert tool["type"] == "function"
            schema, name = tool["function"]["parameters"], tool["function"]["name"]
        elif fmt == "anthropic":
            schema, name = tool["input_schema"], tool["name"]
        else:
            schema, name = tool["inputSchema"], tool["name"]
            assert set(tool["annotations"]) >= {"readOnlyHint", "destructiveHint", "idempotentHint"}
        jsonschema.Draft202012Validator.check_schema(schema)
        assert name in registry


def test_unknown_action_suggests_names():
    from lexflow.actions import UnknownAction

    with pytest.raises(UnknownAction, match="upsert_customer"):
        registry.get("upsert_customers")


def test_descriptions_read_as_a_person_writes_them():
    """Agents read these: no "Create a article", "List all countrie", "Delete a event subscription"."""
    import re

    from lexflow.actions import registry as actions

    for action in actions:
        text = action.description
        assert not re.search(r"\b[Aa] [aeio]", text), (action.name, text)  # "a article" (not "a user", "a UUID")
        assert not re.search(r"\b(countrie|subscription|categorie|condition|layout)\b \(", text), (action.name, text)
    described = {a.name: a.description for a in actions}
    assert described["countries_list"].startswith("List all countries")
    assert described["articles_create"].startswith("Create an article")
    assert described["event_subscriptions_delete"].startswith("Delete an event subscription")
