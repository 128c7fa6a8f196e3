"""Errors raised by `lexflow.actions.run`. Each says what happened and what to do; none carries a secret."""

from __future__ import annotations

from lexflow.errors import LexflowError


class ActionError(LexflowError):
    """Base class of every error `run()` raises itself (Lexware errors from the client pass through unchanged)."""

    code = "action_error"


class UnknownAction(ActionError, KeyError):
    code = "unknown_action"

    def __init__(self, name: str, known: list[str]) -> None:
        import difflib

        close = difflib.get_close_matches(name, known, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else " `lexflow actions list` shows all actions."
        super().__init__(f"No action named {name!r}.{hint}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class InvalidInput(ActionError, ValueError):
    code = "invalid_input"


class PolicyDenied(ActionError, PermissionError):
    """The profile lacks the scope the action needs."""

    code = "denied"

    def __init__(self, action: str, scope: str, profile: str, why: str = "") -> None:
        self.action, self.scope, self.profile = action, scope, profile
        because = f" ({why})" if why else ""
        super().__init__(
            f"Action {action!r} needs scope {scope!r}{because}, which profile {profile!r} does not grant. "
            f"Add {scope!r} to the profile's scopes (or use a profile that has it)."
        )


class ApprovalRequired(ActionError, PermissionError):
    """The action is irreversible and the profile requires an approval reference before running it."""

    code = "approval_required"

    def __init__(self, action: str, profile: str, reason: str = "") -> None:
        self.action, self.profile = action, profile
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"Action {action!r} is irreversible and profile {profile!r} requires an approval{detail}. "
            "Ask a person to approve exactly this call (`lexflow approvals grant`, or Slack through an approval flow) "
            "and pass the reference as approval_ref."
        )


class ApprovalRefused(ApprovalRequired):
    """An approval reference was given but does not allow this call (unknown, not approved, other action or
    arguments, expired or already used)."""

    code = "approval_refused"

    def __init__(self, action: str, profile: str, reason: str) -> None:
        self.action, self.profile = action, profile
        PermissionError.__init__(
            self,
            f"Approval refused for {action!r} (profile {profile!r}): {reason}. Nothing was done. An approval is "
            "valid once, for one action with exactly the arguments that were approved (`lexflow approvals grant` "
            "or the approval flow creates one).",
        )
