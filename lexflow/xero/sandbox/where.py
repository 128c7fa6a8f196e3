"""Xero's `where` filter language (docs/xero.md): a small C#-like expression over a document's fields.

Supported: `==`, `!=`, `<`, `<=`, `>`, `>=`, `AND`, `OR`, `NOT`, parentheses, strings, numbers, `true`/`false`,
`null`, `DateTime(y, m, d)`, `Guid("...")`, dotted fields (`Contact.ContactID`), and the string methods
`.Contains(s)`, `.StartsWith(s)`, `.EndsWith(s)`, `.ToLower()`, `.ToUpper()`. Text comparisons ignore letter case,
like Xero's optimised filters on names and e-mails. Anything else is a `QueryParseError` (400
`QueryParseException`), never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lexflow.errors import LexflowError

Predicate = Callable[[Callable[[str], Any]], bool]
"""Takes a field resolver (`"Contact.ContactID"` → value) and says whether the document matches."""

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|<|>|\(|\)|,|\.)'
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
MAX_LENGTH = 2000


class QueryParseError(LexflowError, ValueError):
    """The filter is not in the language; the message says where."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryParseError(f"unexpected character at position {pos}: {text[pos : pos + 10]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise QueryParseError(f"the filter is longer than {MAX_LENGTH} characters")
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1].upper() != value.upper()):
            raise QueryParseError(f"expected {value or 'more'} at token {self.i + 1}")
        self.i += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "name" and tok[1].upper() == word:
            self.i += 1
            return True
        return False

    def parse(self) -> Predicate:
        pred = self.or_()
        if self.peek() is not None:
            raise QueryParseError(f"unexpected {self.peek()[1]!r} at token {self.i + 1}")  # type: ignore[index]
        return pred

    def or_(self) -> Predicate:
        left = self.and_()
        while self.keyword("OR"):
            right = self.and_()
            left = (lambda a, b: lambda f: a(f) or b(f))(left, right)
        return left

    def and_(self) -> Predicate:
        left = self.not_()
        while self.keyword("AND"):
            right = self.not_()
            left = (lambda a, b: lambda f: a(f) and b(f))(left, right)
        return left

    def not_(self) -> Predicate:
        if self.keyword("NOT"):
            inner = self.not_()
            return lambda f: not inner(f)
        return self.atom()

    def atom(self) -> Predicate:
        tok = self.peek()
        if tok and tok[1] == "(":
            self.depth += 1
            if self.depth > 20:
                raise QueryParseError("too deeply nested")
            self.take("(")
            inner = self.or_()
            self.take(")")
            self.depth -= 1
            return inner
        left = self.operand()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.operand()
            return _compare(left, tok[1], right)
        return lambda f: bool(left(f))

    def operand(self) -> Callable[[Callable[[str], Any]], Any]:
        kind, value = self.take()
        if kind == "str":
            text = bytes(value[1:-1], "utf-8").decode("unicode_escape")
            return lambda f: text
        if kind == "num":
            num = Decimal(value)
            return lambda f: num
        if kind != "name":
            raise QueryParseError(f"unexpected {value!r}")
        upper = value.upper()
        if upper in ("TRUE", "FALSE"):
            flag = upper == "TRUE"
            return lambda f: flag
        if upper == "NULL":
            return lambda f: None
        if value == "DateTime":
            self.take("(")
            parts = [int(self.take()[1])]
            while self.peek() and self.peek()[1] == ",":  # type: ignore[index]
                self.take(",")
                parts.append(int(self.take()[1]))
            self.take(")")
            try:
                when = datetime(*parts[:3], *parts[3:6])  # type: ignore[arg-type,misc]
            except (TypeError, ValueError) as exc:
                raise QueryParseError(f"invalid DateTime{tuple(parts)}: {exc}") from None
            return lambda f: when
        if value == "Guid":
            self.take("(")
            kind, raw = self.take()
            if kind != "str":
                raise QueryParseError("Guid() takes a quoted id")
            self.take(")")
            guid = raw[1:-1].lower()
            return lambda f: guid
        path = [value]
        methods: list[tuple[str, Any]] = []
        while self.peek() and self.peek()[1] == ".":  # type: ignore[index]
            self.take(".")
            _, name = self.take()
            if self.peek() and self.peek()[1] == "(":  # type: ignore[index]
                self.take("(")
                arg = None
                if self.peek() and self.peek()[1] != ")":  # type: ignore[index]
                    arg = self.operand()
                self.take(")")
                if name not in ("Contains", "StartsWith", "EndsWith", "ToLower", "ToUpper"):
                    raise QueryParseError(f"unknown method {name}()")
                methods.append((name, arg))
            elif methods:
                raise QueryParseError("a field cannot follow a method call")
            else:
                path.append(name)
        field = ".".join(path)

        def get(f: Callable[[str], Any]) -> Any:
            result = f(field)
            for name, arg in methods:
                text = "" if result is None else str(result)
                if name in ("ToLower", "ToUpper"):
                    result = text.lower() if name == "ToLower" else text.upper()
                else:
                    needle = str(arg(f) if arg else "").lower()
                    text = text.lower()
                    result = (
                        needle in text
                        if name == "Contains"
                        else text.startswith(needle)
                        if name == "StartsWith"
                        else text.endswith(needle)
                    )
            return result

        return get


def _norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return value.lower()
    return value


def _compare(left: Any, op: str, right: Any) -> Predicate:
    def pred(f: Callable[[str], Any]) -> bool:
        a, b = _norm(left(f)), _norm(right(f))
        if op == "==":
            return bool(a == b)
        if op == "!=":
            return bool(a != b)
        if a is None or b is None:
            return False
        try:
            if op == "<":
                return bool(a < b)
            if op == "<=":
                return bool(a <= b)
            if op == ">":
                return bool(a > b)
            return bool(a >= b)
        except TypeError:
            return False

    return pred


def compile_where(text: str) -> Predicate:
    """Parse a `where` filter once; the predicate is then applied to every document."""
    return _Parser(text).parse()
