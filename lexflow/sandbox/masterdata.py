"""Realistic German master data: countries, payment conditions, posting categories (documented ids), print layouts."""

from __future__ import annotations

from typing import Any

# (code, EN, DE, classification)
COUNTRIES: list[tuple[str, str, str, str]] = [
    ("DE", "Germany", "Deutschland", "de"),
    ("AT", "Austria", "Österreich", "intraCommunity"),
    ("BE", "Belgium", "Belgien", "intraCommunity"),
    ("BG", "Bulgaria", "Bulgarien", "intraCommunity"),
    ("CY", "Cyprus", "Zypern", "intraCommunity"),
    ("CZ", "Czech Republic", "Tschechien", "intraCommunity"),
    ("DK", "Denmark", "Dänemark", "intraCommunity"),
    ("EE", "Estonia", "Estland", "intraCommunity"),
    ("ES", "Spain", "Spanien", "intraCommunity"),
    ("ES_CN", "Canary Islands", "Kanarische Inseln", "thirdPartyCountry"),
    ("FI", "Finland", "Finnland", "intraCommunity"),
    ("FR", "France", "Frankreich", "intraCommunity"),
    ("GR", "Greece", "Griechenland", "intraCommunity"),
    ("GR_69", "Mount Athos", "Berg Athos", "thirdPartyCountry"),
    ("HR", "Croatia", "Kroatien", "intraCommunity"),
    ("HU", "Hungary", "Ungarn", "intraCommunity"),
    ("IE", "Ireland", "Irland", "intraCommunity"),
    ("IT", "Italy", "Italien", "intraCommunity"),
    ("LT", "Lithuania", "Litauen", "intraCommunity"),
    ("LU", "Luxembourg", "Luxemburg", "intraCommunity"),
    ("LV", "Latvia", "Lettland", "intraCommunity"),
    ("MT", "Malta", "Malta", "intraCommunity"),
    ("NL", "Netherlands", "Niederlande", "intraCommunity"),
    ("PL", "Poland", "Polen", "intraCommunity"),
    ("PT", "Portugal", "Portugal", "intraCommunity"),
    ("RO", "Romania", "Rumänien", "intraCommunity"),
    ("SE", "Sweden", "Schweden", "intraCommunity"),
    ("SI", "Slovenia", "Slowenien", "intraCommunity"),
    ("SK", "Slovakia", "Slowakei", "intraCommunity"),
    ("CH", "Switzerland", "Schweiz", "thirdPartyCountry"),
    ("GB", "United Kingdom", "Vereinigtes Königreich", "thirdPartyCountry"),
    ("NO", "Norway", "Norwegen", "thirdPartyCountry"),
    ("LI", "Liechtenstein", "Liechtenstein", "thirdPartyCountry"),
    ("US", "United States", "Vereinigte Staaten von Amerika", "thirdPartyCountry"),
    ("CA", "Canada", "Kanada", "thirdPartyCountry"),
    ("TR", "Turkey", "Türkei", "thirdPartyCountry"),
    ("CN", "China", "China", "thirdPartyCountry"),
    ("JP", "Japan", "Japan", "thirdPartyCountry"),
    ("AU", "Australia", "Australien", "thirdPartyCountry"),
]
COUNTRY_CODES = frozenset(c[0] for c in COUNTRIES)


def countries() -> list[dict[str, Any]]:
    return [
        {"countryCode": code, "countryNameEN": en, "countryNameDE": de, "taxClassification": cls}
        for code, en, de, cls in COUNTRIES
    ]


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
        "paymentDiscountConditions": {"discountPercentage": 2, "discountRange": 10},
    },
    {
        "id": "e6c9a3d4-5f7b-4a8c-adbe-2f3a4b5c6d7e",
        "organizationDefault": False,
        "paymentTermLabelTemplate": "Zahlbar sofort, rein netto.",
        "paymentTermDuration": 0,
    },
]
DEFAULT_PAYMENT_TERM_DAYS = 14


def _cat(id_: str, name: str, type_: str, group: str, contact_required: bool = False) -> dict[str, Any]:
    return {
        "id": id_,
        "name": name,
        "type": type_,
        "contactRequired": contact_required,
        "splitAllowed": True,
        "groupName": group,
    }


