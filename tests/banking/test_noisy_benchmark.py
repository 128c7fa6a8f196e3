"""The noisy-statement quality goals, on a smaller seeded statement (the full 10,000 × 10,000 is bench/matcher.py)."""

from __future__ import annotations

import time

from lexflow.banking.matcher import Matcher
from lexflow.banking.simulate import noisy_statement


def test_noisy_statement_meets_the_goals() -> None:
    data = noisy_statement(3000, 3000, seed=7)
    start = time.perf_counter()
    proposals = Matcher(data.open_items, known_ibans=data.known_ibans).match_all(data.transactions)
    elapsed = time.perf_counter() - start
    assert len(proposals) == 3000
    stats: dict[str, list[int]] = {}
    for p in proposals:
        truth = data.truth[p.transaction_id]
        ok = p.kind == truth.kind and (
            p.kind not in ("exact", "partial") or set(p.voucher_ids) == set(truth.voucher_ids)
        )
        pred = stats.setdefault(p.kind, [0, 0, 0])
        pred[0] += 1
        pred[1] += ok
        stats.setdefault(truth.kind, [0, 0, 0])[2] += 1
    exact_pred, exact_ok, exact_truth = stats["exact"]
    partial_pred, partial_ok, _ = stats["partial"]
    assert exact_ok == exact_pred, "exact precision must be 1.00"
    assert exact_ok / exact_truth >= 0.98
    assert partial_ok / partial_pred >= 0.95
    assert set(stats) >= {"exact", "partial", "ambiguous", "reversal", "unrelated", "unmatched"}
    assert elapsed < 2.0  # generous: the 10,000 × 10,000 timing is in docs/performance.md


def test_realistic_month_meets_the_goals_on_a_held_out_seed() -> None:
    """The adversarial month (lexflow.banking.simulate_payers) on a held-out seed, smaller than bench/matcher.py."""
    from lexflow.banking.simulate_payers import HELD_OUT_SEEDS, quality, realistic_month

    data = realistic_month(2000, 2000, seed=HELD_OUT_SEEDS[0])
    proposals = Matcher(data.open_items, known_ibans=data.known_ibans, collected=data.collected).match_all(
        data.transactions
    )
    q = quality(proposals, data.truth)
    assert q["exact_precision"] >= 0.999, q
    assert q["exact_recall"] >= 0.97, q
    assert q["wrong_money_share"] <= 0.0005, q
