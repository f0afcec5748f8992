"""The staged book tree, the strict jupyter-book build and the swap of the new site."""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import nbformat
import yaml
from jupyter_book.sphinx import build_sphinx
from sphinx.util.console import nocolor

from ldil2.pipeline.common import BuildError, write_if_changed
from ldil2.pipeline.config import CONFIG_FILE, TOC_FILE
from ldil2.pipeline.edition import Edition, living_config
from ldil2.pipeline.results import ARD_DIR, RESULTS_FILE
from ldil2.pipeline.toc import INJECTED_TAG, read_chapter
from ldil2.results import format as ard_format

DOWNLOADS_DIR = "_downloads_extra"
SITE_KEY_FILE = ".site-key"


SIMULATED_NOTICE = (
    "Simulated data: the patients in this book are simulated; no number describes a real "
    "participant of the trial."
)


def edition_config(
    root: Path, version: str, simulated: bool, zip_name: str, sha: str, edition: Edition
) -> str:
    """The staged ``_config.yml``: the book's, plus the data-release notice on every page, the
    folder of extra downloads (the data-release zip) copied to the site root, and the MyST
    substitutions ``release_download`` (a link to the zip) and ``release_sha256`` that the
    landing page shows, and the edition's "Cite this edition" footer
    (:func:`ldil2.pipeline.edition.living_config`). Passing the checksum here rather than as a
    chapter parameter means a data change re-executes only the chapters that read the changed
    files."""
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
    living_config(config, edition)
    return yaml.safe_dump(config, sort_keys=True, allow_unicode=True)


def static_files(root: Path, names: list[str]) -> list[Path]:
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


RESULTS_LINK_TAG = "ldil2-results-link"


def results_link_cell(name: str, has_rows: bool) -> nbformat.NotebookNode:
    """The closing cell of a staged page: a link to the page's results as CSV
    (``<results>/<stem>.csv``) and, on the landing page, to the whole results dataset.

    Links are relative to the page (``chapters/x`` -> ``../results/x.csv``), so they hold in any
    folder the site is published to.
    """
    up = "../" * name.count("/")
    links = []
    if has_rows:
        stem = Path(name).name
        links.append(f'<a href="{up}{ARD_DIR}/{stem}.csv" download>results of this page as CSV</a>')
    if name.count("/") == 0:
        links.append(
            f'<a href="{up}{ARD_DIR}/ard.csv" download>the whole results dataset as CSV</a>'
        )
        links.append(f'<a href="{up}{ARD_DIR}/ard.json" download>as JSON</a>')
    text = "Download: " + ", ".join(links) + "." if links else ""
    cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": [RESULTS_LINK_TAG]})
    cell.id = RESULTS_LINK_TAG  # a fixed id (nbformat draws a random one): identical builds
    return cell


def with_current_markdown(
    executed: nbformat.NotebookNode, source: nbformat.NotebookNode
) -> nbformat.NotebookNode:
    """The executed notebook with the markdown of ``source`` (the chapter as it is now).

    The cache key ignores markdown, so a cached notebook may hold older prose: its code cells
    (with their outputs, the injected parameters cell among them) are kept in order, and every
    markdown cell comes from ``source``, the code cells of ``source`` being matched one to one,
    in order, with the executed ones that are not the injected parameters cell.

    Raises
    ------
    ValueError : ``source`` has another number of code cells than ``executed`` (not the same
        code: the key would differ)
    """
    plain, injected_after = [], {}  # injected cells, by the number of plain cells before
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        if INJECTED_TAG in cell.metadata.get("tags", []):
            injected_after.setdefault(len(plain), []).append(cell)
        else:
            plain.append(cell)
    wanted = [c for c in source.cells if c.cell_type == "code"]
    if len(plain) != len(wanted):
        raise ValueError(f"{len(wanted)} code cells in the source, {len(plain)} executed")
    merged = list(injected_after.get(0, []))
    done = 0
    for cell in source.cells:
        if cell.cell_type == "code":
            merged.append(plain[done])
            done += 1
            merged += injected_after.get(done, [])
        else:
            merged.append(cell)
    return nbformat.from_dict(dict(executed, cells=merged))


def numbered_ids(nb: nbformat.NotebookNode) -> None:
    """Cell ids by position (``cell-1``, ...): jupytext draws random ones, and a staged page
    (also offered as a download) must be the same bytes in every build."""
    for index, cell in enumerate(nb.cells, start=1):
        cell.id = f"cell-{index}"


