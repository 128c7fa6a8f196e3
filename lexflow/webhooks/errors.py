"""The webhooks exception hierarchy: one base, and the one distinction the worker acts on."""

from __future__ import annotations

from lexflow.errors import LexflowError


class WebhookError(LexflowError):
    """Base class for webhook receiver, inbox and dispatch errors."""


class PermanentFailure(WebhookError):
    """Retrying cannot help (unknown deployment, unimportable callable, broken template): park the event at once."""


class PublicKeyError(WebhookError):
    """The webhook public key could not be loaded; the message names the source and the fix."""
