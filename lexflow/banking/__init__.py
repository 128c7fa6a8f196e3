"""lexflow.banking: bank statements in (CAMT.053, MT940, CSV, FinTS), match proposals against open invoices out.

The Lexware Office API can neither read bank transactions nor mark an invoice paid (reference §11.1–11.3), so this
package reads the bank's own statements and proposes matches; acting on them is `lexflow.banking.reconcile`.
No Prefect here.
"""

from lexflow.banking.errors import BankingError, MissingExtra, StatementError
from lexflow.banking.readers import CsvMapping, parse_statement, read_statement
from lexflow.banking.transactions import BankTransaction, mask_iban
from lexflow.banking.writers import write_camt053, write_csv, write_mt940

__all__ = [
    "BankTransaction",
    "BankingError",
    "CsvMapping",
    "MissingExtra",
    "StatementError",
    "mask_iban",
    "parse_statement",
    "read_statement",
    "write_camt053",
    "write_csv",
    "write_mt940",
]
