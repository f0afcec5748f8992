"""The book's documents: the toc, a chapter's source and what its front matter declares."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from ldil2 import contract
from ldil2.pipeline.common import BuildError, write_if_changed
from ldil2.pipeline.config import TOC_FILE

MYST_FORMAT = "md:myst"


# The tag papermill gives the cell of injected parameters.
INJECTED_TAG = "injected-parameters"


FRONT_MATTER_KEY = "ldil2"


READS_KEY = "reads"


NEEDS_KEY = "needs"


# ``ldil2: needs: [results]``: the document runs after every other one and is injected
# ``results``, the path of the JSON file of their glued values (write_results_file / read_results).
NEEDS_RESULTS = "results"


# A chapter that declares this in ``ldil2: reads:`` reads the committed release snapshots
# (``releases/*.json`` of the book root, ldil2.releases): they join its cache key.
SNAPSHOTS_READ = "releases/"


# A chapter that declares this in ``ldil2: reads:`` reads the conclusions declared in advance
# (``conclusions.yml`` of the book root, ldil2.results.conclusions): it joins its cache key.
CONCLUSIONS_READ = "conclusions.yml"

# Book-root files a chapter may declare it reads, besides the data release.
BOOK_READS = (SNAPSHOTS_READ, CONCLUSIONS_READ)


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
    """A Jupytext MyST notebook as a notebook (the format is always given explicitly).

    A build reads each chapter several times (its plan, its cache key, the warm-up imports, the
    staged page); the text is parsed once per process (keyed by :func:`parsed_key`, so an edited
    file is parsed anew; the parses of the previous build are taken from disk by
    :func:`recall_parsed`) and each caller gets its own copy to change."""
    return copy.deepcopy(_parsed(Path(md_path).read_text(encoding="utf-8"))[1])


def _parsed(text: str) -> tuple[str, nbformat.NotebookNode]:
    """The key and parse of a chapter's text, from this process's memory or parsed now."""
    key = parsed_key(text)
    nb = _PARSED.get(key)
    if nb is None:
        nb = _PARSED[key] = jupytext.reads(text, fmt=MYST_FORMAT)
        while len(_PARSED) > PARSED_KEPT:
            del _PARSED[next(iter(_PARSED))]  # the oldest
    return key, nb


# Parsed chapters kept by a process (:func:`read_chapter`), the oldest dropped first.
PARSED_KEPT = 256
_PARSED: dict[str, nbformat.NotebookNode] = {}


def parsed_key(text: str) -> str:
    """The key of a chapter's parse: SHA-256 of the Jupytext version and the text (another
    version of Jupytext may parse the same text differently)."""
    return hashlib.sha256(f"{jupytext.__version__}\0{text}".encode()).hexdigest()


def remember_parsed(path: Path, md_paths: Iterable[Path]) -> None:
    """Write the parses of ``md_paths`` (as they are now) to the JSON file ``path``, for the next
    build's :func:`recall_parsed`; the file is left alone when it already holds them."""
    parsed = dict(_parsed(Path(md_path).read_text(encoding="utf-8")) for md_path in md_paths)
    content = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    write_if_changed(path, content)


def recall_parsed(path: Path) -> None:
    """Take the parses an earlier build wrote (:func:`remember_parsed`) into this process's
    memory; a missing or unreadable file is ignored (every chapter is then parsed)."""
    try:
        parsed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(parsed, dict):
        for key, nb in parsed.items():
            _PARSED.setdefault(key, nbformat.from_dict(nb))


def chapter_reads(nb: nbformat.NotebookNode, md_path: Path) -> tuple[str, ...]:
    """The data files a chapter declares in its front matter (``ldil2: reads: [...]``).

    Raises
    ------
    BuildError : the declaration is missing or names a file outside the data contract
    """
    declared = nb.metadata.get(FRONT_MATTER_KEY, {}).get(READS_KEY)
    known = (*contract.RELEASE_TABLES, contract.METADATA, contract.PUBLISHED, *BOOK_READS)
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


def document_titles(root: Path) -> dict[str, str]:
    """The title of every toc document (its first ``# `` heading), keyed by the last part of its
    name (``chapters/primary`` -> ``primary``, the name an ARD row gives its page); a document
    without a heading is left out."""
    titles = {}
    for name in toc_documents(root):
        for line in (root / f"{name}.md").read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                titles[Path(name).name] = line[2:].strip()
                break
    return titles
