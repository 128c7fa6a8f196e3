"""QuickBooks Online: capabilities, typed client (`client`, `models`), embedded sandbox (`sandbox`) and the provider
adapter (`adapter`). docs/quickbooks.md."""
