"""An embedded, stateful Xero Accounting API (with Xero's identity endpoints) for tests and credential-free use.

`serve_xero_in_thread()` runs it with uvicorn on loopback; `create_app()` builds the ASGI app. docs/xero.md says
what it models and what it does not.
"""

from lexflow.xero.sandbox.app import create_app
from lexflow.xero.sandbox.config import XeroSandboxConfig
from lexflow.xero.sandbox.serving import ServedXeroSandbox, serve_xero_in_thread

__all__ = ["ServedXeroSandbox", "XeroSandboxConfig", "create_app", "serve_xero_in_thread"]
