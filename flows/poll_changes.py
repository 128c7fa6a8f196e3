"""Changes polled into the webhook inbox, for an accounting system without webhooks (sevDesk).

The webhook-driven flows consume the inbox (`lexflow webhooks work`); where the provider sends no webhooks
(capability `webhooks`), this flow on a schedule lists what changed since its last run (`Provider.changes_since`,
sevDesk's `updateAfter`) and stores one `<kind>.changed` event per record, de-duplicated like deliveries
(`lexflow.webhooks.polling`, docs/webhooks.md#polling-where-there-are-no-webhooks). On a provider that does send
webhooks it does nothing and says so.
"""

from __future__ import annotations

from typing import Any

from lexflow.prefect.flow import lexflow_flow
from tasks.common import current_provider, run_logger


@lexflow_flow(name="poll-changes", persist_result=False)
def poll_changes(database_url: str | None = None, profile: str | None = None) -> dict[str, Any]:
    """Store an inbox event per record changed since the last poll (the first poll only takes the cursor)."""
    from lexflow.sync import SyncStore
    from lexflow.webhooks.inbox import Inbox
    from lexflow.webhooks.polling import poll_changes as poll

    log = run_logger()
    provider = current_provider(profile)
    webhooks = provider.capabilities.webhooks
    if webhooks.available:
        log.info("%s delivers webhooks (%s): nothing to poll", provider.capabilities.display_name, webhooks.detail)
        return {"provider": provider.name, "events": 0, "skipped": "the provider delivers webhooks"}
    result = poll(provider, Inbox(database_url), SyncStore(database_url))
    log.info("%d new event(s), %d already in the inbox", result.events, result.duplicates)
    return {"provider": provider.name, "events": result.events, "duplicates": result.duplicates}
