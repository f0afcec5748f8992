"""What every stage of the build shares: its errors, atomic file writes and the memos that keep
what a build made for the next one."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


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


def memo_key(*parts: str) -> str:
    """sha256 of ``parts``, each closed by a NUL byte (so ``("ab", "c")`` and ``("a", "bc")``
    differ): the key of a memo (:func:`remembered`)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def remembered(memo: Path, key: str, make: Callable[[], T]) -> T:
    """``make()``, kept for the next build in the file ``memo`` under ``key``.

    When ``memo`` holds a value made under the same ``key``, that value is returned and
    ``make`` is not called; else ``make()`` is, and its value and ``key`` replace the memo
    (atomically: a killed build leaves the last whole memo, or none). A memo that cannot be read
    (missing, truncated, written by other code) counts as absent. The key must cover everything
    the value depends on (:func:`memo_key`). Memos are pickles, which only the build's own
    cache folder holds: a memo is never read from anywhere else.
    """
    unreadable = (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError)
    with contextlib.suppress(*unreadable, ValueError):
        stored_key, value = pickle.loads(memo.read_bytes())
        if stored_key == key:
            return value
    value = make()
    data = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
    replace_atomically(memo, lambda tmp: tmp.write_bytes(data))
    return value
