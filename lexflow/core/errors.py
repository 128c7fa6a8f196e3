"""Errors of the provider-neutral core. Each names the provider and says what to do instead."""

from __future__ import annotations

from lexflow.errors import LexflowError


class CoreError(LexflowError):
    """Base of everything the neutral core raises."""

    code = "core_error"


class CapabilityMissing(CoreError):
    """The provider's API cannot do this. Raised instead of guessing, so a flow branches on capabilities up front.

    `provider` and `capability` are data (flows and tests match on them); `reason` says why the API cannot,
    `instead` what lexflow does about it.
    """

    code = "capability_missing"

    def __init__(self, provider: str, capability: str, reason: str, instead: str) -> None:
        self.provider, self.capability, self.reason, self.instead = provider, capability, reason, instead
        super().__init__(f"{provider} cannot {capability.replace('_', ' ')}: {reason} Instead: {instead}")


class AdapterNotBuilt(CapabilityMissing):
    """The provider is known (its capabilities are documented) but lexflow has no adapter for it yet."""

    code = "adapter_not_built"

    def __init__(self, provider: str, known_built: list[str]) -> None:
        super().__init__(
            provider,
            "be used yet",
            f"lexflow knows {provider}'s API (docs/providers.md) but has no adapter for it yet.",
            f"set LEXFLOW_PROVIDER to one of: {', '.join(known_built)}.",
        )
        self.capability = "adapter"


class UnknownProvider(CoreError, ValueError):
    code = "unknown_provider"

    def __init__(self, name: str, known: list[str]) -> None:
        self.name, self.known = name, known
        super().__init__(f"Unknown provider {name!r} (LEXFLOW_PROVIDER). Known providers: {', '.join(known)}.")


class RecordNotFound(CoreError, LookupError):
    """No record with this id at the provider (or it is of another kind, e.g. a quotation asked for as invoice)."""

    code = "not_found"

    def __init__(self, provider: str, kind: str, id: str) -> None:
        self.provider, self.kind, self.id = provider, kind, id
        super().__init__(f"{provider} has no {kind} with id {id!r}. Check the id (list_* actions show existing ones).")


class InvalidRecord(CoreError, ValueError):
    """Input the provider would refuse, caught before anything is sent; names the field and the fix."""

    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class UnknownTaxCode(InvalidRecord):
    code = "unknown_tax_code"

    def __init__(self, provider: str, given: str, choices: list[str]) -> None:
        self.provider, self.given = provider, given
        super().__init__("tax", f"{given!r} is not a tax code {provider} knows. Use one of: {', '.join(choices)}.")


class NotCancellable(CoreError):
    """The API refuses to cancel this invoice in its current state (a draft, a paid invoice where only a void
    exists); says what a person does instead."""

    code = "not_cancellable"

    def __init__(self, provider: str, invoice: str, reason: str, fix: str) -> None:
        self.provider, self.invoice, self.reason, self.fix = provider, invoice, reason, fix
        super().__init__(f"{provider} cannot cancel invoice {invoice}: {reason} Instead: {fix}")


class TenantNotConnected(CoreError, LookupError):
    """An event (or a request) names an organisation this connection does not reach."""

    code = "tenant_not_connected"

    def __init__(self, provider: str, tenant: str, connected: str) -> None:
        self.provider, self.tenant, self.connected = provider, tenant, connected
        super().__init__(
            f"{provider}: the event is for organisation {tenant!r}, but this connection is to {connected!r}. "
            "Connect that organisation too (its own credentials), or ignore its events."
        )
