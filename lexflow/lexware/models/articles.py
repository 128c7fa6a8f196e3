"""Article (docs/lexware.md#articles)."""

from __future__ import annotations

from lexflow.lexware.models._base import Amount, ApiModel


class ArticlePrice(ApiModel):
    """`leadingPrice` says which of net/gross you give; the server computes the other."""

    net_price: Amount | None = None
    gross_price: Amount | None = None
    leading_price: str | None = None
    tax_rate: Amount | None = None


class Article(ApiModel):
    id: str | None = None
    organization_id: str | None = None
    created_date: str | None = None
    updated_date: str | None = None
    archived: bool | None = None
    title: str | None = None
    description: str | None = None
    type: str | None = None
    article_number: str | None = None
    gtin: str | None = None
    note: str | None = None
    unit_name: str | None = None
    price: ArticlePrice | None = None
    version: int = 0
