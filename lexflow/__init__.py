"""lexflow: bookkeeping automation for Lexware Office (formerly lexoffice) with Prefect."""

__version__ = "0.1.0"
