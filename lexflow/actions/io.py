"""Shared input/output building blocks for action schemas (ids, paging, files)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lexflow.actions.errors import InvalidInput
from lexflow.actions.localfiles import (
    MAX_FILE_BYTES,
    LocalFileError,
    export_target,
    inbox_path,
    read_inbox_file,
    write_export_file,
)

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
EXAMPLE_ID = "5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f"


class Input(BaseModel):
    """Base of every action input: unknown fields are refused so typos surface instead of being ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Output(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


#: base64 of at most 5 MiB (4 characters per 3 bytes): longer inline content is refused before it is decoded.
MAX_BASE64_CHARS = 4 * ((MAX_FILE_BYTES + 2) // 3)


class FileContent(Input):
    """A file given inline (base64) or as a path inside the inbox folder (`LEXFLOW_INBOX_DIR`); at most 5 MiB."""

    filename: str = Field(min_length=1, description="File name with extension (pdf, jpg, png, xml).")
    content_base64: str | None = Field(
        default=None, max_length=MAX_BASE64_CHARS, description="File bytes, base64-encoded (at most 5 MiB)."
    )
    path: str | None = Field(
        default=None,
        description="A file in the inbox folder (LEXFLOW_INBOX_DIR; relative to it, or absolute inside it) to read "
        "instead of content_base64. Nothing outside the inbox is read.",
    )

    @field_validator("path")
    @classmethod
    def _in_inbox(cls, value: str | None) -> str | None:
        if value is not None:
            inbox_path(value)  # LocalFileError is a ValueError: pydantic names the field
        return value

    @model_validator(mode="after")
    def _one_source(self) -> FileContent:
        if bool(self.content_base64) == bool(self.path):
            raise ValueError("give exactly one of content_base64 or path")
        return self

    def read(self) -> bytes:
        if self.path:
            try:
                return read_inbox_file(self.path)
            except LocalFileError as exc:
                raise InvalidInput(str(exc)) from None
        return base64.b64decode(self.content_base64 or "", validate=True)


class SavesFile(Input):
    """A download that can also be written to a local file, inside the export folder only."""

    save_to: str | None = Field(
        default=None,
        description="Also write the file to this name or folder inside the export folder (LEXFLOW_EXPORT_DIR). "
        "Writing a local file needs scope local_files:write (the read-only default profile lacks it).",
    )
    overwrite: bool = Field(default=False, description="Replace an existing file at save_to (default: refuse).")
    include_content: bool = Field(default=False, description="Return the bytes base64-encoded in the result.")

    @field_validator("save_to")
    @classmethod
    def _in_export(cls, value: str | None) -> str | None:
        if value is not None:
            export_target(value)  # refused here, before anything is downloaded
        return value

    @model_validator(mode="after")
    def _no_silent_overwrite(self) -> SavesFile:
        if self.save_to and not self.overwrite:
            target = export_target(self.save_to)
            if target.exists() and target.name != "document":  # a folder's file name is known after the download
                raise ValueError(f"save_to: {target} exists already; set overwrite=true to replace it")
        return self


def writes_local_file(data: BaseModel) -> bool:
    """Does this input write a local file? (Then it is a `write` that needs scope `local_files:write`.)"""
    return isinstance(data, SavesFile) and bool(data.save_to)


class FileOutput(Output):
    """A downloaded file: metadata always, bytes only when asked for (agents rarely want a base64 PDF)."""

    filename: str | None = None
    media_type: str
    size: int
    sha256: str
    saved_to: str | None = None
    content_base64: str | None = None

    @classmethod
    def from_download(cls, download: Any, request: SavesFile) -> FileOutput:
        content: bytes = download.content
        filename = getattr(download, "filename", None)
        saved = None
        if request.save_to:
            try:
                target = write_export_file(request.save_to, content, filename=filename, overwrite=request.overwrite)
            except LocalFileError as exc:
                raise InvalidInput(str(exc)) from None
            saved = str(target)
        return cls(
            filename=filename,
            media_type=getattr(download, "media_type", "application/octet-stream"),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            saved_to=saved,
            content_base64=base64.b64encode(content).decode() if request.include_content else None,
        )