POSTING_CATEGORIES: list[dict[str, Any]] = [
    # income: the ids documented in §4.9
    _cat("8f8664a8-fd86-11e1-a21f-0800200c9a66", "Warenverkäufe", "income", "Einnahmen"),
    _cat("8f8664a0-fd86-11e1-a21f-0800200c9a66", "Dienstleistungen", "income", "Einnahmen"),
    _cat("8f8664a1-fd86-11e1-a21f-0800200c9a66", "Einnahmen", "income", "Einnahmen"),
    _cat("9075a4e3-66de-4795-a016-3889feca0d20", "Innergemeinschaftliche Lieferung", "income", "Einnahmen", True),
    _cat("380a20cb-d04c-426e-b49c-84c22adfa362", "Fremdleistungen §13b", "income", "Einnahmen", True),
    _cat("93d24c20-ea84-424e-a731-5e1b78d1e6a9", "Ausfuhrlieferungen an Drittländer", "income", "Einnahmen"),
    _cat("ef5b1a6e-f690-4004-9a19-91276348894f", "Dienstleistungen an Drittländer", "income", "Einnahmen"),
    _cat("7a1efa0e-6283-4cbf-9583-8e88d3ba5960", "Einnahmen als Kleinunternehmer", "income", "Einnahmen"),
    _cat("7c112b66-0565-479c-bc18-5845e080880a", "Fernverkauf", "income", "Fernverkauf"),
    _cat("d73b880f-c24a-41ea-a862-18d90e1c3d82", "Elektronische Dienstleistungen", "income", "Fernverkauf"),
    _cat("4ebd965a-7126-416c-9d8c-a5c9366ee473", "Fernverkauf in EU-Land steuerpflichtig", "income", "Fernverkauf"),
    _cat(
        "7ecea006-844c-4c98-a02d-aa3142640dd5",
        "Elektronische Dienstleistung in EU-Land steuerpflichtig",
        "income",
        "Fernverkauf",
    ),
    # outgo: sandbox ids (the reference documents none)
    _cat("8f8664a2-fd86-11e1-a21f-0800200c9a66", "Wareneingang", "outgo", "Material/Waren"),
    _cat("8f8664a3-fd86-11e1-a21f-0800200c9a66", "Fremdleistungen", "outgo", "Material/Waren"),
    _cat("8f8664a4-fd86-11e1-a21f-0800200c9a66", "Bürobedarf", "outgo", "Verwaltungskosten"),
    _cat("8f8664a5-fd86-11e1-a21f-0800200c9a66", "Porto", "outgo", "Verwaltungskosten"),
    _cat("8f8664a6-fd86-11e1-a21f-0800200c9a66", "Telekommunikation", "outgo", "Verwaltungskosten"),
    _cat("8f8664a7-fd86-11e1-a21f-0800200c9a66", "Miete", "outgo", "Raumkosten"),
    _cat("8f8664a9-fd86-11e1-a21f-0800200c9a66", "Reisekosten", "outgo", "Reisekosten"),
    _cat("8f8664aa-fd86-11e1-a21f-0800200c9a66", "Software und Lizenzen", "outgo", "Verwaltungskosten"),
    _cat("8f8664ab-fd86-11e1-a21f-0800200c9a66", "Bewirtungskosten", "outgo", "Reisekosten"),
    _cat("8f8664ac-fd86-11e1-a21f-0800200c9a66", "Kfz-Kosten", "outgo", "Fahrzeugkosten"),
    _cat("8f8664ad-fd86-11e1-a21f-0800200c9a66", "Werbekosten", "outgo", "Werbung"),
    _cat("8f8664ae-fd86-11e1-a21f-0800200c9a66", "Versicherungen", "outgo", "Versicherungen und Beiträge"),
]
CATEGORY_BY_ID = {c["id"]: c for c in POSTING_CATEGORIES}

PRINT_LAYOUTS: list[dict[str, Any]] = [
    {"id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", "name": "Standard", "default": True},
    {"id": "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f", "name": "Briefpapier mit Logo", "default": False},
    {"id": "d3e4f5a6-b7c8-4d9e-8f1a-2b3c4d5e6f7a", "name": "English layout", "default": False},
]
PRINT_LAYOUT_IDS = frozenset(p["id"] for p in PRINT_LAYOUTS)
