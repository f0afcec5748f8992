"""Executing one chapter on a warm kernel: parameters injected, tags set, failures named."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grimp
import nbformat
from papermill.parameterize import parameterize_notebook

from ldil2 import contract
from ldil2.pipeline.cache import code_files
from ldil2.pipeline.common import ChapterError, replace_atomically
from ldil2.pipeline.config import PARAMETERS_FILE, find_root, read_parameters
from ldil2.pipeline.kernels import KERNEL_NAME, CellError, WarmKernel, warm_modules
from ldil2.pipeline.results import glued_values
from ldil2.pipeline.toc import INJECTED_TAG, chapter_reads, read_chapter

PARAMETERS_TAG = "parameters"


HIDE_TAG = "remove-cell"


# One thread per BLAS/OpenMP pool in every kernel: the process pool is the parallelism.
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def tag_cell(cell: nbformat.NotebookNode, tag: str) -> None:
    """Add ``tag`` to a cell's tags (once)."""
    tags = cell.metadata.setdefault("tags", [])
    if tag not in tags:
        tags.append(tag)


def clean_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop execution timestamps (papermill, nbclient) so a notebook holds no wall-clock time."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)


def failure_message(md_path: Path, error: CellError, injected_at: int | None) -> str:
    """Chapter, cell (1-based, counted in the chapter source) and exception of a failed cell."""
    cell_index = error.cell_index
    if injected_at is not None and cell_index > injected_at:
        cell_index -= 1
    first_line = next((line for line in error.source.splitlines() if line.strip()), "")
    with contextlib.suppress(ValueError):
        md_path = md_path.resolve().relative_to(Path.cwd())
    return (
        f"chapter {md_path}: cell {cell_index + 1} ({first_line.strip()!r}) raised "
        f"{error.ename}: {error.evalue}"
    )


def chapter_modules(chapters: list[Path], graph: grimp.ImportGraph | None = None) -> list[str]:
    """The third-party modules the code of ``chapters`` (their sources) imports through the
    ``ldil2`` modules it reaches (:func:`code_files`, :func:`warm_modules`); ``graph`` is the
    import graph of ``ldil2``, built here when not given. A forked process must be given the
    list, not build the graph (grimp's threads do not survive a fork)."""
    files = {path for md in chapters for path in code_files(read_chapter(md), graph)}
    return warm_modules(sorted(files))


def execute_chapter(
    md_path: Path,
    params: dict[str, Any],
    out_ipynb: Path,
    cwd: Path | None = None,
    kernel: WarmKernel | None = None,
) -> nbformat.NotebookNode:
    """Execute one chapter and write the executed notebook.

    Parameters
    ----------
    md_path : the chapter's Jupytext MyST source
    params : injected as ``params`` after the cell tagged ``parameters`` (papermill's
        parameterisation); that cell and the injected one are tagged ``remove-cell`` so readers
        do not see them
    out_ipynb : written only if every cell succeeds (temporary file, then rename)
    cwd : working directory of the kernel; default the book root above ``md_path``
    kernel : a warm kernel started in ``cwd`` (it is reset first); default one started for this
        chapter and stopped after it

    Returns
    -------
    NotebookNode : the executed notebook, without execution timestamps

    Raises
    ------
    ChapterError : a cell raised; names chapter, cell number and exception
    KernelError : the kernel could not be started or reset
    """
    nb = read_chapter(md_path)
    injected_at = None
    for index, cell in enumerate(nb.cells):
        cell.metadata.setdefault("tags", [])  # papermill reads every cell's tags
        if PARAMETERS_TAG in cell.metadata.tags and injected_at is None:
            tag_cell(cell, HIDE_TAG)
            injected_at = index + 1  # papermill inserts its cell right after this one
    nb.metadata["papermill"] = {}  # where papermill records the parameters (dropped below)
    nb = parameterize_notebook(nb, {"params": params}, kernel_name=KERNEL_NAME, language="python")
    own = kernel is None
    if kernel is None:
        kernel = WarmKernel(cwd or find_root(md_path.parent), chapter_modules([md_path]))
    try:
        executed = kernel.execute(nb)
    except CellError as error:
        raise ChapterError(failure_message(md_path, error, injected_at)) from None
    finally:
        if own:
            kernel.shutdown()
    for cell in executed.cells:
        if INJECTED_TAG in cell.metadata.get("tags", []):
            tag_cell(cell, HIDE_TAG)
    clean_metadata(executed)
    replace_atomically(out_ipynb, lambda tmp: nbformat.write(executed, tmp))
    return executed


@dataclass(frozen=True)
class ExecutedChapter:
    """An executed chapter: its notebook and what it glued."""

    notebook: nbformat.NotebookNode
    glued: dict[str, str]


def chapter_params(
    root: Path,
    name: str,
    overrides: dict[str, Any] | None = None,
    params_file: Path | None = None,
) -> dict[str, Any]:
    """The parameters a build injects into chapter ``name`` (e.g. ``chapters/safety``).

    parameters.yml (or ``params_file``) updated with ``overrides``, plus ``tables``: the
    release tables the chapter declares.
    """
    md_path = root / f"{name}.md"
    params = read_parameters(params_file or root / PARAMETERS_FILE)
    params.update(overrides or {})
    reads = chapter_reads(read_chapter(md_path), md_path)
    params["tables"] = [t for t in contract.RELEASE_TABLES if t in reads]
    return params


def run_chapter(
    root: Path,
    name: str,
    out_dir: Path,
    overrides: dict[str, Any] | None = None,
) -> ExecutedChapter:
    """Execute chapter ``name`` of the book at ``root`` as the build would, into ``out_dir``.

    Parameters
    ----------
    root : book root (holds _toc.yml and parameters.yml)
    name : document name, e.g. ``chapters/safety``; a bare ``safety`` means ``chapters/safety``
    out_dir : where the executed notebook is written (``<stem>.ipynb``)
    overrides : parameters replacing those of parameters.yml (e.g. ``{"data_dir": tmp}``)
    """
    if "/" not in name and name != "index":
        name = f"chapters/{name}"
    md_path = root / f"{name}.md"
    params = chapter_params(root, name, overrides)
    out = out_dir / f"{Path(name).name}.ipynb"
    with thread_limits():
        nb = execute_chapter(md_path, params, out, cwd=root)
    return ExecutedChapter(notebook=nb, glued=glued_values(nb))


@contextlib.contextmanager
def thread_limits() -> Iterator[None]:
    env = kernel_env()
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def kernel_env() -> dict[str, str]:
    """Environment variables for executing chapters: one BLAS thread per kernel, and this
    environment's kernelspecs ahead of a user's own (``~/.local/share/jupyter``), so the kernel
    ``python3`` is this venv's python, never a system one. Entries already on JUPYTER_PATH stay
    first."""
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    paths.append(str(Path(sys.prefix) / "share" / "jupyter"))
    return {**THREAD_ENV, "JUPYTER_PATH": os.pathsep.join(paths)}
