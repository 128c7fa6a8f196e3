"""State, clock, errors and value conventions of the embedded sevDesk sandbox (docs/sevdesk.md).

Documents are stored in the shape the API answers with (ids, amounts and flags as strings, references as
`{"id": "7", "objectName": "Contact"}`), in the shared `lexflow.sandbox.store.Store` (dicts in memory, optional
SQLite write-through). Keys starting with `_` are sandbox bookkeeping and never leave the API.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from lexflow.errors import LexflowError
from lexflow.sandbox.store import Doc, Store

BERLIN = ZoneInfo("Europe/Berlin")
ORG = "sevdesk"
DEFAULT_TOKEN = "5e4d0c3b2a1f0e9d8c7b6a5f4e3d2c1b"
"""The sandbox's API token: 32 hexadecimal characters like a real one (documented in docs/sevdesk.md)."""
SEV_CLIENT_ID = "123456"
CENT = Decimal("0.01")

ID_START = {
    "Contact": 8_000_001,
    "CommunicationWay": 900_001,
    "ContactAddress": 700_001,
    "Invoice": 77_001,
    "InvoicePos": 550_001,
    "InvoiceLog": 1,
    "VoucherLog": 1,
    "CreditNote": 88_001,
    "CreditNotePos": 880_001,
    "CreditNoteLog": 1,
    "Email": 40_001,
    "Voucher": 66_001,
    "VoucherPos": 660_001,
    "Document": 30_001,
    "CheckAccount": 5_001,
    "CheckAccountTransaction": 3_300_001,
    "SevUser": 112_233,
}


class SevdeskSandboxConfig(BaseModel):
    """How the sandbox behaves. Defaults are the documented API; the extras are off unless asked for."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(default=DEFAULT_TOKEN, pattern=r"^[0-9a-fA-F]{32}$")
    db_path: Path | None = None
    rate_limit: float = Field(default=0.0, ge=0, description="requests/second per token; 0 = no throttling")
    rate_burst: int = Field(default=5, ge=1)
    block_after_failures: int | None = Field(
        default=None, ge=1, description="block the token after this many failing requests in a row (FAQ); None: never"
    )
    default_limit: int = Field(default=100, ge=1, le=1000, description="page size when `limit` is not given")


class SevdeskError(LexflowError):
    """An API error: 422 answers `{"error": {message, exceptionUUID}}`, the others the observed
    `{"objects": null, "error": {message, code, data}}`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        if self.status == 422:
            return {"error": {"message": self.message, "exceptionUUID": str(uuid.uuid4())}}
        return {"objects": None, "error": {"message": self.message, "code": None, "data": None}}


def bad(message: str) -> SevdeskError:
    return SevdeskError(400, message)


def invalid(message: str) -> SevdeskError:
    return SevdeskError(422, message)


def not_found(model: str, id_: Any) -> SevdeskError:
    return SevdeskError(404, f"{model} with id {id_} not found")


# ------------------------------------------------------------------------------------------------ values
def s(value: Any) -> str | None:
    """The API's string form of a scalar (numbers and flags are strings in responses)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return money(value)
    return str(value)


def money(value: Decimal) -> str:
    """`1428.00` → "1428", `3.80` → "3.8" (how sevDesk prints amounts)."""
    text = format(value.quantize(CENT), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def dec(value: Any, field: str) -> Decimal:
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise bad(f"{field} must be a number, got {value!r}") from None
    if not result.is_finite():
        raise bad(f"{field} must be a finite number")
    return result


def ref(id_: Any, model: str) -> dict[str, str]:
    return {"id": str(id_), "objectName": model}


def ref_id(body: dict[str, Any], field: str, model: str, *, required: bool = True) -> int | None:
    """The id of a reference `{"id": .., "objectName": model}`; without objectName the API's logic error."""
    value = body.get(field)
    if value is None:
        if required:
            raise bad(f"{field} is required: send {{'id': ..., 'objectName': '{model}'}}")
        return None
    if not isinstance(value, dict) or "id" not in value or "objectName" not in value:
        raise bad(f"{field} expected array with 'id' and 'objectName'. array given")
    if value["objectName"] != model:
        raise bad(f"{field}: objectName must be '{model}', got {value['objectName']!r}")
    try:
        return int(value["id"])
    except (TypeError, ValueError):
        raise bad(f"{field}.id must be an integer id") from None


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(BERLIN).isoformat(timespec="seconds")


