"""What the executed chapters glued: their values, and the analysis-results dataset (ARD).

A chapter glues its texts under their names and its ARD rows, as JSON, under reserved names
(:data:`ldil2.results.format.ARD_GLUE_PREFIX`). The build collects both from the executed
notebooks: the values (texts, counts) for the second-phase documents and the snapshots, the rows
for ``<out>/results/ard.csv`` and ``ard.json``, the per-page CSV downloads and the snapshots.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ldil2.pipeline.common import zip_bytes
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


def notebook_values(nb: nbformat.NotebookNode, name: str) -> dict[str, Scalar]:
    """The scalar values one executed notebook glued, keyed ``<stem>:<glue name>``: the key
    uses the last part of the document's ``name`` (``chapters/primary`` -> ``primary``). Values
    that are not plain scalars (:func:`glued_scalar`: figures, tables) and the reserved glues
    (the ARD rows, collected by :func:`ard_rows`, and the files, by :func:`notebook_files`) are
    left out."""
    values: dict[str, Scalar] = {}
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


def notebook_files(nb: nbformat.NotebookNode, name: str) -> dict[str, bytes]:
    """The files one executed notebook glued for the site (reserved names
    :data:`ldil2.results.format.FILE_GLUE_PREFIX` + path): path on the site -> bytes (the
    glued text, UTF-8).

    Raises
    ------
    ValueError : a file glue that is not text (names the document ``name`` and the glue)
    """
    files: dict[str, bytes] = {}
    for glue_name, text in glued_values(nb).items():
        if not ard_format.is_file_glue(glue_name):
            continue
        content = glued_scalar(text)
        if not isinstance(content, str):
            raise ValueError(f"{name}: glue {glue_name} is not the text of a file")
        files[glue_name.removeprefix(ard_format.FILE_GLUE_PREFIX)] = content.encode()
    return files


@dataclass(frozen=True)
class Products:
    """What the build takes from one executed notebook (:func:`notebook_products`): its ARD
    rows, its scalar values and the files it glued for the site."""

    rows: list[Row]
    values: dict[str, Scalar]
    files: dict[str, bytes]


def notebook_products(nb: nbformat.NotebookNode, name: str) -> Products:
    """:func:`ard_rows`, :func:`notebook_values` and :func:`notebook_files` of the executed
    notebook of document ``name``."""
    return Products(ard_rows(nb, name), notebook_values(nb, name), notebook_files(nb, name))


def book_values(products: Mapping[str, Products]) -> dict[str, Scalar]:
    """The values of every document (document name -> its products), in document order."""
    return {key: value for name in sorted(products) for key, value in products[name].values.items()}


def book_files(products: Mapping[str, Products]) -> dict[str, bytes]:
    """The files every document glued (document name -> its products): path -> bytes.

    Raises
    ------
    ValueError : one path glued with two contents (names the document and the path)
    """
    files: dict[str, bytes] = {}
    for name in sorted(products):
        for path, content in products[name].files.items():
            if files.setdefault(path, content) != content:
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


def results_text(values: dict[str, Scalar], rows: list[Row]) -> str:
    """The text of a results file: ``{"values": {"<stem>:<glue name>": value}, "ard": <ARD
    JSON document>}``, deterministic JSON (sorted keys). The file is read by the build and the
    second-phase chapters, not by people: it is written compact, which the C encoder of
    :mod:`json` does (an indented dump takes its pure-Python encoder, ten times slower)."""
    document = {"values": values, "ard": ard_format.json_document(rows)}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def read_results(path: Path) -> tuple[dict[str, Scalar], list[Row]]:
    """The values and ARD rows of a results file written by the build (:func:`results_text`,
    :func:`ldil2.pipeline.derived.write_results_file`).

    Raises
    ------
    ValueError : the file is not a results file (names it)
    """
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("values"), dict):
        raise ValueError(f"{path}: not a results file (no 'values' object)")
    rows = ard_format.from_document(document.get("ard", {"rows": []}), str(path))
    return document["values"], rows
