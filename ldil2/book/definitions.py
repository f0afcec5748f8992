"""The outcome definitions of the Methods chapter, read from the numpy docstrings of the
:mod:`ldil2.derive` functions that compute them, so the text and the code cannot differ.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from ldil2.book.common import Result, footnote
from ldil2.derive import indices, response
from ldil2.derive.analysis import derive_haq_mcid
from ldil2.present.tables import HtmlTable


def docstring_sections(func: Callable[..., Any]) -> dict[str, str]:
    """The numpy-docstring of `func` split into ``summary`` (first line), ``extended`` (text
    before the first section) and one entry per section ("Notes", "References", ...), each with
    its lines stripped and joined by spaces. A reST simple table becomes text: its rules
    (``===``) are dropped, the cells of a row are joined by " / " and rows end with ";"."""
    lines = (inspect.getdoc(func) or "").splitlines()
    parts: dict[str, list[str]] = {"summary": lines[:1], "extended": []}
    current, in_table, i = "extended", False, 1
    while i < len(lines):
        line = lines[i].strip()
        underline = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if line and underline and set(underline) == {"-"}:
            current, in_table = line, False
            parts[current] = []
            i += 2
            continue
        if line and not set(line) - {"=", " "}:
            in_table = True
        elif in_table and line:
            parts[current].append(" / ".join(re.split(r"\s{2,}", line)) + ";")
        elif line:
            parts[current].append(line)
        else:
            in_table = False
        i += 1
    return {name: " ".join(text) for name, text in parts.items()}


def definition_functions() -> list[tuple[str, Callable[..., Any]]]:
    """(outcome, the ldil2 function whose docstring defines it), in the order of the book."""
    return [
        ("DAS28-ESR", indices.das28_esr),
        ("DAS28-CRP", indices.das28_crp),
        ("DAS28 disease-activity state", indices.das28_category),
        ("CDAI", indices.cdai),
        ("CDAI disease-activity state", indices.cdai_category),
        ("SDAI", indices.sdai),
        ("SDAI disease-activity state", indices.sdai_category),
        ("ACR20 / ACR50 / ACR70 response", response.acr_response),
        ("EULAR response", response.eular_response),
        ("ACR/EULAR Boolean remission", indices.boolean_remission),
        ("HAQ-DI minimal clinically important improvement", derive_haq_mcid),
    ]


def definition_text(func: Callable[..., Any]) -> str:
    """The definition a docstring states: its summary line, then the extended summary, or else
    the Notes section, or else the Returns section without its type (:func:`docstring_sections`)."""
    doc = docstring_sections(func)
    returns = doc.get("Returns", "").partition(" : ")
    formula = doc["extended"] or doc.get("Notes") or returns[2] or returns[0]
    return f"{doc['summary']} {formula}".strip()


def outcome_definitions(ch: Any) -> Result:
    """Table ``definitions_table``: each outcome with its definition and reference, taken from
    the docstring of the function that computes it (:func:`definition_text`; References).
    Definitions are text of the code (no ARD rows)."""
    rows = []
    for outcome, func in definition_functions():
        reference = docstring_sections(func).get("References", "")
        rows.append(
            {
                "Outcome": outcome,
                "Definition": definition_text(func),
                "Reference and code": f"{reference} Computed by {func.__module__}.{func.__name__}.",
            }
        )
    acr_joints = ch.params.get("acr_joints", "68/66")
    note = footnote(
        ch, f"ACR responses in this edition use the {acr_joints} joint counts. Units: joint "
        "counts; VAS in mm (0-100); ESR in mm/h; CRP in mg/L (converted to mg/dL for SDAI and "
        "Boolean remission inside the functions).",
    )  # fmt: skip
    title = "Outcome definitions, from the docstrings of the ldil2 functions that compute them"
    table = HtmlTable.from_frame(pd.DataFrame(rows), title, note)
    return Result(tables={"definitions_table": table})
