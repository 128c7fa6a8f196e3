"""lexflow.banking: bank statements in (CAMT.053, MT940, CSV, FinTS), match proposals against open invoices out.

The Lexware Office API can neither read bank transactions nor mark an invoice paid (docs/lexware.md#what-the-api-cannot-do), so this
package reads the bank's own statements, proposes matches with reasons, and acts only where the API allows
(`reconcile`: transaction-assignment-hint with partner OAuth, else a review item with the invoice's deeplink).
No Prefect here; the flow is `flows/reconcile_payments.py`.
"""

from lexflow.banking.errors import BankingError, MissingExtra, StatementError
from lexflow.banking.ledger import MatchLedger, PaymentCheck, check_payment, confirm_payment
from lexflow.banking.matcher import Allocation, Matcher, MatchKind, Proposal, match_transactions
from lexflow.banking.open_items import OpenItem, PaymentTerms, load_open_items
from lexflow.banking.readers import CsvMapping, parse_statement, read_statement
from lexflow.banking.reconcile import ReconcileReport, ReviewItem, reconcile
from lexflow.banking.transactions import BankTransaction, Unverified, mask_iban
from lexflow.banking.writers import write_camt053, write_csv, write_mt940

__all__ = [
    "Allocation",
    "BankTransaction",
    "BankingError",
    "CsvMapping",
    "MatchKind",
    "MatchLedger",
    "Matcher",
    "MissingExtra",
    "OpenItem",
    "PaymentCheck",
    "PaymentTerms",
    "Proposal",
    "ReconcileReport",
    "ReviewItem",
    "StatementError",
    "Unverified",
    "check_payment",
    "confirm_payment",
    "load_open_items",
    "mask_iban",
    "match_transactions",
    "parse_statement",
    "read_statement",
    "reconcile",
    "write_camt053",
    "write_csv",
    "write_mt940",
]