def parse_date(value: Any, field: str) -> dt.datetime:
    """An input date: `dd.mm.yyyy`, a Unix timestamp (seconds) or ISO 8601 (docs/sevdesk.md#dates)."""
    if isinstance(value, bool) or value is None or value == "":
        raise bad(f"{field} is required (dd.mm.yyyy, Unix timestamp or ISO 8601)")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        return dt.datetime.fromtimestamp(int(value), BERLIN)
    text = str(value).strip()
    try:
        if len(text) == 10 and text[2] == "." and text[5] == ".":
            day = dt.datetime.strptime(text, "%d.%m.%Y")
            return day.replace(tzinfo=BERLIN)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad(f"{field}: {text!r} is not a date (dd.mm.yyyy, Unix timestamp or ISO 8601)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BERLIN)


def day_start(moment: dt.datetime) -> dt.datetime:
    local = moment.astimezone(BERLIN)
    return dt.datetime(local.year, local.month, local.day, tzinfo=BERLIN)


def epoch(text: str | None) -> float:
    return dt.datetime.fromisoformat(text).timestamp() if text else 0.0


def public(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


# ------------------------------------------------------------------------------------------------ state
class SevdeskState:
    """Everything the sandbox knows: the store, the clock, the token's failure count, the fault rules."""

    def __init__(self, config: SevdeskSandboxConfig) -> None:
        self.config = config
        self.store = Store(config.db_path)
        self.lock = threading.RLock()
        self.failures = 0
        self.blocked = False
        self.faults: Any = None  # the FaultBook, set by the gate
        self.seeding = False  # the control API's seed calls the API itself, past faults and throttling
        if self.store.meta("sevdesk:baseline") is None:
            self.baseline()

    # clock
    def now(self) -> dt.datetime:
        offset = float(self.store.meta("sevdesk:clock", 0.0))
        return dt.datetime.now(BERLIN).replace(microsecond=0) + dt.timedelta(seconds=offset)

    def advance(self, seconds: float) -> dt.datetime:
        self.store.set_meta("sevdesk:clock", float(self.store.meta("sevdesk:clock", 0.0)) + seconds)
        return self.now()

    # documents
    def new_id(self, kind: str) -> str:
        return str(self.store.next_number(ORG, f"id:{kind}", ID_START[kind]))

    def get(self, kind: str, id_: Any) -> Doc | None:
        return self.store.get(ORG, kind, str(id_))

    def need(self, kind: str, id_: Any) -> Doc:
        doc = self.get(kind, id_)
        if doc is None:
            raise not_found(kind, id_)
        return doc

    def all(self, kind: str) -> list[Doc]:
        return sorted(self.store.all(ORG, kind), key=lambda d: int(d["id"]))

    def put(self, kind: str, doc: Doc) -> Doc:
        return self.store.put(ORG, kind, doc)

    def delete(self, kind: str, id_: Any) -> None:
        self.store.delete(ORG, kind, str(id_))

    def create(self, kind: str, fields: dict[str, Any]) -> Doc:
        """A new document with the read-only fields every object carries."""
        stamp = iso(self.now())
        doc: Doc = {
            "id": self.new_id(kind),
            "objectName": kind,
            "create": stamp,
            "update": stamp,
            "sevClient": ref(SEV_CLIENT_ID, "SevClient"),
        }
        doc.update(fields)
        return self.put(kind, doc)

    def touch(self, kind: str, doc: Doc) -> Doc:
        doc["update"] = iso(self.now())
        return self.put(kind, doc)

    # lifecycle
    def baseline(self) -> None:
        """What every fresh sevDesk account has: one user and the default "Standard" check account."""
        self.create("SevUser", {"username": "admin@company.example", "firstName": "Anna", "lastName": "Admin"})
        self.create(
            "CheckAccount",
            {
                "name": "Standard",
                "type": "offline",
                "importType": None,
                "currency": "EUR",
                "defaultAccount": "1",
                "status": "100",
                "iban": None,
                "bic": None,
                "bankServer": None,
                "autoMapTransactions": "0",
                "lastSync": None,
                "accountingNumber": "1800",
            },
        )
        self.store.set_meta("sevdesk:baseline", True)

    def reset(self) -> None:
        self.store.clear()
        self.failures = 0
        self.blocked = False
        if self.faults is not None:
            self.faults.clear()
        self.baseline()

    def default_user(self) -> Doc:
        return self.all("SevUser")[0]
