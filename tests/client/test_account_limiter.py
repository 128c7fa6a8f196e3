"""The transport's one limiter (lexflow/transport/limits.py): the cap on calls in flight and the daily budget hold across
processes, the budget is persisted and frees calls when its window says so (injected clock), and two accounts never
share anything. No timed assertions: speed lives in bench/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lexflow.transport.limits import (
    AccountLimiter,
    DailyBudget,
    DailyBudgetExhausted,
    Limits,
    MachineGate,
    NoLimit,
    account_limiter,
)

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# ------------------------------------------------------------------------------------------------ the cap in flight
TRY_SLOT = """
import sys
from lexflow.transport.limits import MachineGate
gate = MachineGate(sys.argv[1], 2)
for line in sys.stdin:  # one try per line; answers whether a slot was free (and keeps it)
    got = gate._try()
    print("free" if got is not None else "taken", flush=True)
"""


def test_the_cap_in_flight_holds_across_processes(tmp_path: Path) -> None:
    gate = MachineGate(tmp_path / "acct.slot", 2)
    other = _python(TRY_SLOT, str(tmp_path / "acct.slot"))
    assert other.stdin is not None and other.stdout is not None

    def ask() -> str:
        assert other.stdin is not None and other.stdout is not None
        other.stdin.write("try\n")
        other.stdin.flush()
        return other.stdout.readline().strip()

    try:
        with gate.slot(), gate.slot():  # this process holds both slots of the account
            assert ask() == "taken"
        assert ask() == "free"  # one given back: the other process gets it
        assert ask() == "free"
        assert gate._try() is None  # now the other process holds both
    finally:
        other.kill()
        other.wait()
    assert gate._try() is not None  # the OS dropped the locks of the killed process: no slot leaked


def test_a_holder_killed_in_flight_frees_its_slot(tmp_path: Path) -> None:
    holder = _python(
        """
        import sys, time
        from lexflow.transport.limits import MachineGate
        gate = MachineGate(sys.argv[1], 1)
        with gate.slot():
            print("holding", flush=True)
            time.sleep(600)
        """,
        str(tmp_path / "one.slot"),
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    gate = MachineGate(tmp_path / "one.slot", 1)
    assert gate._try() is None
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert gate._try() is not None


# ------------------------------------------------------------------------------------------------ the daily budget
def test_utc_day_budget_is_persisted_and_frees_at_utc_midnight(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 7, 23, 10, tzinfo=UTC))
    path = tmp_path / "acct.day"
    budget = DailyBudget(path, 3, "utc-day", provider="xero", account="tenant a", clock=clock)
    for _ in range(3):
        budget.spend()
    with pytest.raises(DailyBudgetExhausted) as caught:
        budget.spend()
    error = caught.value
    assert (error.provider, error.limit, error.window) == ("xero", 3, "utc-day")
    assert error.resets_at == datetime(2026, 12, 8, tzinfo=UTC)
    assert (
        "3 calls per UTC day" in str(error)
        and "2026-12-08 00:00 UTC" in str(error)
        and "nothing was sent" in str(error)
    )
    # another process's view of the same account (a new object on the same file) sees the count
    again = DailyBudget(path, 3, "utc-day", clock=clock)
    assert again.used() == 3
    with pytest.raises(DailyBudgetExhausted):
        again.spend()
    clock.now = datetime(2026, 12, 7, 23, 59, 59, tzinfo=UTC)
    with pytest.raises(DailyBudgetExhausted):
        budget.spend()
    clock.now = datetime(2026, 12, 8, 0, 0, 1, tzinfo=UTC)
    budget.spend()
    assert again.used() == 1


def test_rolling_budget_counts_a_call_for_at_least_24_hours(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 7, 10, 59, tzinfo=UTC))
    budget = DailyBudget(tmp_path / "acct.day", 2, "rolling-24h", clock=clock)
    budget.spend()
    clock.now = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    budget.spend()
    clock.now = datetime(2026, 12, 8, 0, 30, tzinfo=UTC)  # past UTC midnight: a rolling window does not care
    with pytest.raises(DailyBudgetExhausted) as caught:
        budget.spend()
    assert caught.value.resets_at == datetime(2026, 12, 8, 11, 0, tzinfo=UTC)  # 10:59's call is 24 h old by then
    clock.now = datetime(2026, 12, 8, 10, 59, 30, tzinfo=UTC)  # 24 h after the first call, within its hour
    with pytest.raises(DailyBudgetExhausted):
        budget.spend()
    clock.now = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
    budget.spend()
    assert budget.used() == 2


def test_server_counts_and_retry_after_win_over_the_local_count(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    budget = DailyBudget(tmp_path / "acct.day", 10, clock=clock)
    budget.spend()
    budget.sync(remaining=2)  # calls from another machine: 8 used by the server's count
    assert budget.used() == 8
    budget.sync(remaining=5)  # a count below ours changes nothing
    assert budget.used() == 8
    budget.spend()
    budget.spend()
    with pytest.raises(DailyBudgetExhausted):
        budget.spend()
    fresh = DailyBudget(tmp_path / "other.day", 10, clock=clock)
    fresh.block_for(3600)
    with pytest.raises(DailyBudgetExhausted) as caught:
        fresh.spend()
    assert caught.value.resets_at >= clock.now + timedelta(hours=1)
    assert fresh.used() == 0  # a refusal counts nothing


SPEND = """
import sys
from lexflow.transport.limits import DailyBudget, DailyBudgetExhausted
budget = DailyBudget(sys.argv[1], 40)
ok = 0
for _ in range(30):
    try:
        budget.spend()
        ok += 1
    except DailyBudgetExhausted:
        pass
