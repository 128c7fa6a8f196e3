"""Statement readers: every one returns `list[BankTransaction]`; `read_statement` picks the reader by content."""

from __future__ import annotations

from lexflow.banking.readers.camt import parse_camt, parse_camt053, read_camt, read_camt053
from lexflow.banking.readers.csv import PRESETS, CsvMapping, load_mapping, parse_csv, read_csv
from lexflow.banking.readers.mt940 import parse_mt940, read_mt940
from lexflow.banking.readers.statement import detect_format, parse_statement, read_statement

__all__ = [
    "PRESETS",
    "CsvMapping",
    "detect_format",
    "load_mapping",
    "parse_camt",
    "parse_camt053",
    "parse_csv",
    "parse_mt940",
    "parse_statement",
    "read_camt",
    "read_camt053",
    "read_csv",
    "read_mt940",
    "read_statement",
]
