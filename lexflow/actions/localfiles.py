"""Local files that actions touch, confined to two folders: they read only from the inbox (`LEXFLOW_INBOX_DIR`)
and write only into the export folder (`LEXFLOW_EXPORT_DIR`).

Paths are resolved with symlinks and `..` followed before the check, the final component is opened with
O_NOFOLLOW, an existing file is replaced only when asked (`overwrite`), and sizes are checked on the open file
(`fstat`, then a bounded read), so a 300 MB file is refused without reading it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from lexflow.errors import LexflowError

#: The Lexware upload limit (files and vouchers), also the most an action reads from the inbox.
MAX_FILE_BYTES = 5 * 1024 * 1024
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class LocalFileError(LexflowError, ValueError):
    """A local path outside its folder, missing, too large or already there; the message says what to do."""


def inbox_dir() -> Path:
    from lexflow.settings import get_settings

    return Path(get_settings().inbox_dir).expanduser().resolve()


def export_dir() -> Path:
    from lexflow.settings import get_settings

    return Path(get_settings().export_dir).expanduser().resolve()


def _inside(base: Path, given: str, what: str, env: str) -> Path:
    if "\x00" in given:
        raise LocalFileError(f"{what} {given!r} contains a NUL character")
    p = Path(given).expanduser()
    resolved = (p if p.is_absolute() else base / p).resolve()
    if not resolved.is_relative_to(base):
        raise LocalFileError(
            f"{what} {given!r} is outside the {'inbox' if what == 'path' else 'export folder'} {base} (symlinks and "
            f"'..' are followed first); give a name inside it or set {env}"
        )
    return resolved


def inbox_path(given: str) -> Path:
    """`given` (relative to the inbox, or absolute) as a path inside the inbox, or `LocalFileError`."""
    return _inside(inbox_dir(), given, "path", "LEXFLOW_INBOX_DIR")


def read_inbox_file(given: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file in the inbox, at most `limit` of them (checked before reading)."""
    target = inbox_path(given)
    try:
        fd = os.open(target, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise LocalFileError(f"path {given!r}: no such file in the inbox {inbox_dir()}") from None
    except OSError as exc:
        raise LocalFileError(f"path {given!r}: cannot be opened ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise LocalFileError(f"path {given!r} is not a regular file")
    if info.st_size > limit:
        os.close(fd)
        raise LocalFileError(f"path {given!r} is {info.st_size} bytes; at most {limit} bytes (5 MiB) are accepted")
    with os.fdopen(fd, "rb") as f:
        content = f.read(limit + 1)  # the file may have grown since fstat
    if len(content) > limit:
        raise LocalFileError(f"path {given!r} is larger than {limit} bytes (5 MiB); at most that is accepted")
    return content


def export_target(given: str, filename: str | None = None) -> Path:
    """Where `save_to` = `given` writes inside the export folder: a folder (existing, or ending in '/') gets
    `filename`. The folder part is resolved; the last component must not be a symlink."""
    base = export_dir()
    p = Path(given).expanduser()
    candidate = p if p.is_absolute() else base / p
    if given.endswith(("/", os.sep)) or given in ("", ".") or candidate.resolve().is_dir():
        name = Path(filename or "document").name or "document"
        candidate = candidate / name
    parent = _inside(base, str(candidate.parent), "save_to", "LEXFLOW_EXPORT_DIR")
    if candidate.name in ("", ".", ".."):
        raise LocalFileError(f"save_to {given!r} names no file")
    target = parent / candidate.name
    if target.is_symlink():
        raise LocalFileError(f"save_to {given!r} is a symbolic link; lexflow does not write through links")
    return target


def write_export_file(given: str, content: bytes, *, filename: str | None, overwrite: bool) -> Path:
    """Write `content` to `export_target(given, filename)`; an existing file only with `overwrite` (atomically)."""
    target = export_target(given, filename)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        except FileExistsError:
            raise LocalFileError(
                f"save_to: {target} exists already; set overwrite=true to replace it, or choose another name"
            ) from None
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        return target
    if target.is_dir():
        raise LocalFileError(f"save_to: {target} is a folder")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, target)  # replaces a file (or a link itself), never writes through a link
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
