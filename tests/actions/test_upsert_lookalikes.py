"""`upsert_customer` never duplicates a contact (the API cannot delete one) for the same customer written another
way: whitespace, Unicode NFC vs NFD, case, legal-form spelling, and names too short for the API's search
(issue 12, item 4). Against the in-process sandbox, through `run()`."""

from __future__ import annotations

import unicodedata

import pytest

from lexflow.actions import Profile, run
from lexflow.audit import Actor, AuditTrail
from lexflow.names import name_key, search_pattern

ALL = Profile(name="dev", scopes=["*"], approval_for=[])


@pytest.fixture
def act(sandbox_client, tmp_path):
    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")

    def _act(name: str, data: dict):
        return run(name, data, actor=Actor.agent("pytest"), client=sandbox_client, trail=trail, profile=ALL)

    return _act


def _count(client) -> int:
    return sum(1 for _ in client.contacts.list())


NFD = unicodedata.normalize("NFD", "Müller & Söhne GmbH")


@pytest.mark.parametrize(
    ("stored", "again"),
    [
        pytest.param("Müller & Söhne GmbH", "Müller  &  Söhne GmbH", id="double-spaces"),
        pytest.param("Müller & Söhne GmbH", NFD, id="nfc-then-nfd"),
        pytest.param(NFD, "Müller & Söhne GmbH", id="nfd-then-nfc"),
        pytest.param("Müller  & Söhne  GmbH", "Müller & Söhne GmbH", id="stored-with-double-spaces"),
        pytest.param("Müller & Söhne GmbH", "MÜLLER & SÖHNE GMBH", id="case"),
        pytest.param("Müller & Söhne GmbH", "Müller & Söhne Gesellschaft mit beschränkter Haftung", id="gmbh-long"),
        pytest.param("Müller & Söhne Gesellschaft mit beschränkter Haftung", "Müller & Söhne G.m.b.H.", id="gmbh-dots"),
        pytest.param("Bau Profi UG (haftungsbeschränkt)", "Bau Profi UG haftungsbeschraenkt", id="ug"),
        pytest.param("Weber Logistik GmbH & Co. KG", "Weber Logistik GmbH und Co KG", id="co-kg"),
        pytest.param("Großhandel Nord AG", "Grosshandel Nord Aktiengesellschaft", id="sz-and-ag"),
        pytest.param("Hans Meier e.K.", "Hans Meier e. K.", id="ek"),
    ],
)
def test_same_customer_written_differently_is_not_created_twice(act, sandbox_client, stored, again) -> None:
    first = act("lexware_upsert_customer", {"name": stored})
    assert first.status == "created"
    before = _count(sandbox_client)
    second = act("lexware_upsert_customer", {"name": again, "email": "buchhaltung@example.org"})
    assert second.contact_id == first.contact_id and second.matched_by == "name"
    assert second.status == "updated" and second.changed_fields == ["emailAddresses"]
    assert _count(sandbox_client) == before


def test_another_legal_form_is_another_company(act, sandbox_client) -> None:
    gmbh = act("lexware_upsert_customer", {"name": "Müller & Söhne GmbH"})
    ag = act("lexware_upsert_customer", {"name": "Müller & Söhne AG"})
    assert ag.status == "created" and ag.contact_id != gmbh.contact_id


def test_two_letter_name_without_email_is_found_by_reading_the_list(act, sandbox_client) -> None:
    """`XY` is too short for the API's name search (3 characters): the contact list is read instead."""
    for n in range(3):
        act("lexware_upsert_customer", {"name": f"Filler {n} GmbH"})
    first = act("lexware_upsert_customer", {"name": "XY"})
    before = _count(sandbox_client)
    again = act("lexware_upsert_customer", {"name": " xy "})
    assert again.status == "unchanged" and again.contact_id == first.contact_id
    assert _count(sandbox_client) == before


def test_short_name_beyond_the_scan_limit_asks_instead_of_creating(act, sandbox_client, monkeypatch) -> None:
    from lexflow.actions.business import contacts

    for n in range(4):
        act("lexware_upsert_customer", {"name": f"Filler {n} GmbH"})
    monkeypatch.setattr(contacts, "SCAN_LIMIT", 3)
    before = _count(sandbox_client)
    out = act("lexware_upsert_customer", {"name": "XY"})
    assert out.status == "clarification" and out.contact_id is None and "e-mail" in out.message
    assert _count(sandbox_client) == before


def test_name_key_and_pattern_are_one_rule() -> None:
    """Every spelling with the same key is found by the pattern of any of them (the sandbox's LIKE semantics)."""
    import re

    spellings = [
        "Müller & Söhne GmbH",
        NFD,
        "MÜLLER  &  SÖHNE G.m.b.H.",
        "Müller & Söhne Gesellschaft mit beschränkter Haftung",
    ]
    assert len({name_key(s) for s in spellings}) == 1
    for s in spellings:
        pattern = search_pattern(s)
        assert pattern is not None
        like = re.compile(".*".join(map(re.escape, pattern.split("%"))), re.IGNORECASE)
        assert all(like.search(unicodedata.normalize("NFC", t)) or like.search(t) for t in spellings)
    assert search_pattern("AB") is None and search_pattern("Öl GmbH") is None
