"""Regenerate `countries.json` from the Debian/pycountry `iso-codes` data (run by hand, not at runtime).

    python -m lexflow.lexware.sandbox.data.generate_countries /usr/share/iso-codes/json /usr/share/locale

Source: ISO 3166-1 as packaged by iso-codes (https://salsa.debian.org/iso-codes-team/iso-codes, the data pycountry
ships), English names from `iso_3166-1.json` (`common_name` where given), German names from its `de` translation.
Classification: DE `de`, the 27 EU member states `intraCommunity`, everything else `thirdPartyCountry` (their
overseas territories with codes of their own, e.g. RE or AX, are outside the EU VAT area). Added: Lexware's extended
codes for VAT-special territories the reference names (ES_CN Canary Islands, GR_69 Mount Athos).
"""

from __future__ import annotations

import gettext
import json
import sys
from pathlib import Path

EU_MEMBERS = frozenset("AT BE BG CY CZ DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())  # noqa: SIM905
EXTENDED = [
    ("ES_CN", "Canary Islands", "Kanarische Inseln", "thirdPartyCountry"),
    ("GR_69", "Mount Athos", "Berg Athos", "thirdPartyCountry"),
]
NAMES = {  # names the sandbox answered before (and the docs' sample spelling) win over the ISO wording
    "CZ": ("Czech Republic", "Tschechien"),
    "US": ("United States", "Vereinigte Staaten von Amerika"),
    "GB": ("United Kingdom", "Vereinigtes Königreich"),
    "TR": ("Turkey", "Türkei"),
}


def build(iso_dir: Path, locale_dir: Path) -> list[dict[str, str]]:
    entries = json.loads((iso_dir / "iso_3166-1.json").read_text(encoding="utf-8"))["3166-1"]
    german = gettext.translation("iso_3166-1", localedir=str(locale_dir), languages=["de"])
    rows: list[dict[str, str]] = []
    for entry in entries:
        code = entry["alpha_2"]
        name_en = entry.get("common_name") or entry["name"]
        name_de = german.gettext(entry["name"])
        if entry.get("common_name"):  # the short name, unless only the formal one is translated ("Bolivien")
            common_de = german.gettext(entry["common_name"])
            if common_de != entry["common_name"] or "," in name_de:
                name_de = common_de
        name_en, name_de = NAMES.get(code, (name_en, name_de))
        cls = "de" if code == "DE" else "intraCommunity" if code in EU_MEMBERS else "thirdPartyCountry"
        rows.append({"countryCode": code, "countryNameEN": name_en, "countryNameDE": name_de, "taxClassification": cls})
    rows += [
        {"countryCode": c, "countryNameEN": en, "countryNameDE": de, "taxClassification": cls}
        for c, en, de, cls in EXTENDED
    ]
    rows.sort(key=lambda r: r["countryCode"])
    return rows


if __name__ == "__main__":
    iso, locale = (Path(a) for a in (sys.argv[1:3] or ["/usr/share/iso-codes/json", "/usr/share/locale"]))
    target = Path(__file__).with_name("countries.json")
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in build(iso, locale))
    target.write_text(f"[\n{lines}\n]\n", encoding="utf-8")  # one country a line: readable diffs
    print(f"wrote {target}")
