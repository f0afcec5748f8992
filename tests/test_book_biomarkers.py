"""Tests of ldil2.book.biomarkers: the chapter's result bundles on small hand-made releases
(values rendered from their ARD rows) and the executed chapter (``build``; the ITT/NRI run
executes the chapter through papermill)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest
from marker_cases import immunology_frame, marker_subjects

from ldil2 import contract as c
from ldil2 import testing
from ldil2.book import biomarkers as bm
from ldil2.pipeline.results import glued_values
from ldil2.results.ard import Ard

ROOT = Path(__file__).resolve().parents[1]


def test_sample_size_values_counts_ldil2_responders():
    frame = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 4 + [c.ARM_PLACEBO] * 2,
            "response": [True, True, True, False, True, False],
        }
    )
    values = bm.sample_size_values(Ard(bm.CHAPTER, c.PER_PROTOCOL), frame)
    assert (values["bio_assoc_n"], values["bio_assoc_responders"]) == (4, 3)
    assert (values["bio_assoc_non_responders"], values["bio_assoc_n_placebo"]) == (1, 2)
    # n p (1 - p) = 4 * 0.75 * 0.25 = 0.75; (1.959964 + 0.841621) / sqrt(0.75) = 3.2350;
    # exp = 25.4
    assert values["bio_assoc_detectable_or"] == "25.4"
    all_respond = bm.sample_size_values(
        Ard(bm.CHAPTER, c.PER_PROTOCOL), frame.assign(response=True)
    )
    assert all_respond["bio_assoc_detectable_or"] == "NA"


def test_course_result_glues_means_at_cycle_ends_and_starts():
    subjects = marker_subjects([c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO])
    # Ld-IL2 Treg %: week 0 (4, 6) -> mean 5; week 2 (8, 9) -> 8.5; week 4 (5, 5) -> 5;
    # week 24 (4, 5) -> 4.5; weeks 6, 8, 10 not sampled
    rows = [("S0", 0, 4, 1), ("S1", 0, 6, 1), ("S0", 2, 8, 1), ("S1", 2, 9, 1)]
    rows += [("S0", 4, 5, 1), ("S1", 4, 5, 1), ("S0", 24, 4, 1), ("S1", 24, 5, 1)]
    rows += [("S2", 0, 5, 1)]
    ch = SimpleNamespace(
        release=SimpleNamespace(subjects=subjects, immunology=immunology_frame(rows)),
        population=c.PER_PROTOCOL,
    )
    values = bm.course_result(ch, ("treg_pct_cd4",), "treg").values
    assert values["bio_treg_base_ldil2"] == "5.00 (week 0)"
    assert values["bio_treg_ends_ldil2"] == "8.50 (week 2)"
    assert values["bio_treg_starts_ldil2"] == "5.00 (week 4)"
    assert values["bio_treg_last_ldil2"] == "4.50 (week 24)"
    assert values["bio_treg_ends_placebo"] == "not sampled"


def test_course_result_records_every_plotted_mean():
    subjects = marker_subjects([c.ARM_LDIL2, c.ARM_PLACEBO])
    rows = [("S0", 0, 4, 1), ("S0", 2, 8, 1), ("S1", 0, 5, 1)]
    ch = SimpleNamespace(
        release=SimpleNamespace(subjects=subjects, immunology=immunology_frame(rows)),
        population=c.PER_PROTOCOL,
    )
    result = bm.course_result(ch, bm.TREG_COURSE, "treg")
    endpoints = {row.endpoint for row in result.ard.rows()}
    assert endpoints == set(bm.TREG_COURSE)  # both panels of the figure
    assert result.ard.get("treg_pct_cd4.w2.pp.ldil2.mean_t", "mean") == 8.0
    assert result.values["bio_treg_base_placebo"] == "5.00 (week 0)"


def test_biomarker_facts_weeks_and_sampled_per_arm_from_rows():
    subjects = marker_subjects([c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO])
    subjects.loc[2, c.PER_PROTOCOL] = False  # S2 is not analysed
    rows = [("S0", 0, 4, 1), ("S0", 12, 8, 1), ("S1", 0, 5, 1), ("S2", 24, 5, 1)]
    ch = SimpleNamespace(
        release=SimpleNamespace(subjects=subjects, immunology=immunology_frame(rows)),
        population=c.PER_PROTOCOL,
    )
    result = bm.biomarker_facts(ch)
    assert result.values["bio_weeks"] == "0, 12"
    assert (result.values["bio_sampled_ldil2"], result.values["bio_sampled_placebo"]) == (2, 0)
    assert result.ard.get("immunology_sampled.w0.pp.all.count", "n") == 2


# ------------------------------------------------------------------ the chapter, executed
@pytest.mark.build
def test_biomarkers_chapter_on_shipped_data_glues_counts_from_the_files(built_book):
    notebook = nbformat.read(built_book / "stage" / "chapters" / "biomarkers.ipynb", as_version=4)
    values = glued_values(notebook)
    subjects = pd.read_csv(ROOT / "data" / c.SUBJECTS)
    immunology = pd.read_csv(ROOT / "data" / c.IMMUNOLOGY)
    # counted directly from the CSV files: per-protocol participants with an immunology sample
    sampled = immunology.merge(subjects[subjects[c.PER_PROTOCOL]], on=c.SUBJECT_ID)
    per_arm = sampled.groupby(c.ARM)[c.SUBJECT_ID].nunique()
    assert values["bio_sampled_ldil2"] == str(per_arm[c.ARM_LDIL2])
    assert values["bio_sampled_placebo"] == str(per_arm[c.ARM_PLACEBO])
    weeks = sorted(immunology[c.WEEK].unique())
    assert values["bio_weeks"] == repr(", ".join(str(w) for w in weeks))
    assert int(values["bio_assoc_n"]) <= per_arm[c.ARM_LDIL2]


@pytest.mark.build
def test_built_biomarkers_page_has_its_tables_and_figures(built_book):
    page = (built_book / "html" / "chapters" / "biomarkers.html").read_text(encoding="utf-8")
    assert "Change from baseline in immunological markers" in page
    assert "Baseline Treg % and IL-21 and ACR20 response at week 24" in page
    assert page.count("<table") >= 2
    for figure in ("fig-bio-treg", "fig-bio-th17", "fig-bio-roc"):
        assert f'id="{figure}"' in page
    assert page.count("<img") >= 3


def test_biomarkers_chapter_itt_nri_with_a_missing_immunology_visit(execute, tmp_path):
    data_dir = testing.small_release(tmp_path / "release", no_adverse_events_in=c.ARM_PLACEBO)
    assert testing.drop_rows(data_dir, c.IMMUNOLOGY, week=c.END_OF_TREATMENT_WEEK) > 0
    first = testing.read_text_table(data_dir, c.IMMUNOLOGY)[c.SUBJECT_ID].iloc[0]
    assert testing.drop_rows(data_dir, c.IMMUNOLOGY, subject_id=first, week=0) == 1
    values = execute("biomarkers", {"population": "itt", "imputation": "nri"}, data_dir).glued
    assert str(c.END_OF_TREATMENT_WEEK) not in values["bio_weeks"].strip("'").split(", ")
    # ITT with non-responder imputation: every randomized Ld-IL2 participant has a response
    subjects = testing.read_text_table(data_dir, c.SUBJECTS)
    assert values["bio_assoc_n"] == str((subjects[c.ARM] == c.ARM_LDIL2).sum())
    # the change table reports week 24 only (its repr holds the caption)
    assert "immunological markers, week 24," in values["bio_change_table"]
    for name in ("bio_change_table", "bio_association_table", "bio_treg_fig", "bio_roc_fig"):
        assert name in values


def _response_frame(n: int = 40, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            c.ARM: np.where(np.arange(n) % 2 == 0, c.ARM_LDIL2, c.ARM_PLACEBO),
            c.TREG_PCT: rng.normal(5, 1, size=n),
            "response": rng.random(n) < 0.6,
        }
    )


def test_marker_results_values_are_the_ard_rows_and_nri_is_another_analysis():
    ard = Ard(bm.CHAPTER, c.PER_PROTOCOL)
    ids, values, roc = bm.marker_results(ard, _response_frame(), c.TREG_PCT, "lower")
    r = ard.result(ids[f"or_{c.ARM_LDIL2}"])
    assert values["bio_treg_pct_cd4_or"].startswith(f"OR {r['estimate']:.2f} per SD (95% CI ")
    assert values["bio_treg_pct_cd4_auc"] == (
        f"AUC {roc.auc:.2f} (95% CI {roc.ci_low:.2f} to {roc.ci_high:.2f})"
    )
    assert ard.row(ids["auc"], "estimate").analysis == "roc_delong"
    nri = Ard(bm.CHAPTER, c.ITT)
    ids, _, _ = bm.marker_results(nri, _response_frame(), c.TREG_PCT, "lower", "nri")
    row = nri.row(ids["interaction"], "estimate")
    assert (row.analysis, row.result_id) == (
        "logistic_interaction_nri",
        "treg_pct_cd4.w24.itt.difference.logistic_interaction_nri",
    )
    assert "Non-responder imputation" in row.method
