"""The shared transport below every provider's client: rate limiting (`limits`), the retry matrix (`retry`), one
error hierarchy (`errors`), the operation engine with write settling and the audit hook of every call (`base`), and
the sync bridge onto an in-process ASGI sandbox (`bridge`). It imports no provider (docs/architecture.md)."""
