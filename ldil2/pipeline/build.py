"""The book build: ``python -m ldil2 build`` (and ``make book``).

1. Validate the data release; stop with its problems if it breaks the contract.
2. Execute every document of ``_toc.yml`` (a Jupytext MyST notebook) with papermill, one kernel
   per document, in a process pool; reuse an executed notebook from the cache when its key
   (:func:`chapter_key`) is unchanged. Documents whose front matter declares
   ``ldil2: needs: [results]`` run in a second phase, after every other document has executed
   or been reused: the build writes every value glued by the first phase to
   ``<stage>/results.json`` (:func:`write_results`) and injects its path as the parameter
   ``results``; the file's bytes join their cache key, so they re-execute exactly when some
   first-phase value changed.
3. Stage a book tree (the executed ``.ipynb`` in place of each ``.md``, the edition's
   ``_config.yml`` with the data-release notice, the data release as a zip) and build it with
   ``jupyter-book build -W -n`` (strict, execution off) into a work folder.
4. Copy the site to a new folder and swap it into ``<out>/html``: the last good site is untouched
   by any failure. Write ``<out>/report.json``.

Every file the build writes (cached notebook, staged file, site) is written to a temporary name
and renamed on success, so a failed or killed build leaves nothing half-written.
"""

from __future__ import annotations

import ast
import concurrent.futures
import contextlib
import fcntl
import hashlib
import html
import io
import json
import math
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from ldil2 import contract
from ldil2.data import release as data
from ldil2.pipeline.config import PARAMETERS_FILE, TOC_FILE, find_root, read_parameters

PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG_FILE = "_config.yml"
REQUIREMENTS_FILE = "requirements.txt"
KERNEL_NAME = "python3"
MYST_FORMAT = "md:myst"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
HIDE_TAG = "remove-cell"
FRONT_MATTER_KEY = "ldil2"
READS_KEY = "reads"
NEEDS_KEY = "needs"
# ``ldil2: needs: [results]``: the document runs after every other one and is injected
# ``results``, the path of the JSON file of their glued values (write_results / read_results).
NEEDS_RESULTS = "results"
RESULTS_FILE = "results.json"
# Parameters that locate files: they do not join a cache key (the files count by their bytes).
LOCATION_PARAMETERS = ("data_dir", NEEDS_RESULTS)
# Files of a release that every chapter reads whatever it declares (ldil2.data.load reads them).
ALWAYS_READ = (contract.SUBJECTS, contract.METADATA, contract.PUBLISHED)
# A chapter that declares this in ``ldil2: reads:`` reads the committed release snapshots
# (``releases/*.json`` of the book root, ldil2.releases): they join its cache key.
SNAPSHOTS_READ = "releases/"
DOWNLOADS_DIR = "_downloads_extra"
SITE_KEY_FILE = ".site-key"
SIMULATED_NOTICE = (
    "Simulated data: the patients in this book are simulated; no number describes a real "
    "participant of the trial."
)
# One thread per BLAS/OpenMP pool in every kernel: the process pool is the parallelism.
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


class BuildError(RuntimeError):
    """The build stopped; the message says why (chapter, cell and exception, or data problems)."""


class ChapterError(BuildError):
    """A cell of a chapter raised: the message names the chapter, the cell and the exception."""


# ---------------------------------------------------------------------------------------------
# Chapters: reading, parameters, execution
# ---------------------------------------------------------------------------------------------


def toc_documents(root: Path) -> list[str]:
    """Document names (paths without suffix, relative to ``root``) of ``_toc.yml``, root first.

    Raises
    ------
    BuildError : names every toc entry whose ``.md`` file is missing
    """
    toc = yaml.safe_load((root / TOC_FILE).read_text(encoding="utf-8"))
    names = [toc["root"]]

    def collect(entries: Iterable[dict[str, Any]]) -> None:
        for entry in entries:
            if "file" in entry:
                names.append(entry["file"])
            collect(entry.get("sections", []))
            for part in entry.get("parts", []):
                collect(part.get("chapters", []))

    collect(toc.get("chapters", []))
    for part in toc.get("parts", []):
        collect(part.get("chapters", []))
    names = [str(Path(name).with_suffix("")) for name in names]
    missing = [name for name in names if not (root / f"{name}.md").is_file()]
    if missing:
        listed = ", ".join(f"{name}.md" for name in missing)
        raise BuildError(f"{TOC_FILE} lists chapter(s) with no source file: {listed}")
    return names


