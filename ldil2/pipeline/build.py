"""The book build: ``python -m ldil2 build`` (and ``make book``).

1. Validate the data release; stop with its problems if it breaks the contract (a release that
   passed is not validated again under the same code: :func:`release_check_key`).
2. Execute every document of ``_toc.yml`` (a Jupytext MyST notebook) in a process pool, each
   worker running one warm kernel (:mod:`ldil2.pipeline.kernels`: started and given the heavy
   imports once, reset before each document); reuse an executed notebook from the cache when its
   key (:func:`chapter_key`: code cells, parameters, the ``ldil2`` modules the code reaches, pins,
   data read; not the markdown) is one of the cached ones (a few per document, the least
   recently used evicted). No kernel starts when every document is reused. Documents whose
   front matter declares ``ldil2: needs: [results]`` run in a second phase, after every other
   document has executed or been reused: the build writes every value glued by the first phase to
   ``<stage>/results.json`` (values and ARD rows, :func:`results_text`) and injects its path
   as the parameter ``results``; the file's bytes join their cache key, so they re-execute
   exactly when some first-phase value changed.
3. Collect the analysis-results dataset: the ARD rows every document recorded.

   What derives from the executed notebooks alone (each one's rows, values and files, the
   results files, the ARD files, each staged page) is remembered in ``<out>/cache`` under a key
   of what it is made of (:mod:`ldil2.pipeline.derived`): a rebuild that reuses
   every notebook reads none of them again, and a prose edit stages one page anew.
4. Stage a book tree (the executed ``.ipynb`` in place of each ``.md``, with the chapter's
   current markdown around the cached outputs and a link to its results as CSV, the edition's
   ``_config.yml`` with the data-release notice, the data release as a zip,
   the ARD files) and build it with ``jupyter-book build -W -n`` (strict, execution off) into a
   work folder.
5. Copy the site to a new folder and swap it into ``<out>/html``: the last good site is untouched
   by any failure. Write ``<out>/results/ard.csv`` and ``ard.json``, and ``<out>/report.json``.

Every file the build writes (cached notebook, staged file, site) is written to a temporary name
and renamed on success, so a failed or killed build leaves nothing half-written.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import multiprocessing
import multiprocessing.util
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ldil2 import contract
from ldil2.pipeline.cache import (
    cached_path,
    chapter_key,
    checked_release,
    evict,
    import_graph,
    mark_used,
    products_path,
    release_check_key,
    release_zip_bytes,
)
from ldil2.pipeline.common import (
    BuildError,
    ChapterError,
    replace_atomically,
    write_if_changed,
)
from ldil2.pipeline.config import read_parameters
from ldil2.pipeline.derived import (
    ARD_MEMO,
    FIRST_RESULTS_MEMO,
    RESULTS_MEMO,
    STAGED_MEMOS,
    derivers_key,
    read_products,
    remembered_ard_files,
    staged_pages,
    write_results_file,
)
from ldil2.pipeline.edition import (
    EDITION_FILE,
    UNPUBLISHED_VERSIONS,
    VERSIONS_FILE,
    book_edition,
)
from ldil2.pipeline.execute import chapter_modules, execute_chapter, kernel_env
from ldil2.pipeline.kernels import WarmKernel, claim_standing_kernel
from ldil2.pipeline.results import (
    Products,
    book_files,
    tlf_files,
)
from ldil2.pipeline.schedule import last_seconds, longest_first
from ldil2.pipeline.stage import (
    SITE_KEY_FILE,
    edition_config,
    jupyter_book,
    recover,
    stage_book,
    swap_site,
)
from ldil2.pipeline.toc import (
    NEEDS_RESULTS,
    chapter_needs,
    chapter_reads,
    parse_overrides,
    read_chapter,
    recall_parsed,
    remember_parsed,
    toc_documents,
)

PARSED_FILE = "parsed-chapters.json"  # in <out>/cache: the chapters as the last build parsed them


@dataclass
class ChapterJob:
    """One document of the toc: where it comes from, what it is injected with, what it reads,
    whether it runs in the second phase (``needs: [results]``), its cache key and cached
    notebook (set by :func:`_locate`)."""

    name: str
    md_path: Path
    params: dict[str, Any]
    reads: tuple[str, ...]
    second_phase: bool
    key: str = ""
    cached: Path = Path()
    status: str = "pending"
    seconds: float = 0.0
    started_kernel: bool = False


@dataclass
class BuildReport:
    """What ``<out>/report.json`` records."""

    chapters: dict[str, dict[str, Any]] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    status: str = "failed"
    error: str | None = None

    def write(self, path: Path) -> None:
        text = json.dumps(self.__dict__, indent=2, sort_keys=True, default=str) + "\n"
        replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


FITS_DIR = "fits"
"""Folder of ``<out>`` where the executing chapters of a build keep the models they fit for
each other (:func:`ldil2.stats.fits.shared_fit`); it exists while they execute."""

# The worker's warm kernel and what it is started with (set by _init_worker, in each worker).
_WORKER: dict[str, Any] = {}


def _init_worker(kernel_log: Path, root: Path, modules: list[str], fits: Path) -> None:
    """Process-pool initializer: the kernel environment (:func:`kernel_env`, and the build's fit
    store ``fits`` under :data:`ldil2.contract.FIT_STORE_ENV`; the kernels inherit it), the
    kernels' own chatter (standard error) goes to ``kernel_log``, not the progress lines; the
    worker's kernel starts with its first chapter (:func:`_worker_kernel`)."""
    os.environ.update(kernel_env())
    os.environ[contract.FIT_STORE_ENV] = str(fits)
    fd = os.open(kernel_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, sys.stderr.fileno())
    os.close(fd)
    _WORKER.clear()
    _WORKER.update(root=root, modules=modules)


