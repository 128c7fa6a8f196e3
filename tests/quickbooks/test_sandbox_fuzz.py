"""Strange bodies never crash the sandbox: every answer is a QuickBooks Fault with a 4xx, never a 500 (bounded)."""

from __future__ import annotations

import random

from tests.quickbooks.conftest import Api

SHAPES: list[object] = [None, "", "x", 0, -1, 1e308, True, [], {}, [1, "a"], {"value": None}, "1' OR '1'='1", "\x00"]
FIELDS = ["CustomerRef", "Line", "TotalAmt", "DisplayName", "Id", "SyncToken", "sparse", "TxnDate", "Amount",
          "PaymentType", "AccountRef", "VendorRef", "BillEmail", "Deposit", "GlobalTaxCalculation"]  # fmt: skip


def _line(rng: random.Random) -> object:
    detail = {"Qty": rng.choice(SHAPES), "UnitPrice": rng.choice(SHAPES), "TaxCodeRef": rng.choice(SHAPES)}
    return rng.choice(
        [
            {"DetailType": "SalesItemLineDetail", "Amount": rng.choice(SHAPES), "SalesItemLineDetail": detail},
            {"Amount": rng.choice(SHAPES), "LinkedTxn": rng.choice([*SHAPES, [{"TxnId": "130", "TxnType": "x"}]])},
            rng.choice(SHAPES),
        ]
    )


def test_random_bodies_get_faults_not_crashes(api: Api) -> None:
    rng = random.Random(20)
    customer = api.customer()["Id"]
    for _ in range(150):
        body = {f: rng.choice(SHAPES) for f in rng.sample(FIELDS, rng.randint(1, 5))}
        if rng.random() < 0.5:
            body["CustomerRef"] = {"value": customer}
            body["Line"] = [_line(rng) for _ in range(rng.randint(0, 3))]
        path = rng.choice(["/customer", "/invoice", "/payment", "/creditmemo", "/purchase", "/bill", "/vendor"])
        r = api.post(
            path, body, **({"operation": rng.choice(["void", "delete", "update"])} if rng.random() < 0.2 else {})
        )
        assert r.status_code in (200, 400), (path, body, r.status_code, r.text[:200])
        if r.status_code == 400:
            assert r.json()["Fault"]["Error"][0]["code"]
