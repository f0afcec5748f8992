"""What every stage of the build shares: its errors and atomic file writes."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path


class BuildError(RuntimeError):
    """The build stopped; the message says why (chapter, cell and exception, or data problems)."""


class ChapterError(BuildError):
    """A cell of a chapter raised: the message names the chapter, the cell and the exception."""


def replace_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``target``, then rename it to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_if_changed(target: Path, content: bytes) -> None:
    """Write ``content`` (atomically) unless ``target`` already holds it: unchanged staged files
    keep their modification time, so Sphinx re-reads only what changed."""
    if target.is_file() and target.read_bytes() == content:
        return
    replace_atomically(target, lambda tmp: tmp.write_bytes(content))


def zip_bytes(members: Mapping[str, bytes]) -> bytes:
    """A zip that depends only on the members' names and bytes: members sorted by name, dated
    1980-01-01 00:00 (the zip epoch), mode 0644, deflate level 9, so two builds write the
    same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name], compresslevel=9)
    return buffer.getvalue()
