"""Profile, countries, payment conditions, posting categories, print layouts, event subscriptions (docs/lexware.md#master-data, docs/lexware.md#subscribing)."""

from __future__ import annotations

from pydantic import Field

from lexflow.lexware.models._base import Amount, ApiModel


class ProfileCreated(ApiModel):
    user_id: str | None = None
    user_name: str | None = None
    user_email: str | None = None
    date: str | None = None


class Profile(ApiModel):
    organization_id: str | None = None
    company_name: str | None = None
    created: ProfileCreated | None = None
    connection_id: str | None = None
    tax_type: str | None = None
    distance_sales_principle: str | None = None
    business_features: list[str] = Field(default_factory=list)
    small_business: bool | None = None


class Country(ApiModel):
    country_code: str
    country_name_en: str | None = Field(default=None, alias="countryNameEN")
    country_name_de: str | None = Field(default=None, alias="countryNameDE")
    tax_classification: str | None = None


class PaymentConditionDiscount(ApiModel):
    discount_percentage: Amount | None = None
    discount_range: int | None = None


class PaymentCondition(ApiModel):
    id: str | None = None
    organization_default: bool | None = None
    payment_term_label_template: str | None = None
    payment_term_duration: int | None = None
    payment_discount_conditions: PaymentConditionDiscount | None = None


class PostingCategory(ApiModel):
    id: str
    name: str | None = None
    type: str | None = None
    contact_required: bool | None = None
    split_allowed: bool | None = None
    group_name: str | None = None


class PrintLayout(ApiModel):
    id: str
    name: str | None = None
    default: bool | None = None


class EventSubscription(ApiModel):
    subscription_id: str
    organization_id: str | None = None
    created_date: str | None = None
    event_type: str | None = None
    callback_url: str | None = None


_RESOURCES_WITH_STATUS = ("credit-note", "delivery-note", "down-payment-invoice", "invoice", "order-confirmation")

EVENT_TYPES: frozenset[str] = frozenset(
    {
        f"{r}.{e}"
        for r in ("article", "recurring-template", "dunning", "contact")
        for e in ("created", "changed", "deleted")
    }
    | {
        f"{r}.{e}"
        for r in (*_RESOURCES_WITH_STATUS, "quotation", "voucher")
        for e in ("created", "changed", "deleted", "status.changed")
    }
    | {"payment.changed", "token.revoked"}
)
"""The 42 webhook event types (docs/lexware.md#event-types) (matched in lowercase); the sandbox and the receiver both use this."""


class WebhookPayload(ApiModel):
    """What Lexware POSTs to a callback: only the id; GET the resource to see what changed."""

    organization_id: str | None = None
    event_type: str
    resource_id: str
    event_date: str | None = None
