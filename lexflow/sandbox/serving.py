"""Old home of the served sandbox, kept so existing imports work: it lives in `lexflow.testing.served` now, and
`free_port` in `lexflow.sandbox.plumbing`."""

from lexflow.sandbox.plumbing import free_port
from lexflow.testing.served import ServedSandbox, serve_in_thread

__all__ = ["ServedSandbox", "free_port", "serve_in_thread"]
