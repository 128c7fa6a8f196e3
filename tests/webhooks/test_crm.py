from __future__ import annotations

from lexflow.ledger import Ledger
from lexflow.webhooks.crm import sync_contact_to_crm_mapping
from lexflow.webhooks.events import WebhookEvent
from tests.webhooks.helpers import event_body


def test_contact_change_updates_the_crm_link(db_url: str) -> None:
    ledger = Ledger(db_url)
    ledger.link_contact("hubspot", "crm-7", "contact-1", "created", "old@example.org")
    ledger.link_contact("hubspot", "crm-8", "contact-2", "created", "other@example.org")
    event = WebhookEvent.model_validate_json(event_body(event_type="contact.changed", resource_id="contact-1"))
    contact = {
        "id": "contact-1",
        "company": {"name": "Muster GmbH"},
        "emailAddresses": {"office": ["office@muster.example"], "business": ["new@muster.example"]},
    }
    outcome = sync_contact_to_crm_mapping(event, contact, database_url=db_url)
    assert outcome == "updated 1 CRM link(s): hubspot:crm-7"
    links = {link.crm_id: link for link in ledger.links("hubspot")}
    assert links["crm-7"].email == "new@muster.example" and links["crm-7"].status == "created"
    assert "Muster GmbH" in links["crm-7"].message
    assert links["crm-8"].email == "other@example.org"

    stranger = WebhookEvent.model_validate_json(event_body(event_type="contact.changed", resource_id="contact-9"))
    assert sync_contact_to_crm_mapping(stranger, contact, database_url=db_url).startswith("no CRM record")
