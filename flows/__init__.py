"""Prefect flows: orchestration only (logic lives in `lexflow`, calls in `tasks`). See docs/flows.md.

`crm_lead_to_customer`, `create_approve_send_invoice`, `log_expense`, `sync_history`, `dunning_run`,
`duplicate_contacts_report`, `reconcile_payments`. What runs them (`lexflow serve`, `lexflow prefect setup`,
`make demo`) and the rest of lexflow's Prefect plumbing is in `lexflow.prefect`.
"""
