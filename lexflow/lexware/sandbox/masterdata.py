"""Realistic German master data: countries and posting categories (package data in `data/`), payment conditions,
print layouts."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any


def _load(name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        files("lexflow.lexware.sandbox.data").joinpath(name).read_text(encoding="utf-8")
    )
    return rows


COUNTRIES: list[dict[str, Any]] = _load("countries.json")
"""ISO 3166-1 (iso-codes, see data/generate_countries.py) plus Lexware's extended codes, each with the tax
classification that drives the tax-type rules: `de`, `intraCommunity` (EU members) or `thirdPartyCountry`."""
COUNTRY_CODES = frozenset(c["countryCode"] for c in COUNTRIES)
TAX_CLASSIFICATION: dict[str, str] = {c["countryCode"]: c["taxClassification"] for c in COUNTRIES}


def countries() -> list[dict[str, Any]]:
    return [dict(c) for c in COUNTRIES]


PAYMENT_CONDITIONS: list[dict[str, Any]] = [
    {
        "id": "c4a7e1b2-3d5f-4e6a-8b9c-0d1e2f3a4b5c",
        "organizationDefault": True,
        "paymentTermLabelTemplate": "Zahlbar innerhalb von {paymentRange} Tagen ohne Abzug.",
        "paymentTermDuration": 14,
    },
    {
        "id": "d5b8f2c3-4e6a-4f7b-9cad-1e2f3a4b5c6d",
        "organizationDefault": False,
        "paymentTermLabelTemplate": "Zahlbar innerhalb von {paymentRange} Tagen ohne Abzug, "
        "bei Zahlung innerhalb von {discountRange} Tagen {discount} Skonto.",
        "paymentTermDuration": 30,
        "paymentDiscountConditions": {"discountPercentage": 2.0, "discountRange": 10},
    },
    {
        "id": "e6c9a3d4-5f7b-4a8c-adbe-2f3a4b5c6d7e",
        "organizationDefault": False,
        "paymentTermLabelTemplate": "Zahlbar sofort, rein netto.",
        "paymentTermDuration": 0,
    },
]
DEFAULT_PAYMENT_TERM_DAYS = 14


POSTING_CATEGORIES: list[dict[str, Any]] = _load("posting_categories.json")
"""The income categories with the ids the reference documents, and outgo categories with sandbox ids (the public
docs list none; see docs/sandbox.md)."""
CATEGORY_BY_ID = {c["id"]: c for c in POSTING_CATEGORIES}

PRINT_LAYOUTS: list[dict[str, Any]] = [
    {"id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", "name": "Standard", "default": True},
    {"id": "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f", "name": "Briefpapier mit Logo", "default": False},
    {"id": "d3e4f5a6-b7c8-4d9e-8f1a-2b3c4d5e6f7a", "name": "English layout", "default": False},
]
PRINT_LAYOUT_IDS = frozenset(p["id"] for p in PRINT_LAYOUTS)
DEFAULT_PRINT_LAYOUT_ID: str = next(p["id"] for p in PRINT_LAYOUTS if p["default"])
"""What a document answers as `printLayoutId` when the client sent none ("otherwise the account default")."""
