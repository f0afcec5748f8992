"""Cache keys of executed chapters, and the data release as a deterministic zip."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ldil2 import contract
from ldil2.pipeline.common import zip_bytes
from ldil2.pipeline.toc import BOOK_READS, CONCLUSIONS_READ, NEEDS_RESULTS, SNAPSHOTS_READ

PACKAGE_DIR = Path(__file__).resolve().parents[1]


REQUIREMENTS_FILE = "requirements.txt"


# Parameters that locate files: they do not join a cache key (the files count by their bytes).
LOCATION_PARAMETERS = ("data_dir", NEEDS_RESULTS)


# Files of a release that every chapter reads whatever it declares (ldil2.data.load reads them).
ALWAYS_READ = (contract.SUBJECTS, contract.METADATA, contract.PUBLISHED)


def hash_files(digest: Any, label: str, paths: Iterable[Path]) -> None:
    for path in paths:
        digest.update(f"\0{label}:{path.name}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"(missing)")


def package_files() -> list[Path]:
    """Every file of the ``ldil2`` package (compiled caches excluded), in a fixed order."""
    return sorted(
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def chapter_key(
    md_path: Path, params: dict[str, Any], data_dir: Path, reads: Iterable[str], root: Path
) -> str:
    """sha256 of everything an executed chapter depends on.

    The chapter source, the resolved parameters (JSON, sorted keys; ``data_dir`` left out: the
    data files count by their bytes, wherever they are), every file of the ``ldil2``
    package (relative path and bytes), ``requirements.txt`` of the book root, the data files the
    chapter declares plus those every load reads (subjects.csv, metadata.yml, published.csv),
    the release snapshots ``releases/*.json`` when the chapter declares ``releases/``, the
    declared conclusions ``conclusions.yml`` when it declares that file, and the
    bytes of the results file when ``params`` holds ``results`` (a second-phase document).
    """
    digest = hashlib.sha256()
    digest.update(md_path.read_bytes())
    located = {k: v for k, v in params.items() if k not in LOCATION_PARAMETERS}
    digest.update(json.dumps(located, sort_keys=True, default=str).encode())
    for path in package_files():
        digest.update(f"\0pkg:{path.relative_to(PACKAGE_DIR).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    hash_files(digest, "pins", [root / REQUIREMENTS_FILE])
    data_files = sorted((set(reads) | set(ALWAYS_READ)) - set(BOOK_READS))
    hash_files(digest, "data", [data_dir / name for name in data_files])
    if SNAPSHOTS_READ in reads:
        hash_files(digest, "snapshot", sorted((root / SNAPSHOTS_READ).glob("*.json")))
    if CONCLUSIONS_READ in reads:
        hash_files(digest, "conclusions", [root / CONCLUSIONS_READ])
    if NEEDS_RESULTS in params:
        hash_files(digest, "results", [Path(params[NEEDS_RESULTS])])
    return digest.hexdigest()


def release_files(data_dir: Path) -> list[Path]:
    """The files of a data release: every non-hidden file under ``data_dir``, sorted."""
    return sorted(
        p
        for p in data_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(data_dir).parts)
    )


def release_zip_bytes(data_dir: Path) -> bytes:
    """The data release as a zip that depends only on the files' names and bytes.

    Members are sorted, dated 1980-01-01 00:00 (the zip epoch), mode 0644, deflate level 9.
    """
    return zip_bytes(
        {p.relative_to(data_dir).as_posix(): p.read_bytes() for p in release_files(data_dir)}
    )
