"""The query language: what parses, what is refused with which code, and what a query returns."""

from __future__ import annotations

import pytest

from lexflow.quickbooks.client import Select, quote
from lexflow.quickbooks.sandbox.query import QueryError, parse, run


def _docs() -> list[dict]:
    return [
        {
            "Id": "1",
            "DisplayName": "Acme GmbH",
            "Active": True,
            "Balance": 10,
            "PrimaryEmailAddr": {"Address": "a@x.de"},
        },
        {"Id": "2", "DisplayName": "O'Brien Ltd", "Active": True, "Balance": 0},
        {"Id": "3", "DisplayName": "acme inactive", "Active": False, "Balance": 5},
        {"Id": "10", "DisplayName": "Zeta", "Active": True, "Balance": 200},
    ]


def ids(text: str) -> list[str]:
    return [d["Id"] for d in run(parse(text), _docs()).get("Customer", [])]


def test_operators_and_keywords_case_insensitive() -> None:
    assert ids("select * from Customer where Balance > '5'") == ["1", "10"]
    assert ids("SELECT * FROM Customer WHERE Balance >= '10' AND Balance <= '10'") == ["1"]
    assert ids("SELECT * FROM Customer WHERE Balance < '10'") == ["2"]  # inactive 3 is hidden
    assert ids("SELECT * FROM Customer WHERE Id IN ('1', '10')") == ["1", "10"]
    assert ids("SELECT * FROM Customer WHERE DisplayName LIKE 'acme%'") == ["1"]
    assert ids("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'A@X.DE'") == ["1"]


def test_numbers_compare_as_numbers_not_text() -> None:
    assert ids("SELECT * FROM Customer WHERE Balance > '100'") == ["10"]  # '200' > '100', '10' < '100'


def test_inactive_only_with_an_active_filter() -> None:
    assert ids("SELECT * FROM Customer WHERE DisplayName LIKE '%acme%' AND Active IN (true, false)") == ["1", "3"]
    assert ids("SELECT * FROM Customer WHERE Active = false") == ["3"]


def test_escaped_quote_in_value() -> None:
    assert ids(r"SELECT * FROM Customer WHERE DisplayName = 'O\'Brien Ltd'") == ["2"]
    assert ids("SELECT * FROM Customer WHERE DisplayName = " + quote("O'Brien Ltd")) == ["2"]


def test_orderby_both_spellings_and_paging() -> None:
    assert ids("SELECT * FROM Customer ORDERBY Balance DESC") == ["10", "1", "2"]
    assert ids("SELECT * FROM Customer ORDER BY DisplayName") == ["1", "2", "10"]
    assert ids("SELECT * FROM Customer ORDERBY Balance STARTPOSITION 2 MAXRESULTS 1") == ["1"]
    out = run(parse("SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 2"), _docs())
    assert out["startPosition"] == 1 and out["maxResults"] == 2


def test_empty_result_has_no_entity_key_and_count() -> None:
    assert run(parse("SELECT * FROM Customer WHERE DisplayName = 'nobody'"), _docs()) == {}
    assert run(parse("SELECT count(*) FROM Customer"), _docs()) == {"totalCount": 3}


def test_maxresults_is_capped_at_1000_and_defaults_to_100() -> None:
    assert parse("SELECT * FROM Invoice MAXRESULTS 5000").max_results == 1000
    assert parse("SELECT * FROM Invoice").max_results == 100


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT * FROM Customer WHERE DisplayName = 'a' OR DisplayName = 'b'", "4000"),
        ("SELECT * FROM Customer WHERE DisplayName = a", "4000"),
        ("SELECT * FROM Customer WHERE DisplayName != 'a'", "4000"),
        ("SELECT * FROM Customer WHERE DisplayName = 'unterminated", "4000"),
        ("SELECT * Customer", "4000"),
        ("DELETE FROM Customer", "4000"),
        ("SELECT * FROM Customer MAXRESULTS ten", "4000"),
        ("SELECT * FROM Customer GROUP BY DisplayName", "4000"),
        ("", "4000"),
        ("SELECT * FROM Spaceship", "4001"),
        ("SELECT * FROM Customer WHERE Notes = 'x'", "4001"),
        ("SELECT * FROM Invoice ORDERBY PrivateNote", "4001"),
    ],
)
def test_refused_queries_name_the_problem(text: str, code: str) -> None:
    with pytest.raises(QueryError) as err:
        parse(text)
    assert err.value.code == code
    assert err.value.detail.startswith("QueryParserError" if code == "4000" else "QueryValidationError")


def test_long_or_strange_input_fails_fast() -> None:
    with pytest.raises(QueryError):
        parse("SELECT * FROM Customer WHERE " + "Id = '1' AND " * 5000)
    with pytest.raises(QueryError):
        parse("SELECT * FROM Customer WHERE DisplayName = '\x00' ;; )")


def test_select_builder_escapes_values_and_checks_names() -> None:
    evil = "x' AND Id = '1"
    text = Select("Customer").where("DisplayName", "=", evil).build()
    q = parse(text)
    assert len(q.where) == 1 and q.where[0].values == (evil,)
    assert Select("Invoice").where("Balance", ">", 0).order_by("DueDate").build(1, 1000) == (
        "SELECT * FROM Invoice WHERE Balance > '0' ORDERBY DueDate STARTPOSITION 1 MAXRESULTS 1000"
    )
    backslash = Select("Customer").where("DisplayName", "=", "a\\' b").build()
    assert parse(backslash).where[0].values == ("a\\' b",)
    from lexflow.transport.errors import InvalidRequest

    with pytest.raises(InvalidRequest):
        Select("Customer").where("DisplayName = 'x' OR Id", "=", "1")
    with pytest.raises(InvalidRequest):
        Select("Customer").where("DisplayName", "OR", "1")
