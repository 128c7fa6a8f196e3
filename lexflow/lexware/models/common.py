"""Envelopes shared by all resources: action results, pages, files."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import ConfigDict, Field

from lexflow.lexware.models._base import ApiModel

T = TypeVar("T")


class ActionResult(ApiModel):
    """Answer of POST/PUT (docs/lexware.md#action-results): the id, version and resource URI of what was written."""

    id: str
    resource_uri: str | None = None
    created_date: str | None = None
    updated_date: str | None = None
    version: int | None = None


class SortOrder(ApiModel):
    property: str | None = None
    direction: str | None = None


class Page(ApiModel, Generic[T]):
    """A page of a paged list (docs/lexware.md#paging). `totalElements` is capped at 10,000 by the API."""

    content: list[T] = Field(default_factory=list)
    first: bool = True
    last: bool = True
    total_pages: int = 0
    total_elements: int = 0
    number_of_elements: int = 0
    size: int = 0
    number: int = 0
    sort: list[SortOrder] | None = None


class FileUpload(ApiModel):
    """Answer of a file upload (202): the file id and, for `/v1/files`, the voucher created for it."""

    id: str
    voucher_id: str | None = None


class FileDownload(ApiModel):
    """Downloaded bytes with their media type and the server's filename."""

    model_config = ConfigDict(extra="ignore")

    content: bytes
    media_type: str
    filename: str | None = None

    def save(self, path: Any) -> Any:
        """Write the bytes to `path` (a file, or a directory to use the server's filename) and return the path."""
        from pathlib import Path

        target = Path(path)
        if target.is_dir():
            target = target / (self.filename or "download")
        target.write_bytes(self.content)
        return target
