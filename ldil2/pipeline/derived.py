"""What a build derives from the executed notebooks alone, remembered for the next build.

Each executed notebook's rows, values and files (:func:`read_products`, beside the notebook in
the cache), the results file of the first phase and of every document
(:func:`write_results_file`), the ARD files (:func:`remembered_ard_files`) and each staged page
(:func:`staged_pages`) are kept in ``<out>/cache`` (:func:`ldil2.pipeline.common.remembered`)
under a key of what they are made of: the code that derives them and the pins
(:func:`derivers_key`), the cached notebooks by name (:func:`notebooks_key`) and, for a page,
its chapter's text. A rebuild that reuses every notebook
reads none of them again, and a prose edit stages one page anew.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ldil2.pipeline.cache import (
    REQUIREMENTS_FILE,
    code_digest,
    file_stem,
    products_path,
    read_cached,
)
from ldil2.pipeline.common import memo_key, remembered, write_if_changed
from ldil2.pipeline.results import (
    RESULTS_FILE,
    Products,
    ard_files,
    book_values,
    notebook_products,
    results_text,
)
from ldil2.pipeline.stage import staged_page


class Chapter(Protocol):
    """A document of the build (:class:`ldil2.pipeline.build.ChapterJob`): its name
    (``chapters/primary``), its source and its cached executed notebook."""

    name: str
    md_path: Path
    cached: Path


# In <out>/cache, the memos of what the last build derived from the cached notebooks alone
# (ldil2.pipeline.common.remembered): the results file of the first phase and of every
# document, the ARD files, and a folder of the staged pages (one per document).
FIRST_RESULTS_MEMO = "results-first.pickle"
RESULTS_MEMO = "results-all.pickle"
ARD_MEMO = "ard-files.pickle"
STAGED_MEMOS = "staged"


def derivers_key(root: Path, graph: Any) -> str:
    """What every memo of the products derived from the executed notebooks depends on besides
    those notebooks: the files of ``ldil2`` that this module reaches (:func:`code_digest` in the
    import graph ``graph``: the results, staging and cache code among them) and the pins
    (``requirements.txt`` at ``root``: nbformat, Jupytext)."""
    pins = (root / REQUIREMENTS_FILE).read_text(encoding="utf-8")
    return memo_key(code_digest(__name__, graph), pins)


def notebooks_key(code: str, jobs: Iterable[Chapter]) -> str:
    """The memo key of a product of the executed notebooks of ``jobs`` alone: ``code``
    (:func:`derivers_key`) and each document's cached notebook, by name. A cached notebook's
    name holds its chapter key, and a build executes a chapter only into a name not in the
    cache, so one name stands for one executed notebook."""
    return memo_key(code, *sorted(f"{job.name}:{job.cached.name}" for job in jobs))


def read_products(jobs: Sequence[Chapter], products: dict[str, Products], code: str) -> None:
    """Add to ``products`` what the build takes from the executed notebook of each of ``jobs``
    (:func:`notebook_products`), remembered beside the notebook (:func:`products_path`) under
    ``code`` (:func:`derivers_key`): a reused chapter's notebook is not read again."""
    for job in jobs:
        products[job.name] = remembered(
            products_path(job.cached),
            code,
            lambda job=job: notebook_products(read_cached(job.cached), job.name),
        )


def write_results_file(
    products: dict[str, Products], jobs: Sequence[Chapter], stage: Path, memo: Path, code: str
) -> Path:
    """Write ``<stage>/results.json`` (:func:`results_text`: values and ARD rows) of the
    ``products`` of ``jobs`` (those in ``products``), remembered in ``memo`` under
    :func:`notebooks_key`; return its path."""
    done = [job for job in jobs if job.name in products]

    def text() -> str:
        rows = [row for name in sorted(products) for row in products[name].rows]
        return results_text(book_values(products), rows)

    results = stage / RESULTS_FILE
    write_if_changed(results, remembered(memo, notebooks_key(code, done), text).encode())
    return results


def remembered_ard_files(
    products: dict[str, Products], jobs: Sequence[Chapter], memo: Path, code: str
) -> dict[str, bytes]:
    """The ARD files (:func:`ard_files`) of the rows of every document in ``products`` (those of
    ``jobs``), remembered in ``memo`` under :func:`notebooks_key`."""
    rows = {name: products[name].rows for name in sorted(products)}
    return remembered(memo, notebooks_key(code, jobs), lambda: ard_files(rows))


def staged_pages(
    jobs: Sequence[Chapter], products: dict[str, Products], folder: Path, code: str
) -> dict[str, bytes]:
    """The staged page of each job (:func:`staged_page`), remembered per document in ``folder``
    under what it is made of: ``code`` (:func:`derivers_key`), the cached notebook (by name),
    the chapter's text (its markdown is staged) and whether it has ARD rows. A prose edit stages
    its one page anew; the memos of documents no longer in the toc are removed."""
    pages = {}
    for job in jobs:
        has_rows = bool(products[job.name].rows)
        text = job.md_path.read_text(encoding="utf-8")
        key = memo_key(code, job.cached.name, text, str(has_rows))
        pages[job.name] = remembered(
            folder / f"{file_stem(job.name)}.pickle",
            key,
            lambda job=job, has_rows=has_rows: staged_page(
                read_cached(job.cached), job.name, has_rows, job.md_path
            ),
        )
    kept = {f"{file_stem(job.name)}.pickle" for job in jobs}
    for memo in folder.glob("*.pickle"):
        if memo.name not in kept:
            memo.unlink()
    return pages
