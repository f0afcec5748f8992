"""Tests of ldil2.present.rtf: escaping, the RTF of a table read back by an independent reader
(tests/rtf_support.py), and the same bytes in two processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rtf_support import RtfError, parse_rtf

from ldil2.present.listings import Listing
from ldil2.present.rtf import rtf_escape, table_rtf
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
