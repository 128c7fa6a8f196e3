"""The embedded sevDesk sandbox: a stateful imitation of the sevDesk API v1 (sevdesk-Update 2.0) for lexflow's
tests and for running without a token (docs/sevdesk.md). `create_app` builds it, `serve_in_thread` serves it."""

from lexflow.sevdesk.sandbox.app import ServedSevdesk, create_app, serve_in_thread
from lexflow.sevdesk.sandbox.core import DEFAULT_TOKEN, SevdeskSandboxConfig, SevdeskState

__all__ = ["DEFAULT_TOKEN", "ServedSevdesk", "SevdeskSandboxConfig", "SevdeskState", "create_app", "serve_in_thread"]