def read_chapter(md_path: Path) -> nbformat.NotebookNode:
    """A Jupytext MyST notebook as a notebook (the format is always given explicitly)."""
    return jupytext.read(md_path, fmt=MYST_FORMAT)


def chapter_reads(nb: nbformat.NotebookNode, md_path: Path) -> tuple[str, ...]:
    """The data files a chapter declares in its front matter (``ldil2: reads: [...]``).

    Raises
    ------
    BuildError : the declaration is missing or names a file outside the data contract
    """
    declared = nb.metadata.get(FRONT_MATTER_KEY, {}).get(READS_KEY)
    known = (*contract.RELEASE_TABLES, contract.METADATA, contract.PUBLISHED, SNAPSHOTS_READ)
    if not isinstance(declared, list):
        raise BuildError(f"{md_path}: front matter needs '{FRONT_MATTER_KEY}: {READS_KEY}: [...]'")
    unknown = [name for name in declared if name not in known]
    if unknown:
        raise BuildError(f"{md_path}: {FRONT_MATTER_KEY}.{READS_KEY} names unknown {unknown}")
    return tuple(declared)


def chapter_needs(nb: nbformat.NotebookNode, md_path: Path) -> tuple[str, ...]:
    """What a document needs from the build besides data (``ldil2: needs: [...]``, optional).

    The only need is ``results`` (:data:`NEEDS_RESULTS`): the glued values of every other
    document of the build. Such a document runs in the second phase (module docstring).

    Raises
    ------
    BuildError : the declaration is not a list or names an unknown need
    """
    declared = nb.metadata.get(FRONT_MATTER_KEY, {}).get(NEEDS_KEY, [])
    if not isinstance(declared, list) or set(declared) - {NEEDS_RESULTS}:
        raise BuildError(
            f"{md_path}: {FRONT_MATTER_KEY}.{NEEDS_KEY} must be a list of {[NEEDS_RESULTS]}, "
            f"got {declared!r}"
        )
    return tuple(declared)


def parse_overrides(overrides: Iterable[str]) -> dict[str, Any]:
    """``-p key=value`` overrides, typed: an int if the value parses as int, else a float if it
    parses as float, else the string.

    Raises
    ------
    BuildError : an override without ``=`` or with an empty key
    """
    parsed: dict[str, Any] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BuildError(f"-p {item!r}: expected KEY=VALUE")
        for kind in (int, float):
            try:
                parsed[key.strip()] = kind(value)
                break
            except ValueError:
                continue
        else:
            parsed[key.strip()] = value
    return parsed


def tag_cell(cell: nbformat.NotebookNode, tag: str) -> None:
    """Add ``tag`` to a cell's tags (once)."""
    tags = cell.metadata.setdefault("tags", [])
    if tag not in tags:
        tags.append(tag)


def _clean_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop execution timestamps (papermill, nbclient) so a notebook holds no wall-clock time."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)


def _replace_atomically(target: Path, write: Callable[[Path], None]) -> None:
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


def _failure_message(md_path: Path, error: Exception, injected_at: int | None) -> str:
    """Chapter, cell (1-based, counted in the chapter source) and exception of a papermill error."""
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


