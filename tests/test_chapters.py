"""The efficacy chapters as executed and built: Primary and Secondary through papermill on a small
release with missing visits (observed cases and ITT with non-responder imputation), and the built
pages of methods, participants, primary, secondary, CONSORT and data contract."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, assert_glued_outputs_well_formed, notebook_errors

from ldil2 import contract as c
from ldil2.data.release import load

CHAPTERS = ("methods", "participants", "primary", "secondary", "consort", "data_contract")


SMALL_RUNS = [
    ("primary", {}),
    ("secondary", {}),
    ("primary", {"population": "itt", "imputation": "nri"}),
    ("secondary", {"population": "itt", "imputation": "nri"}),
]


@pytest.mark.parametrize(("chapter", "overrides"), SMALL_RUNS)
def test_chapter_executes_on_small_release_with_missing_visits(
    execute, small_release, chapter, overrides
):
    executed = execute(chapter, overrides, data_dir=small_release)
    values = executed.glued
    assert notebook_errors(executed.notebook) == []
    population = overrides.get("population", c.PER_PROTOCOL)
    assert c.POPULATION_LABELS[population] in values["population_label"]
    n_n = r"'\d+/\d+ \(\d+\.\d%\)'"  # e.g. '4/5 (80.0%)'
    if chapter == "primary":
        assert re.fullmatch(n_n, values[f"acr20_w{c.LAST_WEEK}_ldil2_nN"])
        expected_n = {c.PER_PROTOCOL: "5", c.ITT: "6"}[population]  # completers vs randomized
        assert values["n_ldil2"] == expected_n
        denominator = values[f"acr20_w{c.LAST_WEEK}_ldil2_nN"].split("/")[1].split(" ")[0]
        assert denominator == expected_n  # NRI (ITT) keeps the withdrawn participant
    if chapter == "secondary":
        assert re.fullmatch(n_n, values[f"haq_mcid_w{c.LAST_WEEK}_placebo_nN"])
    assert_glued_outputs_well_formed(executed.notebook)


PRIMARY_ABSTRACT = ("70.6%", "43.5%", "76.5%", "56.5%")
"""The abstract's ACR20 percentages (weeks 12 and 24, Ld-IL2 then placebo)."""


@pytest.mark.build
def test_built_primary_page_shows_the_abstract_acr20_percentages(built_book):
    page = (built_book / "html" / "chapters" / "primary.html").read_text(encoding="utf-8")
    for percent in PRIMARY_ABSTRACT:
        # glued into the prose from the computation, and in the published-vs-book table
        assert page.count(percent) >= 2, percent
    assert "12/17 (70.6%)" in page and "10/23 (43.5%)" in page


FIGURES_AND_TABLES = {
    "methods": (1, 11),
    "participants": (1, 3),
    "primary": (3, 6),
    "secondary": (6, 7),
    "consort": (0, 0),
    "data_contract": (0, 2),
}
"""Figures and tables each chapter glues (see the chapter sources)."""


@pytest.mark.build
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_built_chapter_has_figures_tables_and_no_error_output(built_book, chapter):
    page = (built_book / "html" / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    assert "Traceback" not in page and "output stderr" not in page and "output error" not in page
    assert load(ROOT / "data", tables=[]).version in page
    n_figures, n_tables = FIGURES_AND_TABLES[chapter]
    # a result table is a figure of its own (caption, scrolling box, footnote): not counted
    assert page.count("<figure") - page.count('<figure class="ldil2-table-figure') == n_figures
    assert page.count('class="ldil2-table"') == n_tables
    for image in re.findall(r"<img [^>]*_images/[^>]*>", page):
        assert re.search(r'alt="[^"]+"', image), image


@pytest.mark.build
def test_built_consort_checklist_links_resolve_to_sections(built_book):
    html_dir = built_book / "html" / "chapters"
    page = (html_dir / "consort.html").read_text(encoding="utf-8")
    for label in ("participants-flow", "participants-baseline", "primary-acr20", "methods-missing"):
        assert f"#{label}" in page, label
        target = {"participants": "participants.html", "primary": "primary.html",
                  "methods": "methods.html"}[label.split("-")[0]]  # fmt: skip
        assert f'id="{label}"' in (html_dir / target).read_text(encoding="utf-8"), label
