"""What a task is: a prompt, the world it starts from, what the person answers and approves, an oracle solution,
checks on the end state, and wrong solutions the checks must catch (negative controls)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from bench.agent.world import World

Args = dict[str, Any] | Callable[["Ctx"], dict[str, Any]]
Text = str | Callable[["Ctx"], str]


@dataclass(frozen=True)
class Call:
    """One action call (suite name, see `names.py`); `save` keeps its output for later steps."""

    action: str
    args: Args
    save: str | None = None


@dataclass(frozen=True)
class Ask:
    """A question to the person before going on; the answer is appended to `ctx.answers`."""

    text: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Say:
    """The final answer to the person."""

    text: Text


Step = Call | Ask | Say


@dataclass
class Ctx:
    """What a solution knows while it runs: the world's seeded ids, saved outputs, the person's answers."""

    world: World
    out: dict[str, Any] = field(default_factory=dict)
    answers: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def id(self, label: str) -> str:
        return self.world.ids[label]

    def day(self, offset: int) -> str:
        return self.world.day(offset).isoformat()


@dataclass(frozen=True)
class ApprovalAsk:
    """What the approver sees (same fields as the agent's `ApprovalAsk`): the action and the exact arguments."""

    action: str
    args: dict[str, Any]
    preview: Any = None


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[str, ...] = ()


Approver = Callable[[Any], bool]


def approve_all(ask: Any) -> bool:
    return True


def reject_all(ask: Any) -> bool:
    return False


Check = Callable[[World], str | None]
"""A check on the end state: None when it holds, else what is wrong."""


@dataclass(frozen=True)
class Task:
    id: str
    category: str
    prompt: str
    oracle: tuple[Step, ...]
    checks: tuple[Check, ...] = ()
    seed: Callable[[World], None] | None = None
    answers: tuple[str, ...] = ()
    approver: Approver = approve_all
    must_ask: bool = False
    impossible: bool = False
    say: tuple[str | tuple[str, ...], ...] = ()
    """Every one of these must be in the final answer (case-insensitive; `{label}` placeholders from the world;
    an amount like `1785.00` matches 1785, 1,785.00 or 1.785,00); a tuple: any one of its phrasings."""
    not_say: tuple[str, ...] = ()
    wrong: tuple[tuple[str, tuple[Step, ...]], ...] = ()
    """Negative controls: named wrong solutions the grading must fail."""
    files: tuple[str, ...] = ()
    """Receipt files the person attached: placed in the inbox folder, passed as `{"path": name}`."""
    max_tool_calls: int = 25

    def prompt_for(self, world: World) -> str:
        return self.prompt.format_map(world.vars())


_AMOUNT = re.compile(r"^\d+\.\d{2}$")
_NUMBER = re.compile(r"\d[\d.,]*\d|\d")


def amounts_in(text: str) -> set[Decimal]:
    """Every amount written in `text`, read both ways where ambiguous (1.785,00 and 1,785.00 are 1785.00)."""
    found: set[Decimal] = set()
    for raw in _NUMBER.findall(text):
        for thousands, decimal in ((",", "."), (".", ",")):
            candidate = raw.replace(thousands, "").replace(decimal, ".")
            try:
                found.add(Decimal(candidate).quantize(Decimal("0.01")))
            except InvalidOperation:
                continue
    return found


def says(answer: str, phrase: str) -> bool:
    """Whether the answer says `phrase`: amounts by value, everything else as a case-insensitive substring."""
    if _AMOUNT.match(phrase):
        return Decimal(phrase) in amounts_in(answer)
    return phrase.lower() in answer.lower()
