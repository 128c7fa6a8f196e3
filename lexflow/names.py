"""Contact names as keys: the one place that decides when two spellings name the same customer.

A contact can never be deleted through the API, so a duplicate made from a name written slightly differently
stays forever. `name_key` maps the spellings of one name to one key: Unicode form (NFC from Windows, NFD from
macOS), case, runs of whitespace, punctuation around words, and the spellings of a legal form ("GmbH",
"G.m.b.H.", "Gesellschaft mit beschränkter Haftung"). A different legal form is a different company, so the form
stays in the key (canonicalised); `keep_legal_form=False` drops it for similarity scoring.

`search_pattern` turns a name into a contact-search pattern (`%` wildcards, documented for the `name` filter) that
finds every spelling `name_key` treats as equal, so the API's search can hand over the candidates.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MIN_SEARCH_CHARS", "name_key", "search_pattern"]

MIN_SEARCH_CHARS = 3
"""The contact filters `name`/`email` refuse shorter terms (HTTP 400)."""

# (pattern over the NFKC, case-folded, single-spaced name; canonical form). Longer spellings first.
_FORMS: tuple[tuple[str, str], ...] = (
    (r"gmbh\s*(?:&|und|\+)\s*co\.?\s*kgaa", "gmbh & co kgaa"),
    (r"gmbh\s*(?:&|und|\+)\s*co\.?\s*kg", "gmbh & co kg"),
    (r"ag\s*(?:&|und|\+)\s*co\.?\s*kg", "ag & co kg"),
    (r"gesellschaft mit beschr(?:ä|a|ae)nkter haftung", "gmbh"),
    (r"g\.?\s?m\.?\s?b\.?\s?h\.?|ges\.?\s?m\.?\s?b\.?\s?h\.?", "gmbh"),
    (r"(?:ug|unternehmergesellschaft)\s*\(?\s*haftungsbeschr(?:ä|a|ae)nkt\s*\)?", "ug"),
    (r"kommanditgesellschaft auf aktien|kgaa", "kgaa"),
    (r"aktiengesellschaft", "ag"),
    (r"kommanditgesellschaft", "kg"),
    (r"offene handelsgesellschaft|o\.?\s?h\.?\s?g\.?", "ohg"),
    (r"gesellschaft b(?:ü|u|ue)rgerlichen rechts|g\.?\s?b\.?\s?r\.?", "gbr"),
    (r"eingetragene[rn]? kauf(?:mann|frau)|e\.?\s?(?:k|kfm|kfr)\.?", "ek"),
    (r"eingetragener verein|e\.?\s?v\.?", "ev"),
    (r"eingetragene genossenschaft|e\.?\s?g\.?", "eg"),
    (r"partnerschaftsgesellschaft(?: mbb)?|partg(?: mbb)?", "partg"),
    (r"limited|ltd\.?", "ltd"),
    (r"incorporated|inc\.?", "inc"),
    (r"a\.?\s?g\.?", "ag"),
    (r"k\.?\s?g\.?", "kg"),
    (r"s\.?\s?e\.?", "se"),
)
_FORM_RE = re.compile(r"(?<![\w.])(?:" + "|".join(f"(?:{p})" for p, _ in _FORMS) + r")(?![\w])", re.IGNORECASE)
_CANONICAL = [(re.compile(f"^(?:{p})$", re.IGNORECASE), c) for p, c in _FORMS]
LEGAL_FORMS = frozenset(c for _, c in _FORMS)


def _canonical_form(match: re.Match[str]) -> str:
    text = match.group(0)
    for pattern, canonical in _CANONICAL:
        if pattern.match(text):
            return f" \x00{canonical}\x00 "
    return text  # pragma: no cover - the alternatives are the same patterns


def _folded(name: str, fold: bool = True) -> str:
    """NFKC (composes NFD umlauts, unfolds ligatures), case-folded (ß → ss) unless told not to, one space between
    words."""
    text = unicodedata.normalize("NFKC", name)
    return " ".join((text.casefold() if fold else text).split())


def name_key(name: str | None, *, keep_legal_form: bool = True, fold: bool = True) -> str:
    """The matching key of a contact name: equal keys mean the same customer, written differently."""
    text = _FORM_RE.sub(_canonical_form, _folded(name or "", fold))
    words: list[str] = []
    for part in re.split(r"(\x00[^\x00]*\x00)", text):
        if part.startswith("\x00"):
            if keep_legal_form:
                words.append(part.strip("\x00"))
            continue
        # punctuation around words ("Müller, Hans", "Bau-Profi.") is not part of the name
        words += [w for w in (w.strip(".,;:()\"'") for w in part.split()) if w]
    return " ".join(words)


def search_pattern(name: str | None) -> str | None:
    """A `name` filter pattern that finds every spelling with the same key, or None when it would have fewer than
    `MIN_SEARCH_CHARS` plain characters (the API refuses such a search: look the name up another way).

    The name without its legal form, in its own case (query its lower-case form too when the filter may be
    case-sensitive), with every run of characters that may be spelled differently (anything but ASCII letters and
    digits: umlauts in NFC or NFD, ß/ss, spaces, punctuation) replaced by the `%` wildcard:
    "Müller  &  Söhne GmbH" -> `M%ller%S%hne%`.
    """
    # "ß" and "ss" key alike (case folding), so both become a wildcard: "Stra%e%" finds "Straße" and "Strasse"
    core = re.sub("ss", "ß", name_key(name, keep_legal_form=False, fold=False), flags=re.IGNORECASE)
    runs = re.findall(r"[A-Za-z0-9]+", core)
    if sum(map(len, runs)) < MIN_SEARCH_CHARS:
        return None
    lead = "" if re.match(r"[A-Za-z0-9]", core) else "%"
    return lead + "%".join(runs) + "%"
