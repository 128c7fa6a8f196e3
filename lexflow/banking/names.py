"""Payer and customer names as banks print them, folded so that one name compares equal under every spelling.

Banks print "Müller, Anna", "MUELLER ANNA", "MULLER ANNA", "MÃ¼ller Anna" (UTF-8 read as Latin-1), spell legal forms
out ("Gesellschaft mit beschränkter Haftung") or abbreviate them ("G.m.b.H.", "haftungsbeschr."), and put "Inh." between
a firm and its owner. Every function here is cached per distinct string: a statement repeats its payers, and the
open items repeat their customers. `clear_caches` empties them (the benchmark starts every run cold).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["blocks", "clear_caches", "compact_name", "name_keys", "normalise_name", "owner_parts"]

_NAME_TOKEN = re.compile(r"[a-z0-9]+")
_LEGAL_PHRASES = re.compile(
    r"gesellschaft mit beschr(ae|a)?nkter haftung|unternehmergesellschaft|haftungsbeschr(ae|a)?nkt|haftungsbeschr\b|"
    r"kommanditgesellschaft auf aktien|kommanditgesellschaft|aktiengesellschaft|offene handelsgesellschaft|"
    r"eingetragene[rn]? (kaufmann|kauffrau|verein|genossenschaft)|gesellschaft b(ue|u)rgerlichen rechts"
)
_TRANSLITERATED = re.compile(r"(?<![aeiou])([aou])e")
_DOTTED = re.compile(r"(?<=\b[a-z])\.(?=[a-z])")
_OWNER = re.compile(r"\b(inh|inhaber|inhaberin|owner|prop)\b\.?", re.IGNORECASE)
_LEGAL_FORMS = frozenset(
    [
        "gmbh",
        "mbh",
        "ggmbh",
        "ag",
        "kg",
        "ug",
        "ohg",
        "gbr",
        "ek",
        "ekfr",
        "ekfm",
        "eg",
        "e",
        "k",
        "ev",
        "se",
        "kgaa",
        "co",
        "cokg",
        "haftungsbeschrankt",
        "inc",
        "ltd",
        "llc",
        "und",
        "u",
        "fa",
        "firma",
    ]
)


@lru_cache(maxsize=65536)
def normalise_name(value: str | None) -> str:
    """Lower case, mojibake repaired, umlauts folded (Müller, MUELLER and MULLER are one name), punctuation and
    legal forms (GmbH, "Gesellschaft mit beschränkter Haftung", UG (haftungsbeschr.) ...) dropped."""
    if not value:
        return ""
    text = _fold(value)
    if "gesellschaft" in text or "haftungsbeschr" in text or "eingetragene" in text:  # each legal phrase has one
        text = _LEGAL_PHRASES.sub(" ", text)  # spelled-out legal forms ("Gesellschaft mit beschränkter Haftung")
    return " ".join([t for t in _NAME_TOKEN.findall(text) if t not in _LEGAL_FORMS])


@lru_cache(maxsize=65536)
def name_keys(value: str | None) -> tuple[str, ...]:
    """Keys under which a name is the same name: its words in any order ("Müller, Anna" = "Anna Müller"), and each
    side of "Inh." (the firm and its owner)."""
    if not value:
        return ()
    parts = owner_parts(value)
    if len(parts) == 1:  # most names: no "Inh."
        key = " ".join(sorted(normalise_name(value).split()))
        return (key,) if key else ()
    keys = []
    for part in parts:
        key = " ".join(sorted(normalise_name(part).split()))
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


@lru_cache(maxsize=65536)
def owner_parts(value: str) -> tuple[str, ...]:
    """The name, then each side of "Inh." when it has one ("Café Rose Inh. Anna Roth" → the café, Anna Roth)."""
    return (value, *_OWNER.split(value)[::2]) if _OWNER.search(value) else (value,)


@lru_cache(maxsize=65536)
def compact_name(value: str | None) -> str:
    """Letters and digits only, legal forms kept: what a bank's cut at 27 characters leaves a prefix of."""
    return "".join(_NAME_TOKEN.findall(_fold(value or "")))


def blocks(name: str) -> set[str]:
    """Blocking keys for fuzzy name search: first and last three letters of each word (a typo rarely hits both)."""
    keys = set()
    for token in name.split():
        if len(token) >= 3:
            keys.add("<" + token[:3])
            keys.add(">" + token[-3:])
    return keys


def clear_caches() -> None:
    for cached in (normalise_name, name_keys, owner_parts, compact_name, _fold):
        cached.cache_clear()


def _repair_mojibake(value: str) -> str:
    """UTF-8 read as Latin-1/CP1252 ("MÃ¼ller") back to what was meant; anything else unchanged."""
    if "Ã" not in value and "Â" not in value:
        return value
    for codec in ("cp1252", "latin-1"):
        try:
            return value.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return value


@lru_cache(maxsize=65536)
def _fold(value: str) -> str:
    """Lower-case ASCII with umlauts folded to the bare vowel, so all three spellings compare equal."""
    text = _repair_mojibake(value).lower().replace("ß", "ss")
    text = text.replace("ä", "a").replace("ö", "o").replace("ü", "u")
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if "ae" in text or "oe" in text or "ue" in text:
        text = _TRANSLITERATED.sub(_first_group, text)  # MUELLER → muller, like MULLER; Bauer stays bauer
    return _DOTTED.sub("", text) if "." in text else text  # G.m.b.H. → gmbh, e.K. → ek


def _first_group(m: re.Match[str]) -> str:
    return m[1]