def execute_chapter(
    md_path: Path, params: dict[str, Any], out_ipynb: Path, cwd: Path | None = None
) -> nbformat.NotebookNode:
    """Execute one chapter with papermill and write the executed notebook.

    Parameters
    ----------
    md_path : the chapter's Jupytext MyST source
    params : injected as ``params`` after the cell tagged ``parameters``; that cell and the
        injected one are tagged ``remove-cell`` so readers do not see them
    out_ipynb : written only if every cell succeeds (temporary file, then rename)
    cwd : working directory of the kernel; default the book root above ``md_path``

    Returns
    -------
    NotebookNode : the executed notebook, without execution timestamps

    Raises
    ------
    ChapterError : a cell raised; names chapter, cell number and exception
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError


    nb = read_chapter(md_path)
    injected_at = None
    for index, cell in enumerate(nb.cells):
        cell.metadata.setdefault("tags", [])  # papermill reads every cell's tags
        if PARAMETERS_TAG in cell.metadata.tags and injected_at is None:
            tag_cell(cell, HIDE_TAG)
            injected_at = index + 1  # papermill inserts its cell right after this one
    try:
        executed = papermill.execute_notebook(
            nb,
            None,
            parameters={"params": params},
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=False,
            cwd=str(cwd or find_root(md_path.parent)),
        )
    except PapermillExecutionError as error:
        raise ChapterError(_failure_message(md_path, error, injected_at)) from None
    for cell in executed.cells:
        if INJECTED_TAG in cell.metadata.get("tags", []):
            tag_cell(cell, HIDE_TAG)
    _clean_metadata(executed)
    _replace_atomically(out_ipynb, lambda tmp: nbformat.write(executed, tmp))
    return executed


def glued_values(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Every value a notebook glued (myst-nb ``glue``), as its ``text/plain`` representation
    (under the ``application/papermill.record/`` prefix when glued with ``display=False``)."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            if "name" in scrapbook:
                plain = scrapbook.get("mime_prefix", "") + "text/plain"
                values[scrapbook["name"]] = output.get("data", {}).get(plain, "")
    return values


Scalar = str | int | float | bool


def glued_scalar(text: str) -> Scalar | None:
    """The plain scalar a glued ``text/plain`` repr stands for, or None for any other object.

    The repr of a plain Python ``str``/``int``/``float``/``bool`` is read back with
    ``ast.literal_eval``; an infinite float literal gives its text (JSON has no infinity).
    Figures and rich objects (whose repr is not such a literal) give None.
    """
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if isinstance(value, str | int | float | bool) else None


def results_values(notebooks: dict[str, nbformat.NotebookNode]) -> dict[str, Scalar]:
    """The scalar values glued in executed notebooks, keyed ``<stem>:<glue name>``.

    Parameters
    ----------
    notebooks : document name (e.g. ``chapters/primary``) -> executed notebook; the key uses the
        name's last part (``primary``). Values that are not plain scalars (:func:`glued_scalar`:
        figures, tables; their numbers are glued separately) are left out.
    """
    values: dict[str, Scalar] = {}
    for name, nb in sorted(notebooks.items()):
        for glue_name, text in glued_values(nb).items():
            value = glued_scalar(text)
            if value is not None:
                values[f"{Path(name).name}:{glue_name}"] = value
    return values


def write_results(path: Path, values: dict[str, Scalar]) -> None:
    """Write the results file: ``{"values": {"<stem>:<glue name>": value}}``, deterministic JSON
    (sorted keys, two-space indent, trailing newline), atomically."""
    text = json.dumps({"values": values}, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    _replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_results(path: Path) -> dict[str, Scalar]:
    """The values of a results file written by :func:`write_results`.

    Raises
    ------
    ValueError : the file is not a results file (names it)
    """
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("values"), dict):
        raise ValueError(f"{path}: not a results file (no 'values' object)")
    return document["values"]


# ---------------------------------------------------------------------------------------------
# Cache keys and the data-release zip
# ---------------------------------------------------------------------------------------------


def _hash_files(digest: Any, label: str, paths: Iterable[Path]) -> None:
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
    the release snapshots ``releases/*.json`` when the chapter declares ``releases/``, and the
    bytes of the results file when ``params`` holds ``results`` (a second-phase document).
    """
    digest = hashlib.sha256()
    digest.update(md_path.read_bytes())
    located = {k: v for k, v in params.items() if k not in LOCATION_PARAMETERS}
    digest.update(json.dumps(located, sort_keys=True, default=str).encode())
    for path in package_files():
        digest.update(f"\0pkg:{path.relative_to(PACKAGE_DIR).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    _hash_files(digest, "pins", [root / REQUIREMENTS_FILE])
    data_files = sorted((set(reads) | set(ALWAYS_READ)) - {SNAPSHOTS_READ})
    _hash_files(digest, "data", [data_dir / name for name in data_files])
    if SNAPSHOTS_READ in reads:
        _hash_files(digest, "snapshot", sorted((root / SNAPSHOTS_READ).glob("*.json")))
    if NEEDS_RESULTS in params:
        _hash_files(digest, "results", [Path(params[NEEDS_RESULTS])])
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
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in release_files(data_dir):
            info = zipfile.ZipInfo(path.relative_to(data_dir).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# One chapter run by a test or an author (no staging, no site)
# ---------------------------------------------------------------------------------------------


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
    with _thread_limits():
        nb = execute_chapter(md_path, params, out, cwd=root)
    return ExecutedChapter(notebook=nb, glued=glued_values(nb))


@contextlib.contextmanager
def _thread_limits() -> Iterator[None]:
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


# ---------------------------------------------------------------------------------------------
# The whole book
# ---------------------------------------------------------------------------------------------


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
        _replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def kernel_env() -> dict[str, str]:
    """Environment variables for executing chapters: one BLAS thread per kernel, and this
    environment's kernelspecs ahead of a user's own (``~/.local/share/jupyter``), so the kernel
    ``python3`` is this venv's python, never a system one. Entries already on JUPYTER_PATH stay
    first."""
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    paths.append(str(Path(sys.prefix) / "share" / "jupyter"))
    return {**THREAD_ENV, "JUPYTER_PATH": os.pathsep.join(paths)}


def _init_worker(kernel_log: Path) -> None:
    """Process-pool initializer: the kernel environment (:func:`kernel_env`; the kernels inherit
    it), and the kernels' own chatter (standard error) goes to ``kernel_log``, not the progress
    lines."""
    os.environ.update(kernel_env())
    fd = os.open(kernel_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, sys.stderr.fileno())
    os.close(fd)


def _execute_job(md_path: Path, params: dict[str, Any], cached: Path, cwd: Path) -> float:
    """Worker: execute one chapter into the cache; return its wall time in seconds."""
    start = time.perf_counter()
    print(f"[start   ] {md_path.relative_to(cwd)}", flush=True)
    execute_chapter(md_path, params, cached, cwd=cwd)
    return time.perf_counter() - start


def _edition_config(root: Path, version: str, simulated: bool, zip_name: str, sha: str) -> str:
    """The staged ``_config.yml``: the book's, plus the data-release notice on every page, the
    folder of extra downloads (the data-release zip) copied to the site root, and the MyST
    substitutions ``release_download`` (a link to the zip) and ``release_sha256`` that the
    landing page shows. Passing the checksum here rather than as a chapter parameter means a
    data change re-executes only the chapters that read the changed files."""
    config = yaml.safe_load((root / CONFIG_FILE).read_text(encoding="utf-8"))
    notice = f"Data release {version}."
    if simulated:
        notice = f"{SIMULATED_NOTICE} {notice}"
    config.setdefault("html", {})["announcement"] = html.escape(notice)
    parse = config.setdefault("parse", {})
    extensions = parse.setdefault("myst_enable_extensions", [])
    if "substitution" not in extensions:
        extensions.append("substitution")
    name = html.escape(zip_name)
    parse["myst_substitutions"] = {
        **parse.get("myst_substitutions", {}),
        "release_download": f'<a href="{name}" download>{name}</a>',
        "release_sha256": html.escape(sha),
    }
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["html_extra_path"] = [DOWNLOADS_DIR]
    return yaml.safe_dump(config, sort_keys=True, allow_unicode=True)


def _write_if_changed(target: Path, content: bytes) -> None:
    """Write ``content`` (atomically) unless ``target`` already holds it: unchanged staged files
    keep their modification time, so Sphinx re-reads only what changed."""
    if target.is_file() and target.read_bytes() == content:
        return
    _replace_atomically(target, lambda tmp: tmp.write_bytes(content))


def _static_files(root: Path, names: list[str]) -> list[Path]:
    """Files the book needs besides its documents: non-notebook files beside the chapters
    (images, bibliographies), ``_static/`` and ``*.bib`` at the root."""
    folders = {(root / name).parent for name in names if (root / name).parent != root}
    found = [p for p in root.glob("*.bib")]
    found += [p for p in (root / "_static").rglob("*") if p.is_file()]
    for folder in folders:
        found += [p for p in folder.rglob("*") if p.suffix not in {".md", ".ipynb"}]

    def wanted(path: Path) -> bool:  # hidden files (.ipynb_checkpoints, .DS_Store), caches: no
        parts = path.relative_to(root).parts
        return path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in parts)

    return sorted(p for p in found if wanted(p))


def _stage(
    root: Path, stage: Path, jobs: list[ChapterJob], config: str, zip_name: str, zip_bytes: bytes
) -> str:
    """Make ``stage`` the book tree to build; remove anything else (the results file of
    :func:`_locate_second_phase` stays). Returns the site key: the sha256 of every staged file's
    path and bytes."""
    wanted: dict[Path, bytes] = {
        stage / CONFIG_FILE: config.encode(),
        stage / TOC_FILE: (root / TOC_FILE).read_bytes(),
        stage / DOWNLOADS_DIR / zip_name: zip_bytes,
        stage / RESULTS_FILE: (stage / RESULTS_FILE).read_bytes(),
    }
    for job in jobs:
        wanted[stage / f"{job.name}.ipynb"] = job.cached.read_bytes()
    for path in _static_files(root, [job.name for job in jobs]):
        wanted[stage / path.relative_to(root)] = path.read_bytes()
    for target, content in wanted.items():
        _write_if_changed(target, content)
    if stage.is_dir():
        for path in sorted(stage.rglob("*"), reverse=True):
            if path.is_file() and path not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    digest = hashlib.sha256()
    for target in sorted(wanted):
        digest.update(f"\0{target.relative_to(stage).as_posix()}\0".encode())
        digest.update(wanted[target])
    return digest.hexdigest()


def _jupyter_book(stage: Path, work: Path) -> None:
    """``jupyter-book build`` strict (-W -n: every warning is an error, no --keep-going)."""
    command = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(stage),
        "--path-output",
        str(work),
        "--builder",
        "html",
        "-W",
        "-n",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        causes = [line for line in output if re.search(r"WARNING|ERROR|SphinxWarning", line)]
        raise BuildError("jupyter-book build failed:\n" + "\n".join(causes or output[-40:]))


def _recover(out: Path) -> None:
    """Undo what a killed build may have left: restore a site caught mid-swap, drop temporary
    files, and drop a Sphinx work folder whose build did not finish."""
    html_dir, old = out / "html", out / ".html-old"
    if old.is_dir() and not html_dir.is_dir():
        os.rename(old, html_dir)
    for leftover in [old, *out.glob(".html-new*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    # only this edition's own folders: another edition may be building in a subfolder of out
    leftovers = [*out.glob(".tmp-*"), *(out / "cache").glob(".tmp-*")]
    for tmp in [*leftovers, *(out / "stage").rglob(".tmp-*")]:
        tmp.unlink()
    work = out / "work"
    if work.is_dir() and not (work / ".complete").is_file():
        shutil.rmtree(work)


def _swap_site(built: Path, out: Path, site_key: str) -> None:
    """Copy the built site beside ``<out>/html`` and swap it in with two renames."""
    new = Path(tempfile.mkdtemp(prefix=".html-new", dir=out))
    shutil.copytree(built, new, dirs_exist_ok=True)
    (new / SITE_KEY_FILE).write_text(site_key + "\n", encoding="utf-8")
    html_dir, old = out / "html", out / ".html-old"
    if html_dir.is_dir():
        os.rename(html_dir, old)
    os.rename(new, html_dir)
    shutil.rmtree(old, ignore_errors=True)


def _plan(root: Path, params: dict[str, Any], data_dir: Path, cache: Path) -> list[ChapterJob]:
    """One job per toc document; the first-phase jobs located in the cache (the second-phase
    ones are located by :func:`_locate_second_phase`, once the results file exists)."""
    jobs = []
    for name in toc_documents(root):
        md_path = root / f"{name}.md"
        nb = read_chapter(md_path)
        reads = chapter_reads(nb, md_path)
        chapter = dict(params, tables=[t for t in contract.RELEASE_TABLES if t in reads])
        second = NEEDS_RESULTS in chapter_needs(nb, md_path)
        job = ChapterJob(name, md_path, chapter, reads, second)
        if not second:
            _locate(job, data_dir, root, cache)
        jobs.append(job)
    return jobs


def _locate(job: ChapterJob, data_dir: Path, root: Path, cache: Path) -> None:
    """Set the job's cache key and the path of its cached notebook."""
    job.key = chapter_key(job.md_path, job.params, data_dir, job.reads, root)
    job.cached = cache / f"{job.name.replace('/', '__')}.{job.key[:16]}.ipynb"


def _locate_second_phase(
    jobs: list[ChapterJob], stage: Path, data_dir: Path, root: Path, cache: Path
) -> None:
    """Write ``<stage>/results.json`` (:func:`write_results`) from the executed first-phase
    notebooks, inject its path as ``results`` into the second-phase jobs and locate them."""
    notebooks = {
        job.name: nbformat.read(job.cached, as_version=4) for job in jobs if not job.second_phase
    }
    results = stage / RESULTS_FILE
    write_results(results, results_values(notebooks))
    for job in jobs:
        if job.second_phase:
            job.params[NEEDS_RESULTS] = str(results)
            _locate(job, data_dir, root, cache)


def _execute(
    jobs: list[ChapterJob], root: Path, workers: int, kernel_log: Path, log: Callable[[str], None]
) -> None:
    """Execute the chapters not in the cache, in parallel; stop at the first failure."""
    todo = []
    for job in jobs:
        if job.cached.is_file():
            job.status = "reused"
            log(f"[reused  ] {job.name}")
        else:
            todo.append(job)
    if not todo:
        return
    context = multiprocessing.get_context("fork")  # the parent runs no threads; fork is cheap
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(todo))),
        mp_context=context,
        initializer=_init_worker,
        initargs=(kernel_log,),
    ) as pool:
        futures = {
            pool.submit(_execute_job, job.md_path, job.params, job.cached, root): job
            for job in todo
        }
        failure = None
        for future in concurrent.futures.as_completed(futures):
            job = futures[future]
            try:
                job.seconds = future.result()
            except Exception as error:  # any failure (a dead kernel too) stops the build
                if not isinstance(error, ChapterError):
                    error = ChapterError(f"chapter {job.name}: {type(error).__name__}: {error}")
                job.status = "failed"
                failure = error
                log(f"[failed  ] {job.name}")
                # chapters already running finish (and are cached); the others never start
                pool.shutdown(wait=True, cancel_futures=True)
                break
            job.status = "executed"
            log(f"[executed] {job.name} in {job.seconds:.1f} s")
        for future, job in futures.items():
            if job.status == "pending" and future.done() and not future.cancelled():
                if future.exception() is None:
                    job.status, job.seconds = "executed", future.result()
    if failure is not None:
        raise failure


