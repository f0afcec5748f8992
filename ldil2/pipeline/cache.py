"""Cache keys of executed chapters, the cache of executed notebooks, and the data release as a
deterministic zip.

A chapter's key covers what its execution depends on and nothing else: its code cells (source
and metadata, never its markdown), its front matter, its parameters, the ``ldil2`` modules its
code imports followed through the import graph, the pins, and the data files it reads. A prose
edit therefore keeps the key, and the build stages the current markdown around the cached
outputs (:func:`ldil2.pipeline.stage.staged_notebook`).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import grimp
import nbformat

from ldil2 import contract
from ldil2.data import release as data
from ldil2.pipeline.common import BuildError, write_if_changed, zip_bytes
from ldil2.pipeline.toc import (
    BOOK_READS,
    CONCLUSIONS_READ,
    NEEDS_RESULTS,
    SNAPSHOTS_READ,
    read_chapter,
)

PACKAGE_DIR = Path(__file__).resolve().parents[1]


PACKAGE = PACKAGE_DIR.name


REQUIREMENTS_FILE = "requirements.txt"


# Bumped when what a cached notebook holds changes (e.g. how chapters are executed).
KEY_FORMAT = "ldil2-chapter-key-3"


# Parameters that locate files: they do not join a cache key (the files count by their bytes).
LOCATION_PARAMETERS = ("data_dir", NEEDS_RESULTS)


# Files of a release that every chapter reads whatever it declares (ldil2.data.load reads them).
ALWAYS_READ = (contract.SUBJECTS, contract.METADATA, contract.PUBLISHED)


# Executed notebooks kept per chapter (the most recently used; the oldest is evicted), so that
# reverting an edit finds the outputs of the earlier version.
ENTRIES_PER_CHAPTER = 4


def hash_files(digest: Any, label: str, paths: Iterable[Path]) -> None:
    for path in paths:
        digest.update(f"\0{label}:{path.name}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"(missing)")


def hash_package_files(digest: Any, paths: Iterable[Path]) -> None:
    for path in paths:
        digest.update(f"\0pkg:{path.relative_to(PACKAGE_DIR).as_posix()}\0".encode())
        digest.update(path.read_bytes())


def package_files() -> list[Path]:
    """Every file of the ``ldil2`` package (compiled caches excluded), in a fixed order."""
    return sorted(
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def imported_names(sources: Iterable[str]) -> set[str] | None:
    """The dotted names that code imports: ``import a.b`` gives ``a.b``; ``from a.b import c``
    gives ``a.b`` and ``a.b.c`` (the latter may be a module or a name; callers keep modules).
    Relative imports are left out.

    Returns
    -------
    set of dotted names, or None when some source does not parse as Python (an IPython magic)
    """
    found: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported_modules(sources: Iterable[str]) -> set[str] | None:
    """The names of ``ldil2`` that code imports (:func:`imported_names`); None when some source
    does not parse: the caller then assumes the whole package."""
    found = imported_names(sources)
    if found is None:
        return None
    return {name for name in found if name == PACKAGE or name.startswith(f"{PACKAGE}.")}


def module_file(module: str) -> Path:
    """The source file of a module of ``ldil2`` (``__init__.py`` for a package)."""
    path = PACKAGE_DIR.parent.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def reached_modules(direct: set[str], graph: grimp.ImportGraph) -> set[str]:
    """``direct`` and every module of ``ldil2`` they import, transitively (the import graph),
    with the packages that contain them (importing ``a.b.c`` runs ``a/__init__`` and
    ``a/b/__init__``). Names that are not modules (``from ldil2.book import CONSTANT``) drop."""
    modules = {name for name in direct if name in graph.modules}
    for name in list(modules):
        modules |= graph.find_upstream_modules(name)
    for name in list(modules):
        parts = name.split(".")
        modules.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return modules


def import_graph() -> grimp.ImportGraph:
    """The import graph of the ``ldil2`` package as it is on disk now (no cache)."""
    return grimp.build_graph(PACKAGE, cache_dir=None)


def code_files(nb: nbformat.NotebookNode, graph: grimp.ImportGraph | None = None) -> list[Path]:
    """The files of ``ldil2`` a chapter's code depends on: the modules it reaches
    (:func:`reached_modules`) and every file of the package that is not Python (data files and
    templates: any module may read them). If a code cell does not parse, every package file."""
    direct = imported_modules(cell.source for cell in code_cells(nb))
    if direct is None:
        return package_files()
    modules = reached_modules(direct, graph or import_graph())
    others = [p for p in package_files() if p.suffix != ".py"]
    return sorted({module_file(m) for m in modules} | set(others))


def code_fingerprint(nb: nbformat.NotebookNode) -> str:
    """JSON of what of a notebook is executed or shapes execution: its metadata (front matter,
    kernelspec) and its code cells (source and metadata); markdown cells are left out."""
    cells = [{"source": c.source, "metadata": c.metadata} for c in code_cells(nb)]
    return json.dumps({"metadata": nb.metadata, "cells": cells}, sort_keys=True, default=str)


def chapter_key(
    md_path: Path,
    params: dict[str, Any],
    data_dir: Path,
    reads: Iterable[str],
    root: Path,
    graph: grimp.ImportGraph | None = None,
) -> str:
    """sha256 of everything an executed chapter depends on.

    :data:`KEY_FORMAT`; the chapter's :func:`code_fingerprint` (front matter and code cells, not
    its markdown); the resolved parameters (JSON, sorted keys; ``data_dir`` and ``results`` left
    out: those files count by their bytes, wherever they are); the files of ``ldil2`` its code
    reaches (:func:`code_files`, by relative path and bytes; ``graph`` is the import graph, built
    here when not given); ``requirements.txt`` of the book root; the data files the chapter
    declares plus those every load reads (subjects.csv, metadata.yml, published.csv); the release
    snapshots ``releases/*.json`` when the chapter declares ``releases/``; the declared
    conclusions ``conclusions.yml`` when it declares that file; and the bytes of the
    results file when ``params`` holds ``results`` (a second-phase document).
    """
    nb = read_chapter(md_path)
    digest = hashlib.sha256(KEY_FORMAT.encode())
    digest.update(code_fingerprint(nb).encode())
    located = {k: v for k, v in params.items() if k not in LOCATION_PARAMETERS}
    digest.update(json.dumps(located, sort_keys=True, default=str).encode())
    hash_package_files(digest, code_files(nb, graph))
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


# The module whose ``load`` validates a release (ldil2.data.release).
RELEASE_CHECKER = "ldil2.data.release"


def release_check_key(zip_sha: str, root: Path, graph: grimp.ImportGraph) -> str:
    """sha256 of what the validation of a release depends on: the release itself (``zip_sha``,
    the SHA-256 of :func:`release_zip_bytes`: every file by name and bytes), the files of
    ``ldil2`` that :data:`RELEASE_CHECKER` reaches (the import graph ``graph``) and
    ``requirements.txt`` of the book root (pandera's version). Equal keys, equal verdicts."""
    digest = hashlib.sha256(f"ldil2-release-check-1\0{zip_sha}".encode())
    digest.update(code_digest(RELEASE_CHECKER, graph).encode())
    hash_files(digest, "pins", [root / REQUIREMENTS_FILE])
    return digest.hexdigest()


def code_digest(module: str, graph: grimp.ImportGraph) -> str:
    """sha256 of the files of ``ldil2`` that ``module`` reaches (:func:`reached_modules` in the
    import graph ``graph``), by relative path and bytes: what that module's results depend on
    of the package."""
    digest = hashlib.sha256()
    hash_package_files(digest, sorted(module_file(m) for m in reached_modules({module}, graph)))
    return digest.hexdigest()


CHECKED_FILE = "checked-release"
"""In the build's cache folder: the check key of the last release that passed."""


def checked_release(data_dir: Path, check_key: str, cache: Path) -> data.Release:
    """The release at ``data_dir``, validated by :func:`ldil2.data.release.load`, unless the
    file :data:`CHECKED_FILE` of the folder ``cache`` holds ``check_key``
    (:func:`release_check_key`): the same files passed under the same code before, and only the
    metadata is read (:func:`~ldil2.data.release.load_metadata`). A release that passes is
    recorded there.

    Raises
    ------
    BuildError : every problem of the release
    """
    stamp = cache / CHECKED_FILE
    try:
        if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == check_key:
            return data.load_metadata(data_dir)
        release = data.load(data_dir)
    except data.ReleaseError as error:
        count = len(error.problems)
        raise BuildError(f"data release {data_dir}: {count} problem(s)\n{error}") from None
    write_if_changed(stamp, f"{check_key}\n".encode())
    return release


def file_stem(name: str) -> str:
    """The stem of the cache files of document ``name``: ``chapters/primary`` ->
    ``chapters__primary``."""
    return name.replace("/", "__")


def cached_path(cache: Path, name: str, key: str) -> Path:
    """Where the executed notebook of document ``name`` with ``key`` is cached."""
    return cache / f"{file_stem(name)}.{key[:16]}.ipynb"


PRODUCTS_SUFFIX = ".products.pickle"


def products_path(cached: Path) -> Path:
    """Where the build keeps what it took from the cached notebook ``cached`` (its rows, values
    and files: :func:`ldil2.pipeline.results.notebook_products`), beside it; removed with it
    (:func:`evict`)."""
    return cached.with_name(cached.stem + PRODUCTS_SUFFIX)


def read_cached(path: Path) -> nbformat.NotebookNode:
    """A cached executed notebook, read by nbformat's v4 reader (multi-line texts rejoined)
    without validation: the build wrote it with nbformat (which validated it then), and
    validating again costs about 0.15 s per chapter on every build, prose edits included."""
    return nbformat.v4.reads(path.read_text(encoding="utf-8"))


def mark_used(path: Path) -> None:
    """Record that a cached notebook was used now (its modification time orders eviction)."""
    os.utime(path)


def evict(cache: Path, names: Iterable[str], keep: int = ENTRIES_PER_CHAPTER) -> list[Path]:
    """Remove all but the ``keep`` most recently used cached notebooks of each document in
    ``names``, and those of documents no longer in ``names``, each with its products
    (:func:`products_path`), and any products whose notebook is gone; return the notebooks
    removed."""
    groups: dict[str, list[Path]] = {}
    for path in cache.glob("*.ipynb"):
        groups.setdefault(path.name.rsplit(".", 2)[0], []).append(path)
    wanted = {file_stem(name) for name in names}
    removed = []
    for stem, paths in groups.items():
        paths.sort(key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
        removed += paths[keep:] if stem in wanted else paths
    for path in removed:
        path.unlink()
    for products in cache.glob(f"*{PRODUCTS_SUFFIX}"):
        notebook = products.with_name(products.name.removesuffix(PRODUCTS_SUFFIX) + ".ipynb")
        if not notebook.is_file():
            products.unlink()
    return removed


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
