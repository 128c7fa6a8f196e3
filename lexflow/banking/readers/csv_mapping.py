"""`CsvMapping`: which column of a bank's CSV export holds what. Presets use it; users give one as a TOML/YAML file.

docs/reconciliation.md ("Your own CSV layout") documents every key with an example file.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lexflow.banking.errors import StatementError
from lexflow.banking.transactions import BankTransaction


class CsvMapping(BaseModel):
    """Column names of one CSV layout. The amount comes from `amount` (signed, or unsigned with `indicator`
    S/H), or from `debit` + `credit` (Soll/Haben)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom"
    bank: str = Field(default="", description="Who exports this layout (for docs and messages).")
    delimiter: str = ";"
    encoding: str | None = Field(default=None, description="None: UTF-8 (BOM allowed), falling back to latin-1.")
    booking_date: str
    value_date: str | None = None
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    indicator: str | None = Field(default=None, description="Column saying debit or credit (e.g. S/H).")
    debit_markers: tuple[str, ...] = ("S", "Soll", "D", "DBIT", "Debit", "Belastung")
    sign: Literal["as_is", "inverted"] = Field(
        default="as_is", description="`inverted`: the file shows money out as positive (credit card statements)."
    )
    currency: str | None = None
    counterparty_name: str | None = None
    payer_name: str | None = Field(default=None, description="Counterparty of a credit, when split by direction.")
    payee_name: str | None = Field(default=None, description="Counterparty of a debit, when split by direction.")
    counterparty_iban: str | None = None
    counterparty_bic: str | None = None
    payee_iban: str | None = Field(
        default=None,
        description="IBAN of a debit's beneficiary only (Revolut Business `Beneficiary IBAN`); on a credit the "
        "beneficiary is the account holder, whose IBAN must never be learnt as a payer's.",
    )
    payee_bic: str | None = Field(default=None, description="BIC of a debit's beneficiary only, as `payee_iban`.")
    remittance: tuple[str, ...] = ()
    sepa_tags: bool = Field(default=False, description="The remittance holds EREF+/MREF+/SVWZ+ tags to split.")
    text_labels: dict[str, Literal["counterparty_name", "counterparty_iban", "counterparty_bic", "remittance"]] = Field(
        default_factory=dict,
        description="Labels inside the remittance text and the field each one's value is (comdirect: "
        "'Auftraggeber:' → counterparty_name, 'Buchungstext:' → remittance).",
    )
    fee: str | None = Field(default=None, description="Fee column, charged on top of the amount (Revolut).")
    has_header: bool = Field(default=True, description="False: no header row; name columns by position, '#1'…")
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    related_reference: str | None = Field(
        default=None, description="Column naming the row this one settles (a released hold: skipped with it)."
    )
    account_iban: str | None = None
    status: str | None = Field(default=None, description="Column telling booked from pending rows.")
    pending: tuple[str, ...] = Field(default=(), description="Values of `status` that mean not booked yet.")
    ignore: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="column → values of rows that move no money (e.g. PayPal memo rows)."
    )
    balance_after: str | None = Field(default=None, description="Running balance column, checked row by row.")
    balance_rows: dict[str, str] = Field(
        default_factory=dict, description="Marker text → 'opening'|'closing' for balance rows among the data."
    )
    date_formats: tuple[str, ...] = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d")
    decimal_comma: bool = True
    columns: tuple[str, ...] = Field(default=(), description="The bank's full header, in order (writer, detection).")
    preamble: tuple[str, ...] = Field(default=(), description="Lines the bank writes above the header (writer).")

    @model_validator(mode="after")
    def _one_amount_source(self) -> CsvMapping:
        if not self.amount and not (self.debit and self.credit):
            raise ValueError("give `amount` (signed, or with `indicator`) or both `debit` and `credit`")
        if self.status and not self.pending:
            raise ValueError("`status` needs `pending`: the values that mark a row as not booked yet")
        return self

    @property
    def mapped(self) -> tuple[str, ...]:
        """Every column this mapping reads; a file lacking one is refused, never read as empty."""
        cols = [
            self.booking_date,
            self.value_date,
            self.amount,
            self.debit,
            self.credit,
            self.indicator,
            self.fee,
            self.currency,
            self.counterparty_name,
            self.payer_name,
            self.payee_name,
            self.counterparty_iban,
            self.counterparty_bic,
            self.payee_iban,
            self.payee_bic,
            *self.remittance,
            self.end_to_end_id,
            self.bank_reference,
            self.related_reference,
            self.account_iban,
            self.status,
            self.balance_after,
            *self.ignore,
        ]
        return tuple(dict.fromkeys(c for c in cols if c))

    @property
    def write_header(self) -> tuple[str, ...]:
        return self.columns or self.mapped

    def render(self, t: BankTransaction, *, account_iban: str = "") -> dict[str, str]:
        """One transaction as the bank would print it (the inverse of the reader; used by the sandbox's writer)."""

        def num(v: Decimal) -> str:
            s = f"{v:,.2f}"
            return s.replace(",", "_").replace(".", ",").replace("_", ".") if self.decimal_comma else s.replace(",", "")

        fmt = self.date_formats[0]
        shown = -t.amount if self.sign == "inverted" else t.amount
        out: dict[str, str] = {self.booking_date: t.booking_date.strftime(fmt)}
        if self.value_date:
            out[self.value_date] = (t.value_date or t.booking_date).strftime(fmt)
        if self.amount:
            out[self.amount] = num(abs(shown)) if self.indicator else num(shown)
        if self.indicator:
            out[self.indicator] = self.debit_markers[0] if t.amount < 0 else "H"
        if self.debit and t.amount < 0:
            out[self.debit] = num(t.amount)
        if self.credit and t.amount > 0:
            out[self.credit] = num(t.amount)
        name_col = self.counterparty_name or (self.payer_name if t.amount > 0 else self.payee_name)
        for col, value in (
            (self.currency, t.currency),
            (name_col, t.counterparty_name),
            (self.counterparty_iban, t.counterparty_iban),
            (self.counterparty_bic, t.counterparty_bic),
            (self.payee_iban if t.amount < 0 else None, t.counterparty_iban),
            (self.payee_bic if t.amount < 0 else None, t.counterparty_bic),
            (self.end_to_end_id, t.end_to_end_id),
            (self.account_iban, account_iban),
        ):
            if col and value:
                out[col] = value
        if self.remittance:
            text = t.remittance
            if not name_col and t.counterparty_name:  # Commerzbank: name and purpose in one text
                text = f"{t.counterparty_name} {text}".strip()
            if self.sepa_tags and t.end_to_end_id:
                text = f"EREF+{t.end_to_end_id}SVWZ+{text}"
            out[self.remittance[0]] = text
        if "Auftragskonto" in self.columns:
            out["Auftragskonto"] = account_iban
        if "Buchungstext" in self.columns and "Buchungstext" not in self.remittance:
            out["Buchungstext"] = "GUTSCHR. UEBERWEISUNG" if t.amount > 0 else "UEBERWEISUNG"
        return out


def load_mapping(path: str | Path) -> CsvMapping:
    """A `CsvMapping` from a TOML (`.toml`) or YAML (`.yaml`/`.yml`) file; errors name the key and the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise StatementError(p.name, "mapping file", f"cannot read it: {exc.strerror}") from None
    try:
        data: Any = tomllib.loads(text) if p.suffix.lower() == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise StatementError(
            p.name, "mapping file", f"not valid {'TOML' if p.suffix == '.toml' else 'YAML'}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise StatementError(p.name, "mapping file", 'expected keys like booking_date = "Buchungstag"')
    data.setdefault("name", p.stem)
    try:
        return CsvMapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'mapping'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise StatementError(p.name, "mapping file", f"{problems} (see docs/reconciliation.md)") from None
