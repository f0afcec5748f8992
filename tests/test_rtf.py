"""Tests of ldil2.present.rtf: escaping, the RTF of a table read back by an independent reader
(tests/rtf_support.py), the same bytes as rtflite's own table encoder (the layout the writer
reproduces), page breaks, and the same bytes in two processes."""

from __future__ import annotations

import os
import string
import subprocess
import sys

import polars as pl
import pytest
import rtflite
from hypothesis import given, settings
from hypothesis import strategies as st
from rtf_support import RtfError, parse_rtf
from rtflite.strwidth import get_string_width

from ldil2.present import rtf
from ldil2.present.listings import Listing
from ldil2.present.rtf import PAGE_ROWS, rtf_escape, table_rows, table_rtf
from ldil2.present.tables import HtmlTable

TRICKY = "<b>Pyrexia</b> {x} a\\b é ≥ 😀"


def _table() -> HtmlTable:
    return HtmlTable(
        caption="ACR20 at week 24, per-protocol population (Ld-IL2 + MTX n = 17)",
        header=("Measure", "Ld-IL2 + MTX", "Placebo + MTX"),
        rows=(("Infections",), (TRICKY, "1/17 (5.9%)", "0/23 (0.0%)")),
        footnote=("Newcombe hybrid-score 95% CI.", "Simulated data. Release 2026.11.1."),
        kinds=("section", "indent"),
    )


def test_rtf_escape_makes_ascii_and_escapes_control_characters():
    assert rtf_escape("a\\b{c}") == "a\\\\b\\{c\\}"
    assert rtf_escape("é≥") == "\\u233?\\u8805?"
    assert rtf_escape("😀") == "\\u-10179?\\u-8704?"  # UTF-16 surrogate pair, signed


def test_table_rtf_reads_back_every_text():
    texts = parse_rtf(table_rtf(_table(), "Table 14.3.2"))
    title = "Table 14.3.2. ACR20 at week 24, per-protocol population (Ld-IL2 + MTX n = 17)"
    assert title in texts
    for text in ("Measure", "Infections", TRICKY, "1/17 (5.9%)", "0/23 (0.0%)"):
        assert text in texts
    assert "Newcombe hybrid-score 95% CI." in texts


def rtflite_table_rtf(table, number: str) -> str:
    """The reference: the table encoded by rtflite's RTFDocument (its paginator and body
    encoder), with the layout of :func:`table_rtf` (widths 2:1:..., first column left-aligned,
    9-point body, footnote paragraphs as lines)."""
    header = [rtf_escape(h) for h in table.header]
    rows = table_rows(table) or [("",) * len(header)]
    columns = [f"c{i}" for i in range(len(header))]
    frame = pl.DataFrame(
        {col: [rtf_escape(row[i]) for row in rows] for i, col in enumerate(columns)},
        schema={col: pl.String for col in columns},
    )
    widths = [2.0] + [1.0] * (len(header) - 1)
    justify = ["l"] + ["c"] * (len(header) - 1)
    return rtflite.RTFDocument(
        df=frame,
        rtf_page=rtflite.RTFPage(orientation="landscape", nrow=PAGE_ROWS),
        rtf_title=rtflite.RTFTitle(
            text=[rtf_escape(f"{number}. {table.caption}")], text_convert=False
        ),
        rtf_column_header=rtflite.RTFColumnHeader(
            text=header, col_rel_width=widths, text_convert=False
        ),
        rtf_body=rtflite.RTFBody(
            col_rel_width=widths, text_justification=[justify], text_convert=False
        ),
        rtf_footnote=rtflite.RTFFootnote(
            text=[rtf_escape(n) for n in table.footnote] or [""], text_convert=False
        ),
    ).rtf_encode()


WORDS = ["S001", "Ld-IL2 + MTX", "Placebo + MTX", "12.5", "", "Yes", TRICKY, "w" * 120,
         "Musculoskeletal and connective tissue disorders", "long text " * 40]  # fmt: skip
