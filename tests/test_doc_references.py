"""The repository stands alone: code points at its own docs, never at sections ("§4.8") of a reference outside it.

Two guards: no `.py` file under lexflow/, tasks/ or flows/ holds a bare "§<digit>" pointer (German law such as
"§ 19 UStG" and RFC sections stay allowed), and every `docs/<page>.md#<anchor>` named in code, tests or the docs
names a heading that exists on that page.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("lexflow", "tasks", "flows")

# Files whose "§N" pointers are still to be converted (empty: every file points at docs/). Add to it only while
# a file is being moved on another branch.
PENDING: tuple[str, ...] = ()

_LAW = r"(?:UStG|BGB|HGB|AO|EStG|KStG|GewStG|GoBD)"
_ALLOWED = re.compile(
    rf"§\s*\d+[a-z]?(?:\s*(?:Abs\.|Satz|Nr\.)\s*\d+[a-z]?)*\s*(?:\(Leistungsempfänger\)\s*)?{_LAW}"  # § 19 UStG
    rf"|{_LAW}\s*§\s*\d+[a-z]?"  # UStG § 19
    r"|Fremdleistungen\s*§\s*13b"  # the posting category's own name
    r"|RFC\s*\d+\s*§\s*\d+(?:\.\d+)*"  # RFC 8252 §7.3
)
_POINTER = re.compile(r"§\s*\d")
_DOC_REF = re.compile(r"docs/([A-Za-z0-9_-]+\.md)#([A-Za-z0-9_-]+)")
_MD_LINK = re.compile(r"\]\((?:docs/)?([A-Za-z0-9_-]+\.md)#([^)\s]+)\)")


def pointers(text: str) -> list[str]:
    """The "§<digit>" pointers left in `text` once German-law and RFC references are taken out."""
    stripped = _ALLOWED.sub("", text)
    return [stripped[m.start() : m.start() + 12] for m in _POINTER.finditer(stripped)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = heading.strip().lower()
    text = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a Markdown page (fenced code skipped; repeated headings get -1, -2, ...)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        m = re.match(r"#{1,6}\s+(.*)", line)
        if fenced or not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def _code_files() -> list[Path]:
    return sorted(p for d in CODE_DIRS for p in (ROOT / d).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _pending(rel: str) -> bool:
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in PENDING)


def test_the_checker_tells_pointers_from_law() -> None:
    assert pointers("see §4.8 of the reference") and pointers("(reference §11.1–11.3)") and pointers("notes §2")
    assert pointers("a small business (§19 UStG) can only issue vatfree §5") == ["§5"]
    for allowed in ("§13b UStG", "§ 19 UStG", "§ 286 BGB", "UStG § 13b", "§ 14 Abs. 4 UStG", "RFC 8252 §7.3"):
        assert not pointers(allowed), allowed


def test_the_checker_builds_github_anchors() -> None:
    assert slug("`GET /v1/ping`") == "get-v1ping"
    assert slug("Webhook delivery and retries") == "webhook-delivery-and-retries"
    assert slug("Configuration (`SandboxConfig`)") == "configuration-sandboxconfig"


def test_no_reference_pointers_in_code() -> None:
    offenders = []
    for path in _code_files():
        rel = _rel(path)
        if _pending(rel):
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if found := pointers(line):
                offenders.append(f"{rel}:{lineno}: {found}")
    assert not offenders, (
        "Point at the project's own docs (docs/<page>.md#<section>) instead of '§N' of a reference outside the "
        "repository; write the fact there in your own words with a link to the vendor's docs:\n" + "\n".join(offenders)
    )


def _references() -> list[tuple[str, str, str]]:
    """(where, page, anchor) for every docs anchor named in code, tests, README and the docs themselves."""
    refs: list[tuple[str, str, str]] = []
    sources = [*_code_files(), *sorted((ROOT / "tests").rglob("*.py")), ROOT / "README.md"]
    for path in sources:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            refs += [(f"{_rel(path)}:{lineno}", page, anchor) for page, anchor in _DOC_REF.findall(line)]
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            refs += [(f"{_rel(path)}:{lineno}", page, anchor) for page, anchor in _MD_LINK.findall(line)]
    return refs


def test_every_docs_anchor_exists() -> None:
    refs = _references()
    assert any(page == "lexware.md" for _, page, _ in refs)  # the scan itself finds what it is meant to check
    cache: dict[str, set[str] | None] = {}
    broken = []
    for where, page, anchor in refs:
        if page not in cache:
            target = ROOT / "docs" / page
            cache[page] = anchors(target) if target.is_file() else None
        known = cache[page]
        if known is None or anchor not in known:
            broken.append(f"{where}: docs/{page}#{anchor}" + (" (no such page)" if known is None else ""))
    assert not broken, "Anchors that name no heading (rename the pointer or the heading):\n" + "\n".join(broken)


@pytest.mark.parametrize("page", ["lexware.md", "prefect.md", "sevdesk.md"])
def test_fact_pages_link_the_vendors_docs(page: str) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    assert re.search(r"https://(developers\.lexware\.io|docs\.prefect\.io|api\.sevdesk\.de)/", text)
