"""SEPA purpose tags (`EREF+`, `MREF+`, `CRED+`, `SVWZ+` …) that German banks put into one text field.

Used by the MT940 reader (`:86:` subfields ?20–?29) and by CSV exports that copy that text (Sparkasse CSV-MT940).
The tags come from the DK's SEPA data format annex (Datenformate für den Zahlungsverkehr, Anlage 3).
"""

from __future__ import annotations

import re

_TAG = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|COAM|OAMT)\+()")
# Atruvia (VR banks) prints the same tags as `EREF: …` in its CSV texts.
_TAG_OR_LABEL = re.compile(
    r"(?:(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|COAM|OAMT)\+|\b(EREF|MREF|CRED|IBAN|BIC): )"
)


def split_purpose(text: str, *, labels: bool = False) -> tuple[dict[str, str], str]:
    """(tags, remittance): the tag values, and the purpose proper (`SVWZ+`, else the untagged text).

    `labels`: also split `EREF: …`-style labels (Atruvia CSV); MT940 keeps them in the text, as it always has, so
    transaction ids of statements read before stay the same."""
    found = list((_TAG_OR_LABEL if labels else _TAG).finditer(text))
    if not found:
        return {}, text.strip()
    tags: dict[str, str] = {}
    for i, m in enumerate(found):
        stop = found[i + 1].start() if i + 1 < len(found) else len(text)
        tags.setdefault(m.group(1) or m.group(2), text[m.end() : stop].strip())
    remittance = tags.get("SVWZ") or text[: found[0].start()].strip()
    return tags, remittance