"""Cell texts: short, escaped, wider than a column (wrapping onto several lines), taller than a
page."""

cell = st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join)


@st.composite
def listings(draw) -> Listing:
    width = draw(st.integers(1, 11))
    rows = draw(st.lists(st.tuples(*[cell] * width), max_size=3 * PAGE_ROWS))
    notes = draw(st.lists(cell.map(lambda t: f"{t} note."), max_size=2))
    header = tuple(f"H{j} {draw(cell)}" for j in range(width))
    return Listing(f"Listing of {draw(cell)}", header, tuple(rows), tuple(notes))


@settings(max_examples=60, deadline=None)
@given(listings())
def test_table_rtf_same_bytes_as_rtflite(listing):
    assert table_rtf(listing, "Listing 16.2.7") == rtflite_table_rtf(listing, "Listing 16.2.7")


def test_table_rtf_same_bytes_as_rtflite_with_section_rows():
    assert table_rtf(_table(), "Table 14.3.2") == rtflite_table_rtf(_table(), "Table 14.3.2")


@pytest.mark.parametrize("notes", [(), ("Note.",)])
@pytest.mark.parametrize("n", [PAGE_ROWS - 2, PAGE_ROWS - 1, 2 * PAGE_ROWS - 1])
def test_table_rtf_same_bytes_as_rtflite_at_a_full_page(n, notes):
    listing = Listing(
        "Events", ("Participant", "Term"), tuple((f"S{i}", "x") for i in range(n)), notes
    )
    assert table_rtf(listing, "Listing 1") == rtflite_table_rtf(listing, "Listing 1")


def test_table_rtf_breaks_pages_under_repeated_headings():
    room = PAGE_ROWS - 2  # less the headings row and the footnote row
    rows = tuple((f"S{i:03d}", "Rash") for i in range(2 * room + 1))
    text = table_rtf(Listing("Events", ("Participant", "Term"), rows, ("Note.",)), "Listing 1")
    pages = text.split("\\page")
    assert len(pages) == 3 and all("{\\f0 Participant}" in page for page in pages)
    assert "S037}" in pages[0] and "S038}" in pages[1] and pages[2].count("S0") == 1


def test_listing_rtf_reads_back():
    listing = Listing("Adverse events by participant", ("Participant", "Term"), (("S001", "Rash"),))
    texts = parse_rtf(table_rtf(listing, "Listing 16.2.7"))
    assert "Listing 16.2.7. Adverse events by participant" in texts and "Rash" in texts


@pytest.mark.parametrize("broken", ["{\\rtf1 {a}", "{\\rtf1 a}}", "{\\rtf0 a}", "{\\rtf1 é}"])
def test_rtf_reader_rejects_broken_documents(broken):
    with pytest.raises(RtfError):
        parse_rtf(broken)


def test_table_rtf_same_bytes_in_two_processes():
    code = (
        "import sys; sys.path.insert(0, 'tests'); from test_rtf import _table; "
        "from ldil2.present.rtf import table_rtf; "
        "sys.stdout.write(table_rtf(_table(), 'Table 14.3.2'))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, PYTHONHASHSEED=seed),
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and outputs.pop() == table_rtf(_table(), "Table 14.3.2")


def test_cell_widths_are_rtflites_string_widths():
    """The body font is opened once, and measures every text exactly as rtflite's own
    get_string_width (the pagination, and so the bytes, follow from it)."""
    texts = ["", "Yes", "Ld-IL2 + MTX", "12.5", "é ü ≥ 20%", "Injection-site reaction (grade 2)"]
    visible = string.ascii_letters + string.digits + string.punctuation + " "
    texts += [visible[i : i + j] for i in range(0, 90, 7) for j in (1, 9, 40)]
    for text in texts:
        assert rtf._width(text) == get_string_width(text, font=1, font_size=rtf.BODY_FONT_SIZE)
