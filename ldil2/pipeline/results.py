"""What the executed chapters glued: their values, and the analysis-results dataset (ARD).

A chapter glues its texts under their names and its ARD rows, as JSON, under reserved names
(:data:`ldil2.results.format.ARD_GLUE_PREFIX`). The build collects both from the executed
notebooks: the values (texts, counts) for the second-phase documents and the snapshots, the rows
for ``<out>/results/ard.csv`` and ``ard.json``, the per-page CSV downloads and the snapshots.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
from pathlib import Path

import nbformat

from ldil2.pipeline.common import replace_atomically, zip_bytes
from ldil2.results import format as ard_format
from ldil2.results.format import Row

RESULTS_FILE = "results.json"


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


SCALAR_STARTS = frozenset("'\"0123456789-+.TF")
"""The first characters of the repr of a plain ``str``, ``int``, ``float`` or ``bool``."""


def glued_scalar(text: str) -> Scalar | None:
    """The plain scalar a glued ``text/plain`` repr stands for, or None for any other object.

    The repr of a plain Python ``str``/``int``/``float``/``bool`` is read back with
    ``ast.literal_eval``; an infinite float literal gives its text (JSON has no infinity).
    Figures and rich objects (whose repr is not such a literal) give None.
    """
    if not text or text[0] not in SCALAR_STARTS:  # an object's repr, often megabytes: not parsed
        return None
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
        figures, tables) and the ARD rows (collected by :func:`ard_rows`) are left out.
    """
    values: dict[str, Scalar] = {}
    for name, nb in sorted(notebooks.items()):
        for glue_name, text in glued_values(nb).items():
            # reserved glues are skipped before they are parsed: a listing's file is megabytes
            if ard_format.is_ard_glue(glue_name) or ard_format.is_file_glue(glue_name):
                continue
            value = glued_scalar(text)
            if value is not None:
                values[f"{Path(name).name}:{glue_name}"] = value
    return values


def ard_rows(nb: nbformat.NotebookNode, source: str = "notebook") -> list[Row]:
    """The ARD rows one executed notebook recorded (every reserved glue), once each, in a fixed
    order. Cells of one chapter may record the same statistic (e.g. the participants per arm
    of several captions); it is kept once.

    Raises
    ------
    ValueError : a reserved glue that is not ARD JSON, or one statistic recorded with two
        values (names `source`, the result_id and the stat)
    """
    rows: dict[tuple[str, str, str], Row] = {}
    for glue_name, text in glued_values(nb).items():
        if not ard_format.is_ard_glue(glue_name):
            continue
        payload = glued_scalar(text)
        if not isinstance(payload, str):
            raise ValueError(f"{source}: glue {glue_name} is not ARD JSON text")
        for row in ard_format.from_json(payload, f"{source}: glue {glue_name}"):
            key = (row.chapter, *row.key)
            old = rows.setdefault(key, row)
            if old.record() != row.record():
                raise ValueError(
                    f"{source}: ARD {row.result_id} {row.stat} recorded as {old.value!r} "
                    f"and {row.value!r}"
                )
    return ard_format.sort_rows(rows.values())


def glued_files(notebooks: dict[str, nbformat.NotebookNode]) -> dict[str, bytes]:
    """The files the executed notebooks glued for the site (reserved names
    :data:`ldil2.results.format.FILE_GLUE_PREFIX` + path): path on the site -> bytes (the
    glued text, UTF-8).

    Raises
    ------
    ValueError : a file glue that is not text, or one path glued with two contents
    """
    files: dict[str, bytes] = {}
    for name, nb in sorted(notebooks.items()):
        for glue_name, text in glued_values(nb).items():
            if not ard_format.is_file_glue(glue_name):
                continue
            content = glued_scalar(text)
            if not isinstance(content, str):
                raise ValueError(f"{name}: glue {glue_name} is not the text of a file")
            path = glue_name.removeprefix(ard_format.FILE_GLUE_PREFIX)
            if files.setdefault(path, content.encode()) != content.encode():
                raise ValueError(f"{name}: file {path} glued with two contents")
    return files


