"""The QuickBooks query language (docs/quickbooks.md#the-embedded-sandbox, row "Query"): parse once, evaluate over
stored documents.

Grammar (keywords case-insensitive):
`SELECT * | count(*) | f1, f2 FROM Entity [WHERE f op v [AND ...]] [ORDERBY|ORDER BY f [ASC|DESC], ...]
[STARTPOSITION n] [MAXRESULTS m]` with op one of `= < > <= >= IN LIKE`. There is no OR, JOIN, GROUP BY or
sub-query; those, unknown entities and fields that are not filterable or sortable are refused with the error
codes QuickBooks uses (4000 parse error, 4001 validation error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lexflow.errors import LexflowError

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100

_COMMON = ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")
FILTERABLE: dict[str, frozenset[str]] = {
    "Customer": frozenset(
        (*_COMMON, "DisplayName", "GivenName", "FamilyName", "CompanyName", "PrimaryEmailAddr", "Active", "Balance")
    ),
    "Vendor": frozenset((*_COMMON, "DisplayName", "GivenName", "FamilyName", "CompanyName", "Active", "Balance")),
    "Employee": frozenset((*_COMMON, "DisplayName", "GivenName", "FamilyName", "Active")),
    "Invoice": frozenset((*_COMMON, "DocNumber", "TxnDate", "DueDate", "CustomerRef", "Balance", "TotalAmt")),
    "Payment": frozenset((*_COMMON, "TxnDate", "CustomerRef", "TotalAmt")),
    "CreditMemo": frozenset((*_COMMON, "DocNumber", "TxnDate", "CustomerRef", "Balance", "TotalAmt")),
    "TaxCode": frozenset(("Id", "Name", "Active")),
    "Account": frozenset(("Id", "Name", "AccountType", "Active")),
    "Purchase": frozenset((*_COMMON, "DocNumber", "TxnDate", "PaymentType", "TotalAmt")),
    "Bill": frozenset((*_COMMON, "DocNumber", "TxnDate", "DueDate", "VendorRef", "Balance", "TotalAmt")),
    "Attachable": frozenset((*_COMMON, "FileName")),
}
"""Entity → fields allowed in WHERE and ORDERBY (the reference's filterable fields)."""
NAME_LISTS = frozenset({"Customer", "Vendor", "Employee"})
"""Entities where inactive records are hidden unless the query filters on `Active`."""
_REF_FIELDS = {"PrimaryEmailAddr": "Address", "CustomerRef": "value", "VendorRef": "value"}
_KEYWORDS = {"select", "from", "where", "and", "or", "orderby", "order", "by", "asc", "desc", "in", "like"}
_KEYWORDS |= {"startposition", "maxresults", "count", "join", "group"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:\\.|[^'\\])*')
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,|\*)
    | (?P<word>[A-Za-z_][\w.]*)
    )""",
    re.VERBOSE,
)


class QueryError(LexflowError):
    """A refused query: `code` is QuickBooks' error code (4000 parse, 4001 validation), `detail` its text."""

    def __init__(self, code: str, detail: str) -> None:
        self.code, self.detail = code, detail
        super().__init__(detail)

    @property
    def message(self) -> str:
        return "Error parsing query" if self.code == "4000" else "Invalid query"


def _parse_error(detail: str) -> QueryError:
    return QueryError("4000", f"QueryParserError: {detail}")


