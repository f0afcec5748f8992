"""Unit tests of ldil2.biomarkers on small hand-made frames (expected values worked by hand or
computed with scipy/statsmodels directly)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy.stats import mannwhitneyu, norm

from ldil2 import biomarkers as bm
from ldil2 import contract as c
from ldil2 import testing
from ldil2.build import glued_values

ROOT = Path(__file__).resolve().parents[1]


def _subjects(arms: list[str]) -> pd.DataFrame:
    n = len(arms)
    return pd.DataFrame(
        {
            c.SUBJECT_ID: [f"S{i}" for i in range(n)],
            c.ARM: arms,
            c.SEX: ["F"] * n,
            c.PER_PROTOCOL: pd.array([True] * n, dtype="boolean"),
            c.SAFETY: pd.array([True] * n, dtype="boolean"),
        }
    )


def _immunology(rows: list[tuple[str, int, float, float]]) -> pd.DataFrame:
    """(subject, week, treg %, th17 %) rows; other markers filled with a constant."""
    frame = pd.DataFrame(rows, columns=[c.SUBJECT_ID, c.WEEK, "treg_pct_cd4", "th17_pct_cd4"])
    for measure in c.IMMUNOLOGY_MEASURES:
        if measure not in frame:
            frame[measure] = 1.0
    frame[c.WEEK] = frame[c.WEEK].astype("Int64")
    return frame


def test_derive_th17_treg_ratio_divides_and_rejects_zero_treg():
    imm = _immunology([("S0", 0, 5.0, 1.0), ("S1", 0, 0.0, 1.0), ("S2", 0, np.nan, 1.0)])
    ratio = bm.derive_th17_treg_ratio(imm)[bm.TH17_TREG_RATIO]
    assert ratio.iloc[0] == pytest.approx(0.2)  # 1 / 5
    assert ratio.iloc[1:].isna().all()  # Treg 0 and Treg missing give no ratio


def test_summarise_marker_change_medians_and_rank_sum_p():
    subjects = _subjects([c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 3)
    # Treg % changes (week 12 - week 0): Ld-IL2 +1, +2, +4; placebo 0, -1, and S5 lacks week 12
    imm = _immunology(
        [
            ("S0", 0, 5, 1),
            ("S0", 12, 6, 1),
            ("S1", 0, 5, 1),
            ("S1", 12, 7, 1),
            ("S2", 0, 4, 1),
            ("S2", 12, 8, 1),
            ("S3", 0, 6, 1),
            ("S3", 12, 6, 1),
            ("S4", 0, 6, 1),
            ("S4", 12, 5, 1),
            ("S5", 0, 6, 1),
        ]
    )
    out = bm.summarise_marker_change(subjects, imm, ["treg_pct_cd4"], (12,), c.PER_PROTOCOL)
    row = out.iloc[0]
    assert (row[f"n_{c.ARM_LDIL2}"], row[f"n_{c.ARM_PLACEBO}"]) == (3, 2)
    assert row[f"median_{c.ARM_LDIL2}"] == 2.0  # median of 1, 2, 4
    assert row[f"median_{c.ARM_PLACEBO}"] == -0.5  # median of 0, -1
    assert row[f"q1_{c.ARM_LDIL2}"] == 1.5  # linear interpolation between 1 and 2
    assert row["p"] == pytest.approx(mannwhitneyu([1, 2, 4], [0, -1]).pvalue)


def test_auc_delong_hand_example():
    # psi matrix for positives (3, 2) vs negatives (1, 2): [[1, 1], [1, 0.5]] -> AUC 3.5/4.
    # V10 = (1, 0.75), V01 = (1, 0.75); each sample variance (ddof 1) = 0.03125;
    # variance = 0.03125/2 + 0.03125/2 = 0.03125.
    auc, variance = bm.auc_delong(np.array([3.0, 2.0]), np.array([1.0, 2.0]))
    assert auc == pytest.approx(0.875)
    assert variance == pytest.approx(0.03125)


def test_auc_delong_equals_mann_whitney_u_over_mn_on_random_scores():
    rng = np.random.default_rng(1)
    for _ in range(20):
        pos = rng.integers(0, 6, size=rng.integers(2, 12)).astype(float)
        neg = rng.integers(0, 6, size=rng.integers(2, 12)).astype(float)
        auc, _ = bm.auc_delong(pos, neg)
        u = mannwhitneyu(pos, neg).statistic
        assert auc == pytest.approx(u / (len(pos) * len(neg)))


def test_auc_delong_variance_missing_with_one_negative_and_auc_with_none():
    assert bm.auc_delong(np.array([1.0, 2.0]), np.array([0.0]))[0] == 1.0
    assert np.isnan(bm.auc_delong(np.array([1.0, 2.0]), np.array([0.0]))[1])
    assert np.isnan(bm.auc_delong(np.array([1.0, 2.0]), np.array([]))).all()


def test_roc_curve_hand_example():
    # thresholds 3, 2, 1: TPR (1/2, 1, 1), FPR (0, 1/2, 1)
    fpr, tpr = bm.roc_curve(np.array([3.0, 2.0]), np.array([1.0, 2.0]))
    assert fpr.tolist() == [0.0, 0.0, 0.5, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 1.0, 1.0]


def _marker_frame(seed: int = 3, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    marker = rng.normal(5, 2, size=n)
    arm = np.where(np.arange(n) % 2 == 0, c.ARM_LDIL2, c.ARM_PLACEBO)
    logit = -0.5 + 0.6 * (marker - 5) * (arm == c.ARM_LDIL2)
    response = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            c.SUBJECT_ID: [f"S{i}" for i in range(n)],
            c.ARM: arm,
            "il21_pg_ml": marker,
            "response": response,
        }
    )


def test_fit_marker_association_or_per_sd_matches_raw_scale_fit():
    frame = _marker_frame()
    result = bm.fit_marker_association(frame, "il21_pg_ml", c.ARM_LDIL2)
    arm = frame[frame[c.ARM] == c.ARM_LDIL2].assign(y=lambda d: d["response"].astype(float))
    raw = smf.logit("y ~ il21_pg_ml", data=arm).fit(disp=0)
    sd = arm["il21_pg_ml"].std()
    # a logit slope per unit times the SD is the slope per SD; the Wald P is scale-free
    assert result.odds_ratio == pytest.approx(np.exp(raw.params["il21_pg_ml"] * sd))
    low, high = np.exp(raw.conf_int().loc["il21_pg_ml"] * sd)
    assert (result.ci_low, result.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert result.p_value == pytest.approx(raw.pvalues["il21_pg_ml"])
    assert (result.n, result.responders) == (len(arm), int(arm["response"].sum()))
    assert "per SD" in result.text


def test_fit_marker_association_separation_is_not_estimable():
    frame = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 6,
            "il21_pg_ml": [1.0, 2, 3, 4, 5, 6],
            "response": [False, False, False, True, True, True],
        }
    )
    result = bm.fit_marker_association(frame, "il21_pg_ml", c.ARM_LDIL2)
    assert np.isnan(result.odds_ratio)
    assert result.text.startswith("not estimable")


def test_fit_marker_association_constant_response_is_not_estimable():
    frame = pd.DataFrame(
        {c.ARM: [c.ARM_LDIL2] * 3, "il21_pg_ml": [1.0, 2, 3], "response": [True] * 3}
    )
    result = bm.fit_marker_association(frame, "il21_pg_ml", c.ARM_LDIL2)
    assert "same response" in result.note


def test_fit_marker_interaction_matches_formula_fit():
    frame = _marker_frame(seed=5, n=60).assign(y=lambda d: d["response"].astype(float))
    frame["treated"] = (frame[c.ARM] == c.ARM_LDIL2).astype(float)
    raw = smf.logit("y ~ il21_pg_ml * treated", data=frame).fit(disp=0)
    sd = frame["il21_pg_ml"].std()
    result = bm.fit_marker_interaction(frame, "il21_pg_ml")
    assert result.ratio == pytest.approx(np.exp(raw.params["il21_pg_ml:treated"] * sd))
    assert result.p_value == pytest.approx(raw.pvalues["il21_pg_ml:treated"])
    assert result.n == 60


def test_fit_marker_roc_direction_lower_flips_the_auc():
    frame = _marker_frame()
    higher = bm.fit_marker_roc(frame, "il21_pg_ml", c.ARM_LDIL2, "higher")
    lower = bm.fit_marker_roc(frame, "il21_pg_ml", c.ARM_LDIL2, "lower")
    assert lower.auc == pytest.approx(1 - higher.auc)  # no ties in continuous draws
    assert 0 <= higher.ci_low <= higher.auc <= higher.ci_high <= 1
    with pytest.raises(ValueError, match="direction"):
        bm.fit_marker_roc(frame, "il21_pg_ml", c.ARM_LDIL2, "up")


def test_detectable_odds_ratio_hsieh_hand_value():
    # n = 17, p = 13/17: p(1-p) = 0.179931; n p (1-p) = 3.058824; sqrt = 1.748949;
    # (1.959964 + 0.841621) / 1.748949 = 1.601868; exp = 4.9619
    assert bm.detectable_odds_ratio(17, 13 / 17) == pytest.approx(4.9619, abs=1e-3)
    assert np.log(bm.detectable_odds_ratio(100, 0.5)) == pytest.approx(
        (norm.ppf(0.975) + norm.ppf(0.8)) / 5
    )
    assert np.isnan(bm.detectable_odds_ratio(17, 1.0))


def test_sample_size_values_counts_ldil2_responders():
    frame = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 4 + [c.ARM_PLACEBO] * 2,
            "response": [True, True, True, False, True, False],
        }
    )
    values = bm.sample_size_values(frame)
    assert (values["bio_assoc_n"], values["bio_assoc_responders"]) == (4, 3)
    assert (values["bio_assoc_non_responders"], values["bio_assoc_n_placebo"]) == (1, 2)
    # n p (1 - p) = 4 * 0.75 * 0.25 = 0.75; (1.959964 + 0.841621) / sqrt(0.75) = 3.2350;
    # exp = 25.4
    assert values["bio_assoc_detectable_or"] == "25.4"
    all_respond = bm.sample_size_values(frame.assign(response=True))
    assert all_respond["bio_assoc_detectable_or"] == "NA"


def test_make_marker_response_frame_complete_cases_and_nri():
    subjects = _subjects([c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO])
    imm = _immunology([("S0", 0, 5, 1), ("S1", 0, 6, 1), ("S2", 0, 7, 1), ("S0", 12, 9, 1)])
    analysis = pd.DataFrame(
        {
            c.SUBJECT_ID: ["S0", "S1", "S2", "S0"],
            c.WEEK: pd.array([24, 24, 24, 0], dtype="Int64"),
            c.ARM: [c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO, c.ARM_LDIL2],
            "acr20": pd.array([True, pd.NA, False, pd.NA], dtype="boolean"),
        }
    )
    for flag in c.POPULATION_FLAGS:
        analysis[flag] = pd.array([True] * 4, dtype="boolean")
    observed = bm.make_marker_response_frame(subjects, imm, analysis, c.PER_PROTOCOL)
    assert observed[c.SUBJECT_ID].tolist() == ["S0", "S2"]  # S1's response is missing
    assert observed["treg_pct_cd4"].tolist() == [5, 7]  # the week-0 value, not week 12
    assert observed["response"].tolist() == [True, False]
    nri = bm.make_marker_response_frame(subjects, imm, analysis, c.PER_PROTOCOL, imputation="nri")
    assert nri.set_index(c.SUBJECT_ID)["response"].to_dict() == {
        "S0": True,
        "S1": False,
        "S2": False,
    }
    with pytest.raises(ValueError, match="imputation"):
        bm.make_marker_response_frame(subjects, imm, analysis, c.PER_PROTOCOL, imputation="locf")


def test_course_result_glues_means_at_cycle_ends_and_starts():
    subjects = _subjects([c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO])
    # Ld-IL2 Treg %: week 0 (4, 6) -> mean 5; week 2 (8, 9) -> 8.5; week 4 (5, 5) -> 5;
    # week 24 (4, 5) -> 4.5; weeks 6, 8, 10 not sampled
    rows = [("S0", 0, 4, 1), ("S1", 0, 6, 1), ("S0", 2, 8, 1), ("S1", 2, 9, 1)]
    rows += [("S0", 4, 5, 1), ("S1", 4, 5, 1), ("S0", 24, 4, 1), ("S1", 24, 5, 1)]
    rows += [("S2", 0, 5, 1)]
    ch = SimpleNamespace(
        release=SimpleNamespace(subjects=subjects, immunology=_immunology(rows)),
        population=c.PER_PROTOCOL,
    )
    values = bm.course_result(ch, ("treg_pct_cd4",), "treg").values
    assert values["bio_treg_base_ldil2"] == "5.00 (week 0)"
    assert values["bio_treg_ends_ldil2"] == "8.50 (week 2)"
    assert values["bio_treg_starts_ldil2"] == "5.00 (week 4)"
    assert values["bio_treg_last_ldil2"] == "4.50 (week 24)"
    assert values["bio_treg_ends_placebo"] == "not sampled"


def test_plot_roc_draws_each_marker_and_chance():
    frame = _marker_frame()
    rocs = [bm.fit_marker_roc(frame, "il21_pg_ml", c.ARM_LDIL2, "higher")]
    fig = bm.plot_roc(rocs)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[0].startswith("Chance")
    assert "IL-21 (pg/mL)" in labels[1] and rocs[0].text in labels[1]
    plt.close(fig)


def test_plot_markers_one_panel_per_marker():
    subjects = _subjects([c.ARM_LDIL2, c.ARM_PLACEBO])
    imm = _immunology([("S0", 0, 5, 1), ("S0", 2, 8, 1), ("S1", 0, 5, 1), ("S1", 2, 5, 1)])
    fig = bm.plot_markers(subjects, imm, ["treg_pct_cd4", bm.TH17_TREG_RATIO], c.PER_PROTOCOL)
    assert [ax.get_ylabel() for ax in fig.axes] == ["Treg (% of CD4+)", "Th17/Treg ratio"]
    plt.close(fig)


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
