"""Lexware Office (formerly lexoffice): the adapter onto the neutral core, and what its API can do.

Its client, models and sandbox still live in `lexflow.client`, `lexflow.models` and `lexflow.sandbox`; they move
here in a later step (docs/architecture.md).
"""
