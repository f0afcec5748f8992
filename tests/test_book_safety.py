"""Tests of ldil2.book.safety: the adverse-event table (recorded in the ARD and rendered from it),
the chapter's result bundles on small hand-made releases, and the executed chapter (``build``).

The adverse-event table tests moved here from tests/test_tables.py (ldil2.tables.make_ae_table is
now ldil2.book.safety.make_ae_table); expected values are worked by hand or computed with
statsmodels directly."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest
import yaml
from safety_cases import safety_events, safety_subjects
from statsmodels.stats.proportion import confint_proportions_2indep

from ldil2 import contract as c
from ldil2 import testing
from ldil2.book import safety
from ldil2.pipeline.results import glued_values
from ldil2.present.safety import AE_TITLE, FOLLOW_UP, ae_footnote, ae_table
from ldil2.results.ard import Ard
from ldil2.results.safety import record_ae_terms
from ldil2.stats.safety import COMMON_TERM_PCT, summarise_ae_terms

ROOT = Path(__file__).resolve().parents[1]
RELEASE_INFO = {"is_simulated": True, "version": "2099.1.1"}
RD = "Risk difference, percentage points (95% CI)"


def _ard() -> Ard:
    return Ard(safety.CHAPTER, c.SAFETY)


# ------------------------------------------------------------------ the adverse-event table
def _table_subjects(n_ldil2=3, n_placebo=2):
    ids = [f"A{i}" for i in range(n_ldil2)] + [f"P{i}" for i in range(n_placebo)]
    arms = [c.ARM_LDIL2] * n_ldil2 + [c.ARM_PLACEBO] * n_placebo
    frame = pd.DataFrame({c.SUBJECT_ID: ids, c.ARM: arms})
    return frame.assign(
        **{
            c.SEX: ["F", "F", "M", "M", "F"][: len(ids)],
            c.ITT: True,
            c.SAFETY: [True, True, True, True, False][: len(ids)],
            c.PER_PROTOCOL: True,
        }
    )


def _table_release(**frames):
    return SimpleNamespace(subjects=_table_subjects(), **frames, **RELEASE_INFO)


def test_ae_table_counts_participants_and_events_sorted_and_escaped():
    events = pd.DataFrame(
        {
            c.AE_ID: ["e1", "e2", "e3", "e4", "e5"],
            c.SUBJECT_ID: ["A0", "A0", "A1", "P0", "P1"],  # P1 is not in the safety population
            c.AE_SOC: ["Infections", "Infections", "<b>Skin</b>", "<b>Skin</b>", "Infections"],
            c.AE_TERM: ["Cold", "Cold", "Rash & itch", "Rash & itch", "Cold"],
        }
    )
    table = safety.make_ae_table(_ard(), _table_release(adverse_events=events))
    frame = table.to_frame().set_index("System organ class / preferred term")
    # safety: 3 ldil2, 1 placebo (P1 excluded)
    assert "Ld-IL2 + MTX (N = 3)" in table.header[1]
    assert frame.loc["Any adverse event"].tolist() == ["2 (66.7%)", "3", "1 (100.0%)", "1"]
    # <b>Skin</b>: 2 participants (A1, P0) before Infections: 1 participant (A0, 2 events)
    assert list(frame.index[1:]) == ["<b>Skin</b>", "Rash & itch", "Infections", "Cold"]
    assert frame.loc["Cold"].tolist() == ["1 (33.3%)", "2", "0 (0.0%)", "0"]
    html = table.to_html()
    assert "&lt;b&gt;Skin&lt;/b&gt;" in html and "Rash &amp; itch" in html
    assert "<b>" not in html


def _common_events():
    # safety: A0, A1 (Ld-IL2) and P0, P1 (placebo)
    return pd.DataFrame(
        {
            c.AE_ID: ["E1", "E2", "E3", "E4"],
            c.SUBJECT_ID: ["A0", "A0", "A1", "P0"],
            c.AE_TERM: ["Injection site reaction", "Injection site reaction", "Pneumonia",
                        "Headache"],
            c.AE_SOC: ["General", "General", "Infections", "Nervous system"],
        }
    )  # fmt: skip


def _common_release(events):
    return SimpleNamespace(subjects=_table_subjects(2, 2), adverse_events=events, **RELEASE_INFO)


def test_ae_table_adds_risk_difference_for_common_terms():
    table = safety.make_ae_table(_ard(), _common_release(_common_events()), common_pct=10.0)
    frame = table.to_frame().set_index(table.header[0])
    column = RD
    # injection site reaction: Ld-IL2 1/2 (A0), placebo 0/2 -> +50 points; Newcombe CI direct
    low, high = confint_proportions_2indep(1, 2, 0, 2, method="newcomb", compare="diff")
    assert frame.loc["Injection site reaction", column] == (
        f"50.0 ({100 * low:.1f} to {100 * high:.1f})"
    )
    assert frame.loc["Headache", column].startswith("-50.0 (")
    assert frame.loc["General", column] == ""  # a class row has no difference
    assert "Newcombe" in " ".join(table.footnote)
    frame = safety.make_ae_table(
        _ard(), _common_release(_common_events()), common_pct=60.0
    ).to_frame()
    assert (frame[column] == "").all()  # 50% is no longer common
    plain = safety.make_ae_table(_ard(), _common_release(_common_events()))
    assert column not in plain.header and "Newcombe" not in " ".join(plain.footnote)


def test_ae_table_with_differences_escapes_markup_in_terms_and_classes():
    events = _common_events()
    events.loc[0, c.AE_TERM] = "<script>alert(1)</script>"
    events.loc[2, c.AE_SOC] = "<b>x</b>"
    page = safety.make_ae_table(_ard(), _common_release(events), common_pct=10.0).to_html()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<script>" not in page


def test_ae_table_cells_and_header_are_the_ard_rows():
    release = _common_release(_common_events())
    ard = _ard()
    table = safety.make_ae_table(ard, release, common_pct=10.0)
    frame = table.to_frame().set_index(table.header[0])
    # every term and class is one ARD result; the row of the term is its rows' text
    assert frame.loc["Injection site reaction", table.header[1]] == "1 (50.0%)"
    rid = "ae_pt_injection_site_reaction.all.safety.ldil2.ae_incidence"
    assert (ard.get(rid, "n"), ard.get(rid, "N"), ard.get(rid, "count")) == (1, 2, 2)
    diff = ard.result("ae_pt_injection_site_reaction.all.safety.difference.newcombe")
    assert frame.loc["Injection site reaction", RD] == (
        f"{diff['estimate']:.1f} ({diff['lcl']:.1f} to {diff['ucl']:.1f})"
    )
    # change the ARD rows and render again: the cells and the header's N follow
    terms = summarise_ae_terms(release.subjects, release.adverse_events, c.SAFETY, 10.0)
    rows = record_ae_terms(_ard(), terms, "Any adverse event")
    changed = Ard(ard.chapter, ard.population)
    for row in ard.rows():
        if row.key == (rid, "count"):
            row = dataclasses.replace(row, value=9)
        if row.result_id == "ae_any.all.safety.ldil2.ae_incidence" and row.stat == "N":
            row = dataclasses.replace(row, value=4)
        changed.add(row)
    again = ae_table(changed, rows, AE_TITLE, ae_footnote(10.0), differences=True)
    frame = again.to_frame().set_index(again.header[0])
    assert frame.loc["Injection site reaction", again.header[2]] == "9"
    assert "(N = 4)" in again.header[1] and "n = 4" in again.caption


def test_ae_table_ids_are_stable_and_unique_for_repeated_terms():
    events = _common_events()
    events.loc[3, c.AE_TERM] = "Injection site reaction"  # the same term in another class
    ard = _ard()
    safety.make_ae_table(ard, _common_release(events))
    endpoints = {row.endpoint for row in ard.rows()}
    assert {"ae_pt_injection_site_reaction", "ae_pt_injection_site_reaction_2"} <= endpoints


# -------------------------------------------------------------------- the chapter's results


def _release(events: pd.DataFrame) -> SimpleNamespace:
    """The five participants of safety_cases with ``events``."""
    return SimpleNamespace(
        subjects=safety_subjects(), adverse_events=events, is_simulated=True, version="test"
    )


def test_adverse_events_result_terms_table_is_the_safety_ae_table_with_differences():
    ch = SimpleNamespace(release=_release(safety_events()), population=c.PER_PROTOCOL)
    result = safety.adverse_events_result(ch)
    table = result.tables["safety_terms_table"]
    assert table.caption.startswith(
        f"Adverse events by system organ class and preferred term, {FOLLOW_UP}, safety"
    )
    assert table.header[-1] == RD
    # safety population: S1, S2 (Ld-IL2) and S4, S5 (placebo); S3 was never dosed
    assert "Ld-IL2 + MTX (N = 2)" in table.header[1]
    assert f"at least {COMMON_TERM_PCT:g}%" in " ".join(table.footnote)
    assert result.values["safety_common_pct"] == f"{COMMON_TERM_PCT:g}%"


def test_adverse_events_result_values_are_rendered_from_its_ard():
    ch = SimpleNamespace(release=_release(safety_events()), population=c.PER_PROTOCOL)
    result = safety.adverse_events_result(ch)
    ard = result.ard
    rid = "ae_any.all.safety.ldil2.ae_incidence"
    assert result.values["safety_any_ldil2"] == "2/2 (100.0%)"
    assert (ard.get(rid, "n"), ard.get(rid, "N")) == (2, 2)
    diff = ard.result("ae_any.all.safety.difference.newcombe")
    assert result.values["safety_any_rd"] == (
        f"{diff['estimate']:.1f} percentage points (95% CI {diff['lcl']:.1f} to {diff['ucl']:.1f})"
    )
    # the overview's and the terms table's row of any adverse event is one result
    keys = [row.key for row in ard.rows()]
    assert len(keys) == len(set(keys))
    assert all(row.population == c.SAFETY for row in ard.rows())


def test_safety_facts_counts_the_safety_population_and_events():
    ch = SimpleNamespace(release=_release(safety_events()), population=c.PER_PROTOCOL)
    result = safety.safety_facts(ch)
    assert (result.values["safety_n_ldil2"], result.values["safety_n_placebo"]) == (2, 2)
    assert result.values["safety_n_events"] == 4  # E1-E4, all in the safety population
    assert result.ard.get("ae_any.all.safety.all.ae_incidence", "count") == 4


def test_ae_onset_result_counts_events_on_dosing_days():
    ch = SimpleNamespace(release=_release(safety_events()), population=c.PER_PROTOCOL)
    result = safety.ae_onset_result(ch)
    # Ld-IL2 onsets days 2, 30 (dosing) and 20 (break); placebo day 60 (dosing)
    assert result.values["safety_onset_in_cycle_ldil2"] == "2/3 (66.7%)"
    assert result.values["safety_onset_in_cycle_placebo"] == "1/1 (100.0%)"
    assert result.values["safety_dosing_share"] == "42 of 168 days (25%)"
    assert "safety_onset_fig" in result.figures


# ------------------------------------------------------------------ the chapter, executed
def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / name)


@pytest.mark.build
def test_safety_chapter_on_shipped_data_glues_counts_from_the_files(built_book):
    notebook = nbformat.read(built_book / "stage" / "chapters" / "safety.ipynb", as_version=4)
    values = glued_values(notebook)
    subjects = _csv(c.SUBJECTS)
    dosed = subjects[subjects[c.SAFETY]]
    events = _csv(c.ADVERSE_EVENTS)
    # counted directly from the CSV files
    assert values["safety_n_ldil2"] == str((dosed[c.ARM] == c.ARM_LDIL2).sum())
    assert values["safety_n_placebo"] == str((dosed[c.ARM] == c.ARM_PLACEBO).sum())
    assert values["safety_n_events"] == str(len(events))
    with_ae = events.merge(dosed, on=c.SUBJECT_ID)
    n_any = with_ae.loc[with_ae[c.ARM] == c.ARM_LDIL2, c.SUBJECT_ID].nunique()
    assert values["safety_any_ldil2"].startswith(f"'{n_any}/")


@pytest.mark.build
def test_built_safety_page_has_its_tables_and_figures(built_book):
    page = (built_book / "html" / "chapters" / "safety.html").read_text(encoding="utf-8")
    for caption in (
        "Study-drug exposure by dosing cycle",
        "Adverse events, weeks 0-24",
        "Adverse events by system organ class and preferred term",
        "Laboratory shift from baseline to the worst value",
        "Laboratory reference ranges",
    ):
        assert caption in page
    assert page.count("<table") >= 5
    for figure in ("fig-safety-onset", "fig-safety-labs"):
        assert f'id="{figure}"' in page
    assert page.count("<img") >= 2


def _build_pages(site: Path, notebooks: list[Path]) -> Path:
    """A minimal Jupyter Book of already executed notebooks (first = root page), built strictly
    with the book's pinned jupyter-book; returns the html folder."""
    site.mkdir(parents=True)
    for notebook in notebooks:
        shutil.copyfile(notebook, site / notebook.name)
    config = {
        "title": "test edition",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "sphinx": {"config": {"nb_merge_streams": True}},
    }
    (site / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    toc = {"format": "jb-book", "root": notebooks[0].stem}
    if notebooks[1:]:
        toc["chapters"] = [{"file": nb.stem} for nb in notebooks[1:]]
    (site / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(book), "build", str(site), "-W", "-n", "--keep-going", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return site / "_build" / "html"


@pytest.mark.build
def test_safety_chapter_small_release_no_placebo_events_and_markup_terms(execute, tmp_path):
    """A small release with no adverse events on placebo, a missing immunology visit, and AE
    text holding HTML markup: the chapter runs, and the built page shows the markup as text."""
    data_dir = testing.small_release(tmp_path / "release", no_adverse_events_in=c.ARM_PLACEBO)
    assert testing.drop_rows(data_dir, c.IMMUNOLOGY, week=c.END_OF_TREATMENT_WEEK) > 0
    testing.set_value(data_dir, c.ADVERSE_EVENTS, 2, c.AE_TERM, "<script>alert(1)</script>")
    testing.set_value(data_dir, c.ADVERSE_EVENTS, 3, c.AE_TERM, "<b>x</b>")
    testing.set_value(data_dir, c.ADVERSE_EVENTS, 3, c.AE_SOC, "Soc & <i>class</i>")
    run = execute("safety", data_dir=data_dir)
    values = run.glued
    assert values["safety_any_placebo"].startswith("'0/")
    assert values["safety_onset_in_cycle_placebo"] == "'0/0 (NA)'"
    html = _build_pages(tmp_path / "site", [tmp_path / "executed" / "safety.ipynb"])
    page = (html / "safety.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "Soc &amp; &lt;i&gt;class&lt;/i&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert "<b>x</b>" not in page
    assert "<i>class</i>" not in page
    assert page.count("<table") >= 5 and page.count("<img") >= 2
