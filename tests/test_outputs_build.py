"""Tests of the new outputs on the built book (the session's ``built_book``): the Individual
outcomes page, the Listings appendix and the TLF appendix with its RTF files and zip.

Expected values are computed from the shipped data release (never typed from a snapshot)."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, table_captions
from rtf_support import parse_rtf

from ldil2 import contract as c
from ldil2.book.outputs import OUTPUTS, numbered, rtf_path
from ldil2.data.release import load
from ldil2.pipeline.common import zip_bytes
from ldil2.pipeline.site import broken_links
from ldil2.present.individual import EXPLORATORY
from ldil2.results.format import TLF_DIR, tlf_zip_path

pytestmark = pytest.mark.build


def page(built_book: Path, name: str) -> str:
    return (built_book / "html" / f"{name}.html").read_text(encoding="utf-8")


def test_every_numbered_table_has_an_rtf_that_parses_with_its_number_and_caption(built_book):
    tlf = built_book / "html" / TLF_DIR
    for number, output in numbered():
        if output.kind == "Figure":
            continue
        texts = parse_rtf((built_book / "html" / rtf_path(number)).read_text(encoding="ascii"))
        title = texts[0]
        assert title.startswith(f"{number}. "), (number, title)
        assert title.removeprefix(f"{number}. ") in table_captions(
            page(built_book, output.document)
        )
    assert len(list(tlf.glob("*.rtf"))) == sum(o.kind != "Figure" for o in OUTPUTS)


def test_tlf_zip_holds_every_rtf_byte_for_byte_with_fixed_dates(built_book):
    version = load(ROOT / "data", tables=[]).version
    site = built_book / "html"
    data = (site / tlf_zip_path(version)).read_bytes()
    files = {p.name: p.read_bytes() for p in sorted((site / TLF_DIR).glob("*.rtf"))}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(files)
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
        assert {name: archive.read(name) for name in archive.namelist()} == files
    assert data == zip_bytes(files)


def test_tlf_page_numbers_every_output_and_its_links_resolve(built_book):
    text = page(built_book, "chapters/tlf")
    for number, _ in numbered():
        assert f'<th scope="row">{number}</th>' in text
    assert text.index("Table 14.1.1") < text.index("Table 14.2.1") < text.index("Table 14.3.1")
    assert text.index("Table 14.3.1") < text.index("Listing 16.2.1")
    problems = [p for p in broken_links(built_book / "html") if p.startswith("chapters/tlf")]
    assert problems == []


def test_listings_list_every_discontinued_participant_and_every_adverse_event(built_book):
    release = load(ROOT / "data", tables=[c.SUBJECTS, c.ADVERSE_EVENTS])
    subjects = release.subjects
    text = page(built_book, "chapters/listings")
    tables = re.findall(r'<table class="ldil2-table ldil2-listing">.*?</table>', text, re.S)
    assert len(tables) == 3
    discontinued = tables[0]
    gone = subjects.loc[~subjects[c.COMPLETED].astype(bool), c.SUBJECT_ID]
    assert discontinued.count("<tr>") - 2 == len(gone)  # header and footnote rows
    for subject in gone:
        assert f"<td>{subject}</td>" in discontinued
    safety = set(subjects.loc[subjects[c.SAFETY].astype(bool), c.SUBJECT_ID])
    events = release.adverse_events[release.adverse_events[c.SUBJECT_ID].isin(safety)]
    assert tables[2].count("<tr>") - 2 == len(events)
    for term in events[c.AE_TERM].unique():
        assert f"<td>{html.escape(term)}</td>" in tables[2]
    assert "listings.js" in text and "listings.css" in text


def test_individual_page_shows_its_figures_tables_and_the_subgroup_warning(built_book):
    text = page(built_book, "chapters/individual")
    for anchor in ("fig-time-to-acr20", "fig-trajectories", "fig-waterfall-cdai", "fig-subgroups"):
        assert f'id="{anchor}"' in text
    assert text.count('class="ldil2-table"') == 3
    assert html.escape(EXPLORATORY) in text or EXPLORATORY in html.unescape(text)
    assert "Log-rank P" in text and "Interaction P" in text


def test_individual_rows_are_in_the_results_dataset(built_book):
    ard = pd.read_csv(built_book / "results" / "individual.csv")
    assert {"kaplan_meier", "logrank", "interaction_logistic", "interaction_ancova"} <= set(
        ard["analysis"]
    )
    km = ard[(ard["analysis"] == "kaplan_meier") & (ard["stat"] == "N")]
    assert sorted(km["group"]) == sorted(c.ARMS)
