"""Serve the real `create_approve_send_invoice` flow as a deployment (run by test_invoice_suspend.py as a subprocess).

Everything comes from the environment (Prefect API, Lexware sandbox, Slack, SMTP catcher), as on a real worker.
"""

from __future__ import annotations

from flows.create_approve_send_invoice import create_approve_send_invoice

DEPLOYMENT = "suspend-e2e"

if __name__ == "__main__":
    create_approve_send_invoice.serve(name=DEPLOYMENT, print_starting_message=False)
