"""Unit tests of ldil2.safety on small hand-made frames (expected values worked by hand or
computed with scipy/statsmodels directly)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t
from statsmodels.stats.proportion import confint_proportions_2indep

from ldil2 import contract as c
from ldil2 import safety

ROOT = Path(__file__).resolve().parents[1]


def _subjects() -> pd.DataFrame:
    # S1, S2: Ld-IL2 safety; S3: Ld-IL2 never dosed (not in the safety population);
    # S4, S5: placebo safety
    return pd.DataFrame(
        {
            c.SUBJECT_ID: ["S1", "S2", "S3", "S4", "S5"],
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 2,
            c.SEX: ["F", "M", "F", "M", "F"],
            c.SAFETY: pd.array([True, True, False, True, True], dtype="boolean"),
        }
    )


def _events() -> pd.DataFrame:
    rows = [
        # id, subject, term, soc, onset, grade, serious, related, withdrawal
        ("E1", "S1", "Injection site reaction", "General", 2, 1, False, True, False),
        ("E2", "S1", "Injection site reaction", "General", 30, 3, False, True, False),
        ("E3", "S2", "Pneumonia", "Infections", 20, 3, True, False, True),
        ("E4", "S4", "Headache", "Nervous system", 60, 1, False, False, False),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            c.AE_ID,
            c.SUBJECT_ID,
            c.AE_TERM,
            c.AE_SOC,
            c.AE_ONSET_DAY,
            c.AE_GRADE,
            c.AE_SERIOUS,
            c.AE_RELATED,
            c.AE_LED_TO_WITHDRAWAL,
        ],
    )
    return frame.astype(
        {
            c.AE_ONSET_DAY: "Int64",
            c.AE_GRADE: "Int64",
            c.AE_SERIOUS: "boolean",
            c.AE_RELATED: "boolean",
            c.AE_LED_TO_WITHDRAWAL: "boolean",
        }
    )


def test_safety_subjects_and_arm_sizes_exclude_undosed():
    population = safety.safety_subjects(_subjects())
    assert population[c.SUBJECT_ID].tolist() == ["S1", "S2", "S4", "S5"]
    assert safety.arm_sizes(population) == {c.ARM_LDIL2: 2, c.ARM_PLACEBO: 2}


def test_summarise_ae_overview_counts_participants_and_events():
    out = safety.summarise_ae_overview(_subjects(), _events()).set_index("category")
    ld, pl = c.ARM_LDIL2, c.ARM_PLACEBO
    # any AE: Ld-IL2 S1 and S2 (2/2, 3 events), placebo S4 (1/2, 1 event)
    any_ae = out.loc[safety.OVERVIEW_ROWS[0]]
    assert (any_ae[f"n_{ld}"], any_ae[f"events_{ld}"], any_ae[f"pct_{ld}"]) == (2, 3, 100.0)
    assert (any_ae[f"n_{pl}"], any_ae[f"events_{pl}"], any_ae[f"pct_{pl}"]) == (1, 1, 50.0)
    # related: S1 only (2 events, 1 participant); grade >= 3: S1 (E2) and S2 (E3)
    assert out.loc[safety.OVERVIEW_ROWS[1], [f"n_{ld}", f"events_{ld}"]].tolist() == [1, 2]
    assert out.loc[safety.OVERVIEW_ROWS[2], [f"n_{ld}", f"n_{pl}"]].tolist() == [2, 0]
    # serious and leading to withdrawal: S2 only
    assert out.loc[safety.OVERVIEW_ROWS[3], f"n_{ld}"] == 1
    assert out.loc[safety.OVERVIEW_ROWS[4], [f"n_{ld}", f"n_{pl}"]].tolist() == [1, 0]
    # risk difference 100% - 50% = 50 points; Newcombe CI from statsmodels directly
    low, high = confint_proportions_2indep(2, 2, 1, 2, method="newcomb", compare="diff")
    assert any_ae["rd"] == pytest.approx(50.0)
    assert (any_ae["rd_low"], any_ae["rd_high"]) == (
        pytest.approx(100 * low),
        pytest.approx(100 * high),
    )


def test_summarise_ae_overview_with_no_events_in_one_arm():
    events = _events()
    events = events[events[c.SUBJECT_ID] != "S4"]
    out = safety.summarise_ae_overview(_subjects(), events).set_index("category")
    assert (out[f"n_{c.ARM_PLACEBO}"] == 0).all()
    assert (out[f"events_{c.ARM_PLACEBO}"] == 0).all()
    assert np.isfinite(out["rd_low"]).all()


def _release(events: pd.DataFrame) -> SimpleNamespace:
    return SimpleNamespace(
        subjects=_subjects(), adverse_events=events, is_simulated=True, version="test"
    )


def test_make_ae_terms_table_adds_risk_difference_for_common_terms(monkeypatch):
    table = safety.make_ae_terms_table(_release(_events()))
    frame = table.to_frame().set_index(table.header[0])
    column = "Risk difference, percentage points (95% CI)"
    # injection site reaction: Ld-IL2 1/2 (S1), placebo 0/2 -> +50 points; Newcombe CI direct
    low, high = confint_proportions_2indep(1, 2, 0, 2, method="newcomb", compare="diff")
    assert frame.loc["Injection site reaction", column] == (
        f"50.0 ({100 * low:.1f} to {100 * high:.1f})"
    )
    assert frame.loc["Headache", column].startswith("-50.0 (")
    assert frame.loc["General", column] == ""  # a class row has no difference
    assert "Newcombe" in " ".join(table.footnote)
    monkeypatch.setattr(safety, "COMMON_TERM_PCT", 60.0)  # 50% is no longer common
    frame = safety.make_ae_terms_table(_release(_events())).to_frame()
    assert (frame[column] == "").all()


def test_make_ae_terms_table_escapes_markup_in_terms_and_classes():
    events = _events()
    events.loc[0, c.AE_TERM] = "<script>alert(1)</script>"
    events.loc[2, c.AE_SOC] = "<b>x</b>"
    page = safety.make_ae_terms_table(_release(events)).to_html()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<script>" not in page
    assert "<b>" not in page


def test_summarise_exposure_counts_missing_cycles_as_zero_of_seven():
    exposure = pd.DataFrame(
        [
            ("S1", 1, 7, 7),
            ("S1", 2, 7, 7),
            ("S1", 3, 7, 7),
            ("S2", 1, 7, 7),
            ("S2", 2, 7, 3),  # S2 withdrew in cycle 2: no cycle-3 row
            ("S4", 1, 7, 7),
            ("S4", 2, 7, 7),
            ("S4", 3, 7, 7),
            ("S5", 1, 7, 7),
            ("S5", 2, 7, 7),
            ("S5", 3, 7, 6),
        ],
        columns=[c.SUBJECT_ID, c.CYCLE, c.DOSES_PLANNED, c.DOSES_RECEIVED],
    ).astype({c.CYCLE: "Int64", c.DOSES_PLANNED: "Int64", c.DOSES_RECEIVED: "Int64"})
    out = safety.summarise_exposure(_subjects(), exposure).set_index([c.ARM, c.CYCLE])
    ld_all = out.loc[(c.ARM_LDIL2, "All")]
    # Ld-IL2: 7 + 7 + 7 + 7 + 3 + 0 = 31 of 6 x 7 = 42 planned -> 73.8%; 15.5 per participant
    assert (ld_all[c.DOSES_RECEIVED], ld_all[c.DOSES_PLANNED]) == (31, 42)
    assert ld_all["pct_planned"] == pytest.approx(100 * 31 / 42)
    assert ld_all["mean_doses"] == pytest.approx(15.5)
    cycle3 = out.loc[(c.ARM_LDIL2, "3")]
    assert (cycle3["dosed"], cycle3[c.DOSES_RECEIVED], cycle3[c.DOSES_PLANNED]) == (1, 7, 14)
    assert out.loc[(c.ARM_PLACEBO, "All"), c.DOSES_RECEIVED] == 41  # 21 + 20


def test_dosing_windows_days_follow_the_protocol():
    # 2-week dosing periods from day 1 (days 1-14), then cycles start at weeks 4 and 8
    assert safety.dosing_windows_days() == [(1, 14), (29, 42), (57, 70)]
    assert safety.dosing_windows_weeks() == [(0, 2.0), (4, 6.0), (8, 10.0)]


def test_summarise_course_mean_and_t_interval():
    frame = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 4,
            c.WEEK: pd.array([0, 0, 0, 4], dtype="Int64"),
            "wbc_10e9_l": [4.0, 6.0, 8.0, 5.0],
        }
    )
    out = safety.summarise_course(frame, "wbc_10e9_l").set_index(c.WEEK)
    low, high = t.interval(0.95, 2, loc=6.0, scale=2.0 / np.sqrt(3))  # SD of 4, 6, 8 is 2
    assert out.loc[0, ["n", "mean"]].tolist() == [3, 6.0]
    assert (out.loc[0, "low"], out.loc[0, "high"]) == (pytest.approx(low), pytest.approx(high))
    assert np.isnan(out.loc[4, "low"])  # one value: no interval


def test_lab_abnormal_uses_sex_specific_haemoglobin_and_strict_limits():
    values = pd.Series([130.0, 130.0, 140.0, np.nan])
    sex = pd.Series(["F", "M", "M", "F"])
    flags = safety.lab_abnormal(values, sex, "hemoglobin_g_l")
    # 130 g/L is within 123-153 for women, below 140 for men; 140 is the lower limit itself
    assert flags.tolist()[:3] == [False, True, False]
    assert flags.isna().tolist() == [False, False, False, True]
    with pytest.raises(KeyError, match="hemoglobin_g_l"):
        safety.lab_abnormal(values, pd.Series(["X"] * 4), "hemoglobin_g_l")


def test_summarise_lab_shifts_worst_post_baseline():
    labs = pd.DataFrame(
        {
            c.SUBJECT_ID: ["S1", "S1", "S1", "S2", "S2", "S4", "S5"],
            c.WEEK: pd.array([0, 4, 12, 0, 4, 0, 4], dtype="Int64"),
            # S1 normal -> abnormal at week 4 (12 > 11.0) -> normal: worst is abnormal
            # S2 abnormal (3.0 < 4.5) -> normal; S4 no post-baseline; S5 no baseline
            "wbc_10e9_l": [5.0, 12.0, 6.0, 3.0, 5.0, 5.0, 20.0],
        }
    )
    for measure in c.LAB_MEASURES[1:]:
        labs[measure] = np.nan
    out = safety.summarise_lab_shifts(_subjects(), labs)
    wbc = out[out["measure"] == "wbc_10e9_l"].set_index([c.ARM, "baseline"])
    assert wbc.loc[(c.ARM_LDIL2, "Normal"), ["n", "post_normal", "post_abnormal"]].tolist() == [
        1,
        0,
        1,
    ]
    assert wbc.loc[(c.ARM_LDIL2, "Abnormal"), ["n", "post_normal"]].tolist() == [1, 1]
    assert (wbc.loc[c.ARM_PLACEBO, "n"] == 0).all()
    assert (out[out["measure"] == "alt_u_l"]["n"] == 0).all()  # all missing: nobody counted
