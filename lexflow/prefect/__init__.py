"""lexflow's one Prefect edge: what flows and tasks need from Prefect that is neither a task nor a flow.

`flow` (the `lexflow_flow` decorator, redacted parameters, parameter types), `failures` (one-line logs for expected
failures), `artifacts`, `notify` (Slack notes that never fail a run), `pausing` (pause a run for typed input, resume
it: approvals and webhook events), `blocks` (credentials and settings Blocks), `limiter` (the account rate limit as a
Prefect global concurrency limit), `setup` and `serving` (`lexflow prefect setup`, `lexflow serve`, in `cli`), and
`demo` (`make demo`). Importing this package imports nothing.
"""