def _worker_kernel() -> tuple[WarmKernel, bool]:
    """The worker's warm kernel and whether this call started it: on first use, a standing
    kernel of ``serve`` when one is free (:func:`claim_standing_kernel`: no kernel started),
    else one started here with the imports of every chapter to run (:func:`chapter_modules`);
    disconnected or stopped when the worker exits."""
    if "kernel" in _WORKER:
        return _WORKER["kernel"], False
    claimed = claim_standing_kernel()
    if claimed is not None:
        kernel, _WORKER["standing_lock"] = claimed
    else:
        kernel = WarmKernel(_WORKER["root"], _WORKER["modules"])
    multiprocessing.util.Finalize(kernel, kernel.shutdown, exitpriority=10)
    _WORKER["kernel"] = kernel
    return kernel, claimed is None


def progress(line: str) -> None:
    """Write one progress line, its newline included, in one write, flushed: the workers write
    theirs to the same output. ``print`` writes the text and the newline apart, and an unbuffered
    worker's two writes let another process's line in between ("[start   ] beta.md[executed]
    index" seen in CI)."""
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def _execute_job(
    md_path: Path, params: dict[str, Any], cached: Path, cwd: Path
) -> tuple[float, bool]:
    """Worker: execute one chapter into the cache on the worker's warm kernel; return its wall
    time in seconds and whether a kernel was started for it."""
    start = time.perf_counter()
    progress(f"[start   ] {md_path.relative_to(cwd)}")
    kernel, started = _worker_kernel()
    execute_chapter(md_path, params, cached, cwd=cwd, kernel=kernel)
    return time.perf_counter() - start, started


def _plan(
    root: Path, params: dict[str, Any], data_dir: Path, cache: Path, graph: Any
) -> list[ChapterJob]:
    """One job per toc document; the first-phase jobs located in the cache (the second-phase
    ones are located by :func:`_locate_second_phase`, once the results file exists). ``graph``
    is the import graph of ``ldil2`` (:func:`import_graph`), built once per build."""
    jobs = []
    for name in toc_documents(root):
        md_path = root / f"{name}.md"
        nb = read_chapter(md_path)
        reads = chapter_reads(nb, md_path)
        chapter = dict(params, tables=[t for t in contract.RELEASE_TABLES if t in reads])
        second = NEEDS_RESULTS in chapter_needs(nb, md_path)
        job = ChapterJob(name, md_path, chapter, reads, second)
        if not second:
            _locate(job, data_dir, root, cache, graph)
        jobs.append(job)
    return jobs


def _locate(job: ChapterJob, data_dir: Path, root: Path, cache: Path, graph: Any) -> None:
    """Set the job's cache key and the path of its cached notebook."""
    job.key = chapter_key(job.md_path, job.params, data_dir, job.reads, root, graph)
    job.cached = cached_path(cache, job.name, job.key)


def _locate_second_phase(
    jobs: list[ChapterJob],
    products: dict[str, Products],
    stage: Path,
    memo: Path,
    code: str,
    locate: Callable[[ChapterJob], None],
) -> None:
    """Write the results file of the first phase's ``products`` (:func:`write_results_file`),
    inject its path as ``results`` into the second-phase jobs and ``locate`` them."""
    results = write_results_file(products, jobs, stage, memo, code)
    for job in jobs:
        if job.second_phase:
            job.params[NEEDS_RESULTS] = str(results)
            locate(job)


