"""Live statements over FinTS/HBCI with `python-fints` (optional extra: `pip install 'lexflow[fints]'`).

Not testable offline: it talks to the bank's FinTS server, and PSD2 banks ask for a TAN (pushTAN, photoTAN) when
the dialog starts and for history older than 90 days. This source handles banks that answer without a TAN; a
bank that asks for one raises `BankingError` telling the user to export a CAMT.053/MT940 file instead.
python-fints returns `mt940` transactions, so the mapping is the MT940 reader's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, SecretStr

from lexflow.banking.errors import BankingError, MissingExtra
from lexflow.banking.readers.mt940 import from_mt940_transaction
from lexflow.banking.transactions import BankTransaction, assign_ids, normalise_iban


class FinTSConfig(BaseModel):
    """Connection data of a FinTS PIN/TAN account. `product_id` is the registration number from Deutsche Kreditwirtschaft."""

    blz: str
    login: str
    pin: SecretStr
    endpoint: str
    iban: str
    product_id: str | None = None


def _import_fints() -> Any:
    try:
        from fints.client import FinTS3PinTanClient
    except ImportError:
        raise MissingExtra("FinTS needs the optional extra: pip install 'lexflow[fints]' (python-fints)") from None
    return FinTS3PinTanClient


def fetch_fints(config: FinTSConfig, start: date, end: date | None = None) -> list[BankTransaction]:
    """Booked transactions of one account between `start` and `end` (inclusive)."""
    client_cls = _import_fints()
    client = client_cls(
        config.blz, config.login, config.pin.get_secret_value(), config.endpoint, product_id=config.product_id
    )
    with client:
        if getattr(client, "init_tan_response", None):
            raise BankingError(
                "the bank asks for a TAN to open the FinTS dialog; lexflow runs unattended, so export "
                "a CAMT.053 or MT940 file from online banking and use `lexflow reconcile FILE`"
            )
        wanted = normalise_iban(config.iban)
        accounts = [a for a in client.get_sepa_accounts() if normalise_iban(a.iban) == wanted]
        if not accounts:
            raise BankingError(f"the FinTS login has no account with the IBAN ending {config.iban[-4:]}; check `iban`")
        result = client.get_transactions(accounts[0], start, end)
        if not isinstance(result, list):  # a NeedTANResponse
            raise BankingError(
                "the bank asks for a TAN for this period (PSD2: usually older than 90 days); "
                "choose a shorter period or export a statement file"
            )
    rows = [from_mt940_transaction(tx, account_iban=wanted, currency="EUR", source="fints") for tx in result]
    return assign_ids(rows)
