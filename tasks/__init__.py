"""Prefect tasks over `lexflow.actions`, one module per resource group.

`common` (client, actor, profile, business cache keys, `run_action`), `contacts`, `invoices`, `vouchers`,
`dunning`, `mail`, `audit`. The Prefect backend of the client's rate limiter is `lexflow.prefect.limiter`.
"""
