"""Lexware Office (formerly lexoffice): the adapter onto the neutral core, and what its API can do.

The same rooms as every provider (docs/architecture.md): `client` (typed client, auth, paging,
deeplinks), `models`, `sandbox`, `adapter` and `capabilities`.
"""
