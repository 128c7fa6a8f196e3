"""Policy profiles as a Prefect Block, for flows (the only module of lexflow.actions that imports prefect).

    LexflowProfile(scopes=["*:read", "invoices:write"], api_key="...").save("prod")
    profile = LexflowProfile.load("prod").to_profile("prod")
    lexflow.actions.run("create_invoice", data, actor=Actor.flow(run_id), profile=profile, approval_ref=ref)

The API key is a SecretStr field, stored Fernet-encrypted by the Prefect server and shown as ******** in the UI.
"""

from __future__ import annotations

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from lexflow.actions.policy import READ_ONLY, Profile
from lexflow.actions.registry import Effect


class LexflowProfile(Block):
    """A lexflow credential profile: allowed scopes, which effects need approval, and optionally its own API key."""

    _block_type_name = "Lexflow Profile"
    _block_type_slug = "lexflow-profile"

    scopes: list[str] = Field(default_factory=lambda: list(READ_ONLY), description="e.g. ['*:read', 'invoices:write'].")
    approval_for: list[Effect] = Field(
        default_factory=lambda: list[Effect](["irreversible"]), description="Effects that need an approval reference."
    )
    api_key: SecretStr | None = Field(default=None, description="Lexware API key; empty: the process settings.")
    base_url: str | None = None
    rate_limit: float | None = None
    description: str = ""

    def to_profile(self, name: str | None = None) -> Profile:
        """The plain policy profile `lexflow.actions.run` takes (named after the block document by default)."""
        doc_name = name or getattr(self, "_block_document_name", None) or "prefect"
        return Profile(
            name=doc_name,
            scopes=list(self.scopes),
            approval_for=list(self.approval_for),
            api_key=self.api_key,
            base_url=self.base_url,
            rate_limit=self.rate_limit,
            description=self.description,
        )
