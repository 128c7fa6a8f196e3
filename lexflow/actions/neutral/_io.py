"""Input and list shapes shared by the neutral actions."""

from __future__ import annotations

from pydantic import Field

from lexflow.actions.io import Input, Output

MAX_LIMIT = 1000


class ById(Input):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$", description="The provider's id.")


class Limited(Input):
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT, description="At most this many, newest first.")


class Listed(Output):
    truncated: bool = Field(default=False, description="More matched than `limit`; narrow the filters.")