def drop_file_glues(nb: nbformat.NotebookNode) -> None:
    """Remove from ``nb`` the outputs that glue a file for the site (reserved names,
    :func:`ldil2.results.format.is_file_glue`: the RTF tables and listings). The build has
    collected them (:func:`ldil2.pipeline.results.notebook_files`) and writes them as files; no
    page shows them, and a listing's RTF of a large release is most of its notebook's bytes,
    which Sphinx would otherwise read on every build of the page."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [
            output
            for output in cell.get("outputs", [])
            if not ard_format.is_file_glue(
                output.get("metadata", {}).get("scrapbook", {}).get("name", "")
            )
        ]


def staged_page(
    nb: nbformat.NotebookNode, name: str, has_rows: bool, source: Path | None = None
) -> bytes:
    """The bytes of a page as staged: the executed notebook ``nb``, with the current markdown
    of its chapter ``source`` (:func:`with_current_markdown`) when given, without its file glues
    (:func:`drop_file_glues`), cells numbered (:func:`numbered_ids`) and
    :func:`results_link_cell` appended (``nb`` may be changed)."""
    if source is not None:
        nb = with_current_markdown(nb, read_chapter(source))
    drop_file_glues(nb)
    numbered_ids(nb)
    cell = results_link_cell(name, has_rows)
    if cell.source:
        nb.cells.append(cell)
    return nbformat.writes(nb).encode()


def staged_notebook(cached: Path, name: str, has_rows: bool, source: Path | None = None) -> bytes:
    """:func:`staged_page` of the executed notebook cached at ``cached`` (left unchanged)."""
    return staged_page(nbformat.read(cached, as_version=4), name, has_rows, source)


def stage_book(
    root: Path,
    stage: Path,
    notebooks: Mapping[str, bytes],
    config: str,
    downloads: Mapping[str, bytes],
) -> str:
    """Make ``stage`` the book tree to build; remove anything else (the results file of the
    first phase stays). Returns the site key: the sha256 of every staged file's path and bytes.

    Parameters
    ----------
    notebooks : document name (``chapters/primary``) -> staged notebook bytes
    config : the edition's ``_config.yml`` text
    downloads : path relative to the site root -> bytes (the data zip, the ARD files)
    """
    wanted: dict[Path, bytes] = {
        stage / CONFIG_FILE: config.encode(),
        stage / TOC_FILE: (root / TOC_FILE).read_bytes(),
        stage / RESULTS_FILE: (stage / RESULTS_FILE).read_bytes(),
    }
    for relative, content in downloads.items():
        wanted[stage / DOWNLOADS_DIR / relative] = content
    for name, content in notebooks.items():
        wanted[stage / f"{name}.ipynb"] = content
    for path in static_files(root, list(notebooks)):
        wanted[stage / path.relative_to(root)] = path.read_bytes()
    for target, content in wanted.items():
        write_if_changed(target, content)
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


def jupyter_book(stage: Path, work: Path) -> None:
    """Jupyter Book's Sphinx build of ``stage`` into ``<work>/_build/html``, strict, in this
    process: what ``jupyter-book build STAGE --path-output WORK --builder html -W -n`` runs
    (:func:`jupyter_book.sphinx.build_sphinx` with the book's ``_config.yml`` and ``_toc.yml``;
    every warning is an error, nitpicky references, no keep-going), without starting another
    Python that imports Sphinx and its extensions again. Sphinx's messages are collected and
    the warnings and errors among them raised.

    Raises
    ------
    BuildError : a Sphinx warning or error (its lines, else the last 40 lines of the log)
    """
    log = io.StringIO()
    nocolor()  # the log is read by people in a terminal, a page or a report: no escape codes
    overrides = {
        "external_toc_path": (stage / TOC_FILE).absolute().as_posix(),
        "latex_individualpages": False,
        "nitpicky": True,
    }
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        result = build_sphinx(
            stage,
            work / "_build" / "html",
            use_external_toc=True,
            noconfig=True,
            path_config=str(stage / CONFIG_FILE),
            confoverrides=overrides,
            builder="html",
            warningiserror=True,
        )
    if isinstance(result, BaseException) or result:
        output = log.getvalue().strip().splitlines()
        causes = [line for line in output if re.search(r"WARNING|ERROR|SphinxWarning", line)]
        raise BuildError("jupyter-book build failed:\n" + "\n".join(causes or output[-40:]))


def recover(out: Path) -> None:
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


def swap_site(built: Path, out: Path, site_key: str) -> None:
    """Copy the built site beside ``<out>/html`` and swap it in with two renames.

    A file the current site holds unchanged (the same size and modification time: a copy keeps
    the time of its source) is hard-linked from it instead of copied. No file of a site is
    written again once the site is in place, so two sites can share it; Sphinx rewrites its
    own output folder in place, which is why the site is never that folder, nor linked to it.
    """
    new = Path(tempfile.mkdtemp(prefix=".html-new", dir=out))
    html_dir, old = out / "html", out / ".html-old"

    def link_or_copy(source: str, target: str) -> str:
        current = html_dir / Path(source).relative_to(built)
        with contextlib.suppress(OSError):
            ours, theirs = os.stat(source), os.stat(current)
            if (ours.st_size, ours.st_mtime_ns) == (theirs.st_size, theirs.st_mtime_ns):
                os.link(current, target)
                return target
        return shutil.copy2(source, target)

    shutil.copytree(built, new, dirs_exist_ok=True, copy_function=link_or_copy)
    (new / SITE_KEY_FILE).write_text(site_key + "\n", encoding="utf-8")
    if html_dir.is_dir():
        os.rename(html_dir, old)
    os.rename(new, html_dir)
    shutil.rmtree(old, ignore_errors=True)
