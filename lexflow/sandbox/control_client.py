"""Old path of the sandbox's control-API client: it lives in `lexflow.testing.sandbox_control` now (kept so existing
imports work while the parallel branches land)."""

from lexflow.testing.sandbox_control import SandboxControl, SandboxControlError

__all__ = ["SandboxControl", "SandboxControlError"]
