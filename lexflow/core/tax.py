"""Tax as a provider's own reference, never a universal rate.

A `TaxMapping` turns a lexflow tax key (`standard`, `reduced`, `zero`, ...) into the provider's reference; the
provider's own codes are accepted as they are. Accounts with their own codes (Xero TaxTypes, QuickBooks TaxCodeRefs
differ per organisation) get their own mapping.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict

from lexflow.core.errors import UnknownTaxCode
from lexflow.core.models import TaxRef


def _clean(given: str) -> str:
    """`19`, `19.0`, ` 19 %` name the same percentage code; other codes are kept as written."""
    text = given.strip().removesuffix("%").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return given.strip()
    return format(number.normalize(), "f") if number == number.to_integral_value() else str(number)


class TaxMapping(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider: str
    keys: dict[str, str]
    """lexflow tax key → one of `codes`."""
    codes: dict[str, TaxRef]
    """The provider's own codes, by code."""

    def resolve(self, given: str) -> TaxRef:
        key = given.strip().lower()
        if key in self.keys:
            return self.codes[self.keys[key]]
        code = _clean(given)
        if code in self.codes:
            return self.codes[code]
        raise UnknownTaxCode(self.provider, given, [*self.keys, *self.codes])
