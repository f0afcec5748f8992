"""Tables as RTF files, for a clinical study report: each captioned table of the book (a
:class:`ldil2.present.tables.HtmlTable` or a :class:`ldil2.present.listings.Listing`) in
rtflite's layout, landscape letter-size pages, the TLF number and caption as title, the column
headings repeated on every page, the footnote under the table.

rtflite encodes the document, its page settings, page breaks and title
(``rtflite.services.RTFEncodingService``) and measures each text (``rtflite.strwidth``) to
break the pages where rtflite does; the table rows are written here, one pass over the cells,
with the control words rtflite gives a table body of this layout. rtflite's own body encoder
builds about twenty validated objects per cell (about 60 s for the 40,000-row efficacy listing
of a 4,700-participant release); this writer gives the same bytes
(``tests/test_rtf.py`` compares them) in about a second.

No date or time is written, so the same table gives the same bytes in every build. Every text
is escaped first (:func:`rtf_escape`): a backslash or brace in the data is text, never an RTF
control word, and characters outside ASCII are written as RTF Unicode escapes.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from functools import cache, lru_cache
from itertools import accumulate
from typing import Any

import numpy as np
import rtflite
import rtflite.fonts
from PIL import ImageFont
from rtflite.fonts_mapping import FontMapping
from rtflite.services import RTFEncodingService

PAGE_ROWS = 40
"""Rows of one landscape page, title, headings and footnote included (rtflite's ``nrow``): a
longer table continues on the next page under its repeated column headings."""

PAGE = rtflite.RTFPage(orientation="landscape", nrow=PAGE_ROWS)
"""The page: rtflite's landscape letter size and margins; the table is ``PAGE.col_width`` wide."""

BODY_FONT_SIZE = 9
"""Points, headings, body and footnote (rtflite's default ``fs18``)."""

TWIPS_PER_INCH = 1440
SINGLE, DOUBLE = "\\brdrs", "\\brdrdb"
"""Border styles: rtflite's single line around the body, double above the headings of the first
page and below the table."""

RIGHT, LINE = "\\clbrdrr\\brdrs\\brdrw15", "\\line "
"""The single right border of a row's last cell; the line break between footnote paragraphs."""

_ENCODER = RTFEncodingService()


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


def column_edges(n: int) -> list[float]:
    """The right edge of each of `n` columns in inches from the table's left edge: the first
    column twice as wide as each other, the table ``PAGE.col_width`` wide."""
    relative = [2.0] + [1.0] * (n - 1)
    return list(accumulate(w * PAGE.col_width / sum(relative) for w in relative))


@cache
def _body_font() -> ImageFont.FreeTypeFont:
    """rtflite's font number 1 (its metric-compatible Times New Roman) at the body size, opened
    once: rtflite's ``get_string_width`` opens the font file on every call (1.5 s for the cells
    of the 100-fold listings), and measures as :func:`_width` does."""
    name = FontMapping.get_font_number_to_name_mapping()[1]
    path = importlib.resources.files(rtflite.fonts) / FontMapping.get_font_paths()[name]
    return ImageFont.truetype(str(path), size=BODY_FONT_SIZE)


def _width(text: str) -> float:
    """The width of `text` in inches in the body font: Pillow's advance length at 72 dpi, the
    value of ``rtflite.strwidth.get_string_width(text, font=1, font_size=BODY_FONT_SIZE)``."""
    return _body_font().getlength(text) / 72.0


@lru_cache(maxsize=1 << 16)
def _lines(text: str, width: float) -> int:
    """Lines `text` takes in a column `width` inches wide, as rtflite's pagination counts
    them: its width in 9-point Times New Roman (rtflite's metric-compatible font), divided by
    the column width, plus one."""
    return max(1, int(_width(text) / width) + 1)


def page_starts(
    cells: Sequence[Sequence[str]], edges: Sequence[float], footnote: bool
) -> list[int]:
    """The first row of each page: rows are added to a page while their lines fit in
    ``PAGE.nrow`` less the headings row and the footnote row (rtflite's count; a row taller than
    a page gets a page of its own); a row's lines are those of its tallest cell."""
    widths = np.diff([0.0, *edges])
    room = max(1, PAGE.nrow - 1 - int(footnote))
    starts, used = [0], 0
    for i, row in enumerate(cells):
        height = max(_lines(text, width) for text, width in zip(row, widths, strict=True))
        if used + height > room and used > 0:
            starts.append(i)
            used = 0
        used += height
    return starts


def _row(texts: Sequence[str], twips: Sequence[int], top: str, bottom: str, kind: str) -> str:
    """One table row as rtflite writes it: the cell definitions (left borders single, the right
    border of the last cell single, `top` and `bottom` styles, "" for none), then the texts;
    `kind` "heading" (centred, bottom-aligned) or "body" (first column left-aligned, the others
    centred, top-aligned)."""
    right = [""] * (len(twips) - 1) + [RIGHT]
    align = "\\clvertalb" if kind == "heading" else "\\clvertalt"
    justify = ["c"] * len(texts) if kind == "heading" else ["l"] + ["c"] * (len(texts) - 1)
    defs = "".join(
        f"\\clbrdrl\\brdrs\\brdrw15\\clbrdrt{top}\\brdrw15{r}\\clbrdrb{bottom}\\brdrw15"
        f"{align}\\cellx{edge}\n"
        for r, edge in zip(right, twips, strict=True)
    )
    body = "".join(
        f"\\pard\\hyphpar0\\sb15\\sa15\\fi0\\li0\\ri0\\q{q}\\fs18{{\\f0 {text}}}\\cell\n"
        for q, text in zip(justify, texts, strict=True)
    )
    return f"\\trowd\\trgaph108\\trleft0\\trqc\n{defs}{body}\\intbl\\row\\pard"


def _footnote_row(notes: Sequence[str], edge: int) -> str:
    """The footnote under the table: one cell across it, its paragraphs as lines."""
    return (
        "\\trowd\\trgaph108\\trleft0\\trqc\n"
        f"\\clbrdrl\\brdrs\\brdrw15\\clbrdrt{SINGLE}\\brdrw15{RIGHT}"
        f"\\clbrdrb{DOUBLE}\\brdrw15\\clvertalt\\cellx{edge}\n"
        f"\\pard\\hyphpar\\sb15\\sa15\\fi0\\li0\\ri0\\ql\\fs18{{\\f0 {LINE.join(notes)}}}"
        "\\cell\n\\intbl\\row\\pard"
    )


def _escaped(rows: list[tuple[str, ...]]) -> list[list[str]]:
    """Every cell escaped (:func:`rtf_escape`), each distinct text once."""
    escape = cache(rtf_escape)
    return [[escape(text) for text in row] for row in rows]


def table_rtf(table: Any, number: str) -> str:
    """An RTF document of one table.

    Parameters
    ----------
    table : with ``caption``, ``header``, ``rows`` and ``footnote`` (HtmlTable or Listing)
    number : the TLF number, e.g. "Table 14.2.1", put before the caption

    Returns
    -------
    str : the RTF document (ASCII); an empty table has one empty row
    """
    header = [rtf_escape(h) for h in table.header]
    cells = _escaped(table_rows(table) or [("",) * len(header)])
    notes = [rtf_escape(n) for n in table.footnote]
    edges = column_edges(len(header))
    twips = [round(edge * TWIPS_PER_INCH) for edge in edges]
    title = _ENCODER.encode_title(
        rtflite.RTFTitle(text=[rtf_escape(f"{number}. {table.caption}")], text_convert=False)
    )
    starts = page_starts(cells, edges, bool(notes))
    pages = []
    for page, (start, stop) in enumerate(zip(starts, [*starts[1:], len(cells)], strict=True)):
        last = stop == len(cells)
        chunks = [] if page == 0 else [_ENCODER.encode_page_break(PAGE, _margins)]
        chunks += [title, "\n", _row(header, twips, DOUBLE if page == 0 else SINGLE, "", "heading")]
        for i in range(start, stop):
            top = SINGLE if i == start else ""
            bottom = ("" if notes else DOUBLE) if last else SINGLE
            chunks.append(_row(cells[i], twips, top, bottom if i == stop - 1 else "", "body"))
        if last and notes:
            chunks.append(_footnote_row(notes, twips[-1]))
        pages.append("\n".join(chunks))
    return "\n".join(
        [
            _ENCODER.encode_document_start(),
            _ENCODER.encode_font_table(),
            _ENCODER.encode_color_table(None, []),
            "\n",
            _ENCODER.encode_page_header(None),
            _ENCODER.encode_page_footer(None),
            _ENCODER.encode_page_settings(PAGE),
            *pages,
            "\n\n",
            "}",
        ]
    )


def _margins() -> str:
    return _ENCODER.encode_page_margin(PAGE)