print(ok)
"""


def test_two_processes_never_spend_more_than_the_budget(tmp_path: Path) -> None:
    procs = [_python(SPEND, str(tmp_path / "shared.day")) for _ in range(2)]
    spent = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert sum(spent) == 40  # 60 tries, 40 allowed, none lost and none extra


# ------------------------------------------------------------------------------------------------ per account
def test_two_tenants_never_share_a_budget_a_cap_or_a_pace(tmp_path: Path) -> None:
    limits = Limits(rate=5, concurrent=1, daily=2)
    a = account_limiter("xero", "https://api.xero.com", "tenant-a", limits, directory=tmp_path)
    b = account_limiter("xero", "https://api.xero.com", "tenant-b", limits, directory=tmp_path)
    assert a is account_limiter("xero", "https://api.xero.com", "tenant-a", limits, directory=tmp_path)
    assert a.budget is not None and b.budget is not None and a.budget.path != b.budget.path
    assert a.gate is not None and b.gate is not None and set(a.gate.paths).isdisjoint(b.gate.paths)
    assert a.pace is not b.pace
    a.budget.spend()
    a.budget.spend()
    with pytest.raises(DailyBudgetExhausted):
        a.budget.spend()
    b.budget.spend()  # tenant b's budget is untouched
    with a.in_flight(), b.in_flight():  # each has its own slot
        assert a.gate._try() is None
    # the same tenant id at another provider (or host) is another account too
    other = account_limiter("quickbooks", "https://api.xero.com", "tenant-a", limits, directory=tmp_path)
    assert other.budget is not None and other.budget.path != a.budget.path
    assert "tenant-a" not in "".join(os.listdir(tmp_path))  # file names are digests


def test_a_used_up_budget_refuses_before_the_pace_or_the_gate() -> None:
    class Pace(NoLimit):
        waited = 0

        def acquire(self) -> None:
            Pace.waited += 1

    limiter = AccountLimiter("t", Pace(), None, DailyBudget(None, 1))
    limiter.acquire()
    with pytest.raises(DailyBudgetExhausted), limiter.slot():
        pass
    assert Pace.waited == 1