def tlf_files(files: dict[str, bytes], version: str) -> dict[str, bytes]:
    """`files` and, when any lies under :data:`ldil2.results.format.TLF_DIR`, the zip of
    those (:func:`ldil2.pipeline.common.zip_bytes`) at
    :func:`ldil2.results.format.tlf_zip_path`."""
    tables = {p: b for p, b in files.items() if p.startswith(f"{ard_format.TLF_DIR}/")}
    if not tables:
        return dict(files)
    names = {p.removeprefix(f"{ard_format.TLF_DIR}/"): b for p, b in tables.items()}
    return {**files, ard_format.tlf_zip_path(version): zip_bytes(names)}


def book_rows(notebooks: dict[str, nbformat.NotebookNode]) -> dict[str, list[Row]]:
    """Document name -> the ARD rows its executed notebook recorded."""
    return {name: ard_rows(nb, name) for name, nb in sorted(notebooks.items())}


ARD_DIR = "results"
"""Folder of the ARD in the build's output and on the site: ``ard.csv``, ``ard.json`` and one
``<page>.csv`` per page."""


def ard_files(rows_by_document: dict[str, list[Row]]) -> dict[str, bytes]:
    """The ARD files of a build: ``ard.csv``, ``ard.json`` (every row) and ``<stem>.csv`` for
    each document that recorded rows, as relative path -> bytes (deterministic)."""
    every = [row for rows in rows_by_document.values() for row in rows]
    files = {
        f"{ARD_DIR}/ard.csv": ard_format.to_csv(every).encode(),
        f"{ARD_DIR}/ard.json": ard_format.to_json(every).encode(),
    }
    for name, rows in rows_by_document.items():
        if rows:
            files[f"{ARD_DIR}/{Path(name).name}.csv"] = ard_format.to_csv(rows).encode()
    return files


def remembered_ard_files(
    rows_by_document: dict[str, list[Row]], memo: Path, code: str
) -> dict[str, bytes]:
    """:func:`ard_files` of the rows, taken from the JSON file ``memo`` when the last build wrote
    it for the same rows under the same code, else made and written there (atomically).

    ``code`` is a digest of the modules that write the files
    (:func:`ldil2.pipeline.cache.code_digest` of this module); the rows count by every field of
    every row of every document, in order, so an equal key means equal files. Making the files
    (CSV and JSON of some five thousand rows, and a CSV a page) takes a sixth of a second;
    reading them back, a few hundredths.
    """
    records = {name: [row.record() for row in rows] for name, rows in rows_by_document.items()}
    described = json.dumps([code, records], separators=(",", ":"), ensure_ascii=False)
    key = hashlib.sha256(described.encode()).hexdigest()
    try:
        stored = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = None
    if isinstance(stored, dict) and stored.get("key") == key:
        return {path: text.encode() for path, text in stored["files"].items()}
    files = ard_files(rows_by_document)
    document = {"key": key, "files": {path: data.decode() for path, data in files.items()}}
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    replace_atomically(memo, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return files


def write_results(path: Path, values: dict[str, Scalar], rows: list[Row]) -> None:
    """Write the results file of the first phase: ``{"values": {"<stem>:<glue name>": value},
    "ard": <ARD JSON document>}``, deterministic JSON (sorted keys), atomically. The file is
    read by the build and the second-phase chapters, not by people: it is written compact, which
    the C encoder of :mod:`json` does (an indented dump takes its pure-Python encoder, ten times
    slower)."""
    document = {"values": values, "ard": ard_format.json_document(rows)}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_results(path: Path) -> tuple[dict[str, Scalar], list[Row]]:
    """The values and ARD rows of a results file written by :func:`write_results`.

    Raises
    ------
    ValueError : the file is not a results file (names it)
    """
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("values"), dict):
        raise ValueError(f"{path}: not a results file (no 'values' object)")
    rows = ard_format.from_document(document.get("ard", {"rows": []}), str(path))
    return document["values"], rows
