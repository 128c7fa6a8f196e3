"""Base model and field types shared by every resource: tolerant on read, exact on round trip.

- camelCase aliases matching the API JSON, `populate_by_name=True` so Python names work too;
- `extra="allow"`: fields this client does not know are kept and sent back on PUT (PUT replaces the whole record,
  so dropping them would delete data);
- enums are plain strings (the API adds values, docs/lexware.md#voucher-list), amounts are `Decimal` that accept numbers *or* strings
  (a doc sample sends `"openAmount": "1337.00"`) and serialise back to JSON numbers;
- timestamps stay the API's strings so they round-trip byte for byte; `datetime`/`date` inputs are formatted.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

BERLIN = ZoneInfo("Europe/Berlin")


def _number(value: Decimal) -> int | float:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return float(value)


Amount = Annotated[Decimal, PlainSerializer(_number, return_type=float, when_used="json")]
"""A money or quantity value: Decimal in Python, a JSON number on the wire; strings like "1337.00" accepted."""


def format_timestamp(value: datetime | date) -> str:
    """The sales-document timestamp format `yyyy-MM-ddTHH:mm:ss.SSS+hh:mm` (docs/lexware.md#timestamps). A date means midnight Berlin."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=BERLIN)
    if value.tzinfo is None:
        value = value.replace(tzinfo=BERLIN)
    return value.isoformat(timespec="milliseconds")


def _timestamp_in(value: Any) -> Any:
    return format_timestamp(value) if isinstance(value, date) else value


def plain_date(value: Any) -> Any:
    """A `date`/`datetime` as `yyyy-MM-dd` (vouchers, voucherlist filters); anything else unchanged."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


Timestamp = Annotated[str, BeforeValidator(_timestamp_in)]
"""A sales-document timestamp string; `datetime`/`date` values are formatted to the API's format."""

PlainDate = Annotated[str, BeforeValidator(plain_date)]
"""A `yyyy-MM-dd` string (bookkeeping vouchers on write, recurring-template settings); dates are formatted."""


class ApiModel(BaseModel):
    """Base of all API models."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        validate_assignment=False,
        arbitrary_types_allowed=True,
    )

    def to_api(self) -> dict[str, Any]:
        """The JSON body for the API: aliases, unknown fields kept, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