def _invalid(detail: str) -> QueryError:
    return QueryError("4001", f"QueryValidationError: {detail}")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # = < > <= >= in like
    values: tuple[Any, ...]


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: tuple[str, ...] = ()
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_RESULTS


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            rest = text[pos:].strip()
            if not rest:
                break
            raise _parse_error(f'Encountered "{rest[:20]}" at column {pos + 1}.')
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self) -> str | None:
        tok = self.peek()
        return tok[1].lower() if tok and tok[0] == "word" else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise _parse_error('Encountered "<EOF>": the query ends too early.')
        self.i += 1
        return tok

    def expect_word(self, word: str) -> None:
        kind, value = self.take()
        if kind != "word" or value.lower() != word:
            raise _parse_error(f'Encountered "{value}", expected "{word.upper()}".')

    def expect_op(self, op: str) -> None:
        kind, value = self.take()
        if kind != "op" or value != op:
            raise _parse_error(f'Encountered "{value}", expected "{op}".')

    def identifier(self) -> str:
        kind, value = self.take()
        if kind != "word" or value.lower() in _KEYWORDS:
            raise _parse_error(f'Encountered "{value}", expected a field name.')
        return value

    def value(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "num":
            return value
        if kind == "word" and value.lower() in ("true", "false"):
            return value.lower()
        raise _parse_error(f'Encountered "{value}", expected a value in single quotes.')

    def integer(self, name: str) -> int:
        kind, value = self.take()
        if kind != "num" or not value.isdigit():
            raise _parse_error(f'{name} needs a whole number, got "{value}".')
        return int(value)


def parse(text: str) -> Query:
    """Parse a query or raise `QueryError` saying what is wrong (4000) or not allowed (4001)."""
    if not text or not text.strip():
        raise _parse_error("the query is empty.")
    if len(text) > 100_000:
        raise _parse_error("the query is too long.")
    p = _Parser(text)
    p.expect_word("select")
    count = False
    fields: tuple[str, ...] = ()
    tok = p.peek()
    if tok == ("op", "*"):
        p.take()
    elif p.word() == "count":
        p.take()
        p.expect_op("(")
        p.expect_op("*")
        p.expect_op(")")
        count = True
    else:
        names = [p.identifier()]
        while p.peek() == ("op", ","):
            p.take()
            names.append(p.identifier())
        fields = tuple(names)
    p.expect_word("from")
    kind, entity_raw = p.take()
    if kind != "word":
        raise _parse_error(f'Encountered "{entity_raw}", expected an entity name.')
    entity = next((e for e in FILTERABLE if e.lower() == entity_raw.lower()), None)
    if entity is None:
        raise _invalid(f"{entity_raw} is not a queryable entity. Queryable: {', '.join(sorted(FILTERABLE))}.")
    q = Query(entity=entity, count=count, fields=fields)
    allowed = FILTERABLE[entity]

    def known(name: str, what: str) -> str:
        match = next((f for f in allowed if f.lower() == name.lower()), None)
        if match is None:
            raise _invalid(f"property '{name}' is not {what} for {entity}.")
        return match

    if p.word() == "where":
        p.take()
        while True:
            name = known(p.identifier(), "queryable")
            word = p.word()
            if word == "in":
                p.take()
                p.expect_op("(")
                values = [p.value()]
                while p.peek() == ("op", ","):
                    p.take()
                    values.append(p.value())
                p.expect_op(")")
                q.where.append(Condition(name, "in", tuple(values)))
            elif word == "like":
                p.take()
                q.where.append(Condition(name, "like", (p.value(),)))
            else:
                kind, op = p.take()
                if kind != "op" or op not in ("=", "<", ">", "<=", ">="):
                    raise _parse_error(f'Encountered "{op}", expected one of = < > <= >= IN LIKE.')
                q.where.append(Condition(name, op, (p.value(),)))
            word = p.word()
            if word == "and":
                p.take()
                continue
            if word == "or":
                raise _parse_error('Encountered "OR": OR is not supported; run one query per alternative.')
            break
    if p.word() in ("orderby", "order"):
        if p.take()[1].lower() == "order":
            p.expect_word("by")
        while True:
            name = known(p.identifier(), "sortable")
            desc = False
            if p.word() in ("asc", "desc"):
                desc = p.take()[1].lower() == "desc"
            q.order.append((name, desc))
            if p.peek() != ("op", ","):
                break
            p.take()
    if p.word() == "startposition":
        p.take()
        q.start = max(1, p.integer("STARTPOSITION"))
    if p.word() == "maxresults":
        p.take()
        q.max_results = min(MAX_RESULTS, p.integer("MAXRESULTS"))
    rest = p.peek()
    if rest is not None:
        if rest[0] == "word" and rest[1].lower() in ("join", "group"):
            raise _parse_error(f'Encountered "{rest[1].upper()}": it is not supported by the query language.')
        raise _parse_error(f'Encountered "{rest[1]}" after the end of the query.')
    return q


# ------------------------------------------------------------------------------------------------ evaluation
def field_value(doc: dict[str, Any], name: str) -> Any:
    """The comparable value of a (possibly nested) field; references and e-mail objects compare by their value."""
    value: Any = doc
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict) and name in _REF_FIELDS:
        value = value.get(_REF_FIELDS[name])
    return value


def _key(value: Any) -> tuple[int, Any]:
    """Numbers compare as numbers, timestamps as instants, everything else case-insensitively as text."""
    if isinstance(value, bool):
        return (3, "true" if value else "false")
    if isinstance(value, int | float | Decimal):
        return (1, Decimal(str(value)))
    text = str(value)
    try:
        return (1, Decimal(text))
    except InvalidOperation:
        pass
    if "T" in text:
        try:
            return (2, datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
        except ValueError:
            pass
    return (3, text.casefold())


def _matches(doc: dict[str, Any], cond: Condition) -> bool:
    actual = field_value(doc, cond.field)
    if actual is None:
        return False
    if cond.op == "like":
        pattern = "".join(".*" if part == "%" else re.escape(part) for part in re.split(r"(%)", cond.values[0]))
        return re.fullmatch(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
    a = _key(actual)
    if cond.op == "in":
        return any(a == _key(v) for v in cond.values)
    b = _key(cond.values[0])
    if a[0] != b[0]:
        a, b = (3, str(a[1]).casefold()), (3, str(b[1]).casefold())
    return bool(
        {"=": a == b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[cond.op]  # type: ignore[operator]
    )


def run(q: Query, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The `QueryResponse` object for `q` over all documents of its entity (ordered by Id unless ORDERBY)."""
    rows = [d for d in docs if all(_matches(d, c) for c in q.where)]
    if q.entity in NAME_LISTS and not any(c.field == "Active" for c in q.where):
        rows = [d for d in rows if d.get("Active", True)]
    if q.count:
        return {"totalCount": len(rows)}
    rows.sort(key=lambda d: int(d["Id"]))
    for name, desc in reversed(q.order):
        present = [d for d in rows if field_value(d, name) is not None]
        present.sort(key=lambda d: _key(field_value(d, name)), reverse=desc)
        rows = present + [d for d in rows if field_value(d, name) is None]  # rows without the field come last
    page = rows[q.start - 1 : q.start - 1 + q.max_results]
    if not page:
        return {}
    if q.fields:
        keep = {f.split(".")[0] for f in q.fields} | {"Id", "SyncToken", "domain", "sparse"}
        page = [{k: v for k, v in d.items() if k in keep} | {"sparse": True} for d in page]
    return {q.entity: page, "startPosition": q.start, "maxResults": len(page)}
