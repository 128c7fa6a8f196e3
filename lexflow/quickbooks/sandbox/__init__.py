"""The embedded QuickBooks Online sandbox (docs/quickbooks.md): stateful, served by uvicorn, the default backend
when no Intuit credentials are configured."""

from lexflow.quickbooks.sandbox.app import create_app
from lexflow.quickbooks.sandbox.config import QuickBooksSandboxConfig
from lexflow.quickbooks.sandbox.serving import ServedQuickBooks, serve_in_thread
from lexflow.quickbooks.sandbox.webhooks import sign

__all__ = ["QuickBooksSandboxConfig", "ServedQuickBooks", "create_app", "serve_in_thread", "sign"]
