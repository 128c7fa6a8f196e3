"""Shared input/output building blocks for action schemas (ids, paging, files)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
EXAMPLE_ID = "5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f"


class Input(BaseModel):
    """Base of every action input: unknown fields are refused so typos surface instead of being ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Output(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


def lexware_id(description: str = "Lexware resource id (UUID).") -> Any:
    return Field(pattern=UUID_PATTERN, description=description, examples=[EXAMPLE_ID])


class FileContent(Input):
    """A file given inline (base64) or as a local path (CLI and flows; an MCP client should send base64)."""

    filename: str = Field(min_length=1, description="File name with extension (pdf, jpg, png, xml).")
    content_base64: str | None = Field(default=None, description="File bytes, base64-encoded.")
    path: str | None = Field(default=None, description="Local file path to read instead of content_base64.")

    @model_validator(mode="after")
    def _one_source(self) -> FileContent:
        if bool(self.content_base64) == bool(self.path):
            raise ValueError("give exactly one of content_base64 or path")
        return self

    def read(self) -> bytes:
        if self.path:
            return Path(self.path).expanduser().read_bytes()
        return base64.b64decode(self.content_base64 or "", validate=True)


class FileOutput(Output):
    """A downloaded file: metadata always, bytes only when asked for (agents rarely want a base64 PDF)."""

    filename: str | None = None
    media_type: str
    size: int
    sha256: str
    saved_to: str | None = None
    content_base64: str | None = None

    @classmethod
    def from_download(cls, download: Any, save_to: str | None, include_content: bool) -> FileOutput:
        content: bytes = download.content
        saved = None
        if save_to:
            target = Path(save_to).expanduser()
            if target.is_dir():
                target = target / (download.filename or "document")
            target.write_bytes(content)
            saved = str(target)
        return cls(
            filename=getattr(download, "filename", None),
            media_type=getattr(download, "media_type", "application/octet-stream"),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            saved_to=saved,
            content_base64=base64.b64encode(content).decode() if include_content else None,
        )
