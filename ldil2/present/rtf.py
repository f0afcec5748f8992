"""Tables as RTF files, for a clinical study report: each captioned table of the book (a
:class:`ldil2.present.tables.HtmlTable` or a :class:`ldil2.present.listings.Listing`) written
with rtflite, landscape letter-size pages, the TLF number and caption as title, the column
headings repeated on every page, the footnote under the table.

rtflite writes no date or time, so the same table gives the same bytes in every build. Every
text is escaped first (:func:`rtf_escape`): a backslash or brace in the data is text, never an
RTF control word, and characters outside ASCII are written as RTF Unicode escapes.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import rtflite

PAGE_ROWS = 40
"""Rows of one landscape page, title, headings and footnote included (rtflite's ``nrow``): a
longer table continues on the next page under its repeated column headings."""


def rtf_escape(text: str) -> str:
    """`text` as RTF text: ``\\`` ``{`` ``}`` escaped, every non-ASCII character as ``\\uN?``
    (N the signed 16-bit code unit; characters beyond the Basic Multilingual Plane as their
    UTF-16 surrogate pair), so the file is plain ASCII.

    References
    ----------
    Microsoft, Rich Text Format (RTF) Specification 1.9.1 (2008), "Escaped expressions" and
    "Unicode RTF" (the ``\\uN`` control word).
    """
    out = []
    for char in text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}"):
        if ord(char) < 128:
            out.append(char)
            continue
        units = char.encode("utf-16-le")
        for i in range(0, len(units), 2):
            unit = int.from_bytes(units[i : i + 2], "little", signed=True)
            out.append(f"\\u{unit}?")
    return "".join(out)


def table_rows(table: Any) -> list[tuple[str, ...]]:
    """The body rows of `table` as full-width tuples: a section row (one cell spanning the
    table) fills the first cell and leaves the others empty."""
    width = len(table.header)
    return [tuple(row) + ("",) * (width - len(row)) for row in table.rows]


def table_rtf(table: Any, number: str) -> str:
    """An RTF document of one table.

    Parameters
    ----------
    table : with ``caption``, ``header``, ``rows`` and ``footnote`` (HtmlTable or Listing)
    number : the TLF number, e.g. "Table 14.2.1", put before the caption

    Returns
    -------
    str : the RTF document (ASCII)
    """
    header = [rtf_escape(h) for h in table.header]
    rows = table_rows(table) or [("",) * len(header)]
    columns = [f"c{i}" for i in range(len(header))]
    frame = pl.DataFrame(
        {col: [rtf_escape(row[i]) for row in rows] for i, col in enumerate(columns)},
        schema={col: pl.String for col in columns},
    )
    widths = [2.0] + [1.0] * (len(header) - 1)
    justify = ["l"] + ["c"] * (len(header) - 1)
    document = rtflite.RTFDocument(
        df=frame,
        rtf_page=rtflite.RTFPage(orientation="landscape", nrow=PAGE_ROWS),
        rtf_title=rtflite.RTFTitle(
            text=[rtf_escape(f"{number}. {table.caption}")], text_convert=False
        ),  # fmt: skip
        rtf_column_header=rtflite.RTFColumnHeader(
            text=header, col_rel_width=widths, text_convert=False
        ),  # fmt: skip
        rtf_body=rtflite.RTFBody(
            col_rel_width=widths, text_justification=[justify], text_convert=False
        ),  # fmt: skip
        rtf_footnote=rtflite.RTFFootnote(
            text=[rtf_escape(n) for n in table.footnote] or [""], text_convert=False
        ),  # fmt: skip
    )
    return document.rtf_encode()