def build_book(
    root: Path,
    params: dict[str, Any],
    out: Path,
    jobs: int,
    log: Callable[[str], None] = print,
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
    _recover(out)
    report = BuildReport(parameters=dict(params))
    try:
        data_dir = Path(params.get("data_dir", "data"))
        data_dir = data_dir if data_dir.is_absolute() else root / data_dir
        try:
            release = data.load(data_dir)
        except data.ReleaseError as error:
            count = len(error.problems)
            raise BuildError(f"data release {data_dir}: {count} problem(s)\n{error}") from None
        version = str(release.version)
        report.data = {
            "version": version,
            "provenance": release.provenance,
            "directory": str(params.get("data_dir", "data")),
        }
        zip_name = f"data-release-{version}.zip"
        zip_bytes = release_zip_bytes(data_dir)
        zip_sha = hashlib.sha256(zip_bytes).hexdigest()
        report.data.update(zip=zip_name, sha256=zip_sha)
        plan = _plan(root, params, data_dir, out / "cache")
        kernels = out / "kernels.log"
        kernels.write_text("", encoding="utf-8")
        executing = time.perf_counter()
        try:
            _execute([job for job in plan if not job.second_phase], root, jobs, kernels, log)
            _locate_second_phase(plan, out / "stage", data_dir, root, out / "cache")
            _execute([job for job in plan if job.second_phase], root, jobs, kernels, log)
        finally:
            report.chapters = {
                job.name: {"status": job.status, "seconds": round(job.seconds, 2), "key": job.key}
                for job in plan
            }
        execution_seconds = time.perf_counter() - executing
        current = {job.cached for job in plan}
        for stale in (out / "cache").glob("*.ipynb"):
            if stale not in current:
                stale.unlink()
        config = _edition_config(root, version, release.is_simulated, zip_name, zip_sha)
        site_key = _stage(root, out / "stage", plan, config, zip_name, zip_bytes)
        site_file = out / "html" / SITE_KEY_FILE
        book_seconds = 0.0
        if site_file.is_file() and site_file.read_text(encoding="utf-8").strip() == site_key:
            log("[site    ] unchanged: jupyter-book not run")
        else:
            booking = time.perf_counter()
            work = out / "work"
            (work / ".complete").unlink(missing_ok=True)
            try:
                _jupyter_book(out / "stage", work)
            except BuildError:
                shutil.rmtree(work, ignore_errors=True)
                raise
            (work / ".complete").touch()
            _swap_site(work / "_build" / "html", out, site_key)
            book_seconds = time.perf_counter() - booking
            log(f"[site    ] jupyter-book build in {book_seconds:.1f} s")
        statuses = [job.status for job in plan]
        report.status = "ok"
        report.totals = {
            "chapters": len(plan),
            "executed": statuses.count("executed"),
            "reused": statuses.count("reused"),
            "execution_seconds": round(execution_seconds, 2),
            "jupyter_book_seconds": round(book_seconds, 2),
            "seconds": round(time.perf_counter() - started, 2),
        }
        log(
            f"built {len(plan)} documents ({report.totals['executed']} executed, "
            f"{report.totals['reused']} reused) in {report.totals['seconds']:.1f} s: "
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