class _KernelPool:
    """The process pool of warm kernels (one per worker), shared by both phases and started on
    first use only: a build that reuses every document starts no kernel.

    ``size`` workers; each warms its kernel up with the imports of ``chapters`` (the documents
    that may execute, :func:`chapter_modules` over ``graph``, the import graph of ``ldil2``).
    The chapters share the models they fit through the folder ``fits``, emptied here (a store
    lives for one build: its keys do not cover the code).
    """

    def __init__(
        self,
        root: Path,
        size: int,
        kernel_log: Path,
        chapters: list[Path],
        graph: Any,
        fits: Path,
    ) -> None:
        self.root, self.size, self.kernel_log = root, size, kernel_log
        self.chapters, self.graph, self.fits = chapters, graph, fits
        shutil.rmtree(fits, ignore_errors=True)
        self.executor: concurrent.futures.ProcessPoolExecutor | None = None

    def submit(self, job: ChapterJob) -> concurrent.futures.Future:
        if self.executor is None:
            modules = chapter_modules(self.chapters, self.graph)
            self.fits.mkdir(parents=True)
            self.executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.size,
                mp_context=multiprocessing.get_context("fork"),  # the parent runs no kernel
                initializer=_init_worker,
                initargs=(self.kernel_log, self.root, modules, self.fits),
            )
        return self.executor.submit(_execute_job, job.md_path, job.params, job.cached, self.root)

    def shutdown(self, cancel: bool = False) -> None:
        """Wait for the running chapters (they finish and are cached); with ``cancel``, the
        queued ones never start."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=cancel)
        shutil.rmtree(self.fits, ignore_errors=True)


def _execute(
    jobs: list[ChapterJob],
    pool: _KernelPool,
    log: Callable[[str], None],
    seconds: dict[str, float],
) -> None:
    """Execute the chapters not in the cache on ``pool``, in parallel, the longest first
    (:func:`longest_first` by ``seconds``); stop at the first failure."""
    todo = []
    for job in jobs:
        if job.cached.is_file():
            mark_used(job.cached)
            job.status = "reused"
            log(f"[reused  ] {job.name}")
        else:
            products_path(job.cached).unlink(missing_ok=True)  # of a notebook evicted by hand
            todo.append(job)
    if not todo:
        return
    futures = {pool.submit(job): job for job in longest_first(todo, seconds)}
    failure = None
    for future in concurrent.futures.as_completed(futures):
        job = futures[future]
        try:
            job.seconds, job.started_kernel = future.result()
        except Exception as error:  # any failure (a dead kernel too) stops the build
            if not isinstance(error, ChapterError):
                error = ChapterError(f"chapter {job.name}: {type(error).__name__}: {error}")
            job.status = "failed"
            failure = error
            log(f"[failed  ] {job.name}")
            # chapters already running finish (and are cached); the others never start
            pool.shutdown(cancel=True)
            break
        job.status = "executed"
        log(f"[executed] {job.name} in {job.seconds:.1f} s")
    for future, job in futures.items():
        if job.status == "pending" and future.done() and not future.cancelled():
            if future.exception() is None:
                job.status = "executed"
                job.seconds, job.started_kernel = future.result()
    if failure is not None:
        raise failure


def build_book(
    root: Path,
    params: dict[str, Any],
    out: Path,
    jobs: int,
    log: Callable[[str], None] = progress,
) -> BuildReport:
    """Build the book at ``root`` with ``params`` into ``out`` (see the module docstring).

    Returns
    -------
    BuildReport : also written to ``<out>/report.json`` whether the build succeeds or not

    Raises
    ------
    BuildError : invalid data release, missing chapter source, failed cell (ChapterError) or a
        jupyter-book warning; ``<out>/html`` is then untouched
    """
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        return _build_locked(root, params, out, jobs, log, started)


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One build at a time per output folder (the lock dies with its process, even on SIGKILL).

    Raises
    ------
    BuildError : another build holds the lock
    """

    with open(out / ".lock", "w", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another build is running in {out}") from None
        yield


def _build_locked(
    root: Path,
    params: dict[str, Any],
    out: Path,
    jobs: int,
    log: Callable[[str], None],
    started: float,
) -> BuildReport:
    recover(out)
    seconds = last_seconds(out / "report.json")  # read before this build's report replaces it
    report = BuildReport(parameters=dict(params))
    try:
        data_dir = Path(params.get("data_dir", "data"))
        data_dir = data_dir if data_dir.is_absolute() else root / data_dir
        zip_bytes = release_zip_bytes(data_dir)
        zip_sha = hashlib.sha256(zip_bytes).hexdigest()
        graph = import_graph()
        release = checked_release(data_dir, release_check_key(zip_sha, root, graph), out / "cache")
        version = str(release.version)
        report.data = {
            "version": version,
            "provenance": release.provenance,
            "directory": str(params.get("data_dir", "data")),
        }
        zip_name = f"data-release-{version}.zip"
        report.data.update(zip=zip_name, sha256=zip_sha)
        edition = book_edition(root, release.metadata, zip_sha)  # bad edition facts stop here
        recall_parsed(out / "cache" / PARSED_FILE)
        plan = _plan(root, params, data_dir, out / "cache", graph)
        kernels = out / "kernels.log"
        kernels.write_text("", encoding="utf-8")
        executing = time.perf_counter()
        # the kernels warm up for the first-phase chapters to execute (or, if none, for the
        # second phase): a second-phase chapter may well be reused, and its imports (the
        # pipeline's) would slow down the warm-up of a build that executes one chapter
        todo = [j for j in plan if not j.second_phase and not j.cached.is_file()]
        second = [j for j in plan if j.second_phase]
        size = max(1, min(jobs, len(todo) + len(second)))
        chapters = [j.md_path for j in todo or second]
        pool = _KernelPool(root, size, kernels, chapters, graph, out / FITS_DIR)
        products: dict[str, Products] = {}
        cache = out / "cache"
        code = derivers_key(root, graph)

        def locate(job: ChapterJob) -> None:
            _locate(job, data_dir, root, cache, graph)

        try:
            first = [j for j in plan if not j.second_phase]
            _execute(first, pool, log, seconds)
            read_products(first, products, code)
            stage = out / "stage"
            _locate_second_phase(plan, products, stage, cache / FIRST_RESULTS_MEMO, code, locate)
            _execute(second, pool, log, seconds)
            read_products(second, products, code)
            # every document's values and rows (the landing page's conclusions_line too), for
            # publishing and the release snapshot; the next build rewrites the file from the
            # first phase before it locates the second, so their cache keys do not see this
            write_results_file(products, plan, stage, cache / RESULTS_MEMO, code)
        finally:
            pool.shutdown()
            report.chapters = {
                job.name: {"status": job.status, "seconds": round(job.seconds, 2), "key": job.key}
                for job in plan
            }
        execution_seconds = time.perf_counter() - executing
        evict(cache, [job.name for job in plan])
        remember_parsed(cache / PARSED_FILE, [job.md_path for job in plan])
        results = remembered_ard_files(products, plan, cache / ARD_MEMO, code)
        files = tlf_files(book_files(products), version)
        staged = staged_pages(plan, products, cache / STAGED_MEMOS, code)
        config = edition_config(root, version, release.is_simulated, zip_name, zip_sha, edition)
        downloads = {
            zip_name: zip_bytes,
            EDITION_FILE: edition.to_json().encode(),
            VERSIONS_FILE: UNPUBLISHED_VERSIONS.encode(),
            **results,
            **files,
        }
        site_key = stage_book(root, out / "stage", staged, config, downloads)
        site_file = out / "html" / SITE_KEY_FILE
        book_seconds = 0.0
        if site_file.is_file() and site_file.read_text(encoding="utf-8").strip() == site_key:
            log("[site    ] unchanged: jupyter-book not run")
        else:
            booking = time.perf_counter()
            work = out / "work"
            (work / ".complete").unlink(missing_ok=True)
            try:
                jupyter_book(out / "stage", work)
            except BuildError:
                shutil.rmtree(work, ignore_errors=True)
                raise
            (work / ".complete").touch()
            swap_site(work / "_build" / "html", out, site_key)
            book_seconds = time.perf_counter() - booking
            log(f"[site    ] jupyter-book build in {book_seconds:.1f} s")
        for relative, content in results.items():
            write_if_changed(out / relative, content)
        statuses = [job.status for job in plan]
        report.data["ard_rows"] = sum(len(p.rows) for p in products.values())
        report.status = "ok"
        report.totals = {
            "chapters": len(plan),
            "executed": statuses.count("executed"),
            "reused": statuses.count("reused"),
            "kernels_started": sum(job.started_kernel for job in plan),
            "execution_seconds": round(execution_seconds, 2),
            "jupyter_book_seconds": round(book_seconds, 2),
            "seconds": round(time.perf_counter() - started, 2),
        }
        log(
            f"built {len(plan)} documents ({report.totals['executed']} executed, "
            f"{report.totals['reused']} reused, {report.totals['kernels_started']} kernel(s) "
            f"started) in {report.totals['seconds']:.1f} s: "
            f"execution {execution_seconds:.1f} s, jupyter-book {book_seconds:.1f} s "
            f"-> {out / 'html'}"
        )
        return report
    except BuildError as error:
        report.error = str(error)
        raise
    finally:
        report.write(out / "report.json")


def build_command(params_file: Path, overrides: list[str], out: Path, jobs: int) -> int:
    """``python -m ldil2 build``: build the book of the current directory; 0 on success, else
    print why and return 1."""
    root = Path.cwd()
    try:
        try:
            params = read_parameters(params_file)
        except (OSError, ValueError, yaml.YAMLError) as error:
            raise BuildError(f"parameters file {params_file}: {error}") from None
        params.update(parse_overrides(overrides))
        build_book(root, params, out.resolve(), jobs)
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    return 0
