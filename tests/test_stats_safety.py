"""Tests of ldil2.stats.safety on small hand-made frames: exposure, the adverse-event overview,
adverse events by class and term, onset in the dosing periods and laboratory shifts (expected
values worked by hand or computed with statsmodels directly)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from safety_cases import safety_events, safety_subjects
from statsmodels.stats.proportion import confint_proportions_2indep

from ldil2 import contract as c
from ldil2.derive.safety import AE_CATEGORIES
from ldil2.stats import safety


def test_summarise_ae_overview_counts_participants_and_events():
    out = safety.summarise_ae_overview(safety_subjects(), safety_events()).set_index("category")
    ld, pl = c.ARM_LDIL2, c.ARM_PLACEBO
    # any AE: Ld-IL2 S1 and S2 (2/2, 3 events), placebo S4 (1/2, 1 event)
    any_ae = out.loc[AE_CATEGORIES[0]]
    assert (any_ae[f"n_{ld}"], any_ae[f"events_{ld}"], any_ae[f"pct_{ld}"]) == (2, 3, 100.0)
    assert (any_ae[f"n_{pl}"], any_ae[f"events_{pl}"], any_ae[f"pct_{pl}"]) == (1, 1, 50.0)
    # related: S1 only (2 events, 1 participant); grade >= 3: S1 (E2) and S2 (E3)
    assert out.loc[AE_CATEGORIES[1], [f"n_{ld}", f"events_{ld}"]].tolist() == [1, 2]
    assert out.loc[AE_CATEGORIES[2], [f"n_{ld}", f"n_{pl}"]].tolist() == [2, 0]
    # serious and leading to withdrawal: S2 only
    assert out.loc[AE_CATEGORIES[3], f"n_{ld}"] == 1
    assert out.loc[AE_CATEGORIES[4], [f"n_{ld}", f"n_{pl}"]].tolist() == [1, 0]
    # risk difference 100% - 50% = 50 points; Newcombe CI from statsmodels directly
    low, high = confint_proportions_2indep(2, 2, 1, 2, method="newcomb", compare="diff")
    assert any_ae["rd"] == pytest.approx(50.0)
    assert (any_ae["rd_low"], any_ae["rd_high"]) == (
        pytest.approx(100 * low),
        pytest.approx(100 * high),
    )


def test_summarise_ae_overview_with_no_events_in_one_arm():
    events = safety_events()
    events = events[events[c.SUBJECT_ID] != "S4"]
    out = safety.summarise_ae_overview(safety_subjects(), events).set_index("category")
    assert (out[f"n_{c.ARM_PLACEBO}"] == 0).all()
    assert (out[f"events_{c.ARM_PLACEBO}"] == 0).all()
    assert np.isfinite(out["rd_low"]).all()


def test_summarise_ae_terms_orders_classes_and_terms_and_marks_common_terms():
    out = safety.summarise_ae_terms(safety_subjects(), safety_events(), c.SAFETY, common_pct=10.0)
    ld = c.ARM_LDIL2
    # General: 1 participant, 2 events; Infections: 1, 1; Nervous system: 1, 1 (by name)
    assert out["level"].tolist() == ["any", "soc", "term", "soc", "term", "soc", "term"]
    assert out.loc[out["level"] == "soc", c.AE_SOC].tolist() == [
        "General", "Infections", "Nervous system"
    ]  # fmt: skip
    first = out.iloc[0]
    assert (first[f"n_{ld}"], first[f"N_{ld}"], first[f"events_{ld}"]) == (2, 2, 3)
    assert np.isnan(first["rd"]) and np.isnan(out.iloc[1]["rd"])  # no difference for totals
    headache = out.set_index(c.AE_TERM).loc["Headache"]
    # Ld-IL2 0/2, placebo 1/2: -50 points, Newcombe CI from statsmodels directly
    low, high = confint_proportions_2indep(0, 2, 1, 2, method="newcomb", compare="diff")
    assert headache["rd"] == pytest.approx(-50.0)
    assert (headache["rd_low"], headache["rd_high"]) == (
        pytest.approx(100 * low),
        pytest.approx(100 * high),
    )
    rare = safety.summarise_ae_terms(safety_subjects(), safety_events(), c.SAFETY, common_pct=60.0)
    assert rare["rd"].isna().all()  # 50% is no longer common
    assert safety.summarise_ae_terms(safety_subjects(), safety_events())["rd"].isna().all()


def test_summarise_ae_onset_counts_events_in_dosing_periods():
    out = safety.summarise_ae_onset(safety_subjects(), safety_events()).set_index(c.ARM)
    # Ld-IL2 onsets on days 2 and 30 (dosing: days 1-14, 29-42) and 20 (break): 2 of 3;
    # placebo day 60 (dosing: days 57-70): 1 of 1
    assert out.loc[c.ARM_LDIL2, ["in_dosing", "events"]].tolist() == [2, 3]
    assert out.loc[c.ARM_PLACEBO, ["in_dosing", "events"]].tolist() == [1, 1]
    assert out.loc[c.ARM_LDIL2, "pct"] == pytest.approx(200 / 3)
    empty = safety.summarise_ae_onset(safety_subjects(), safety_events().iloc[:0]).set_index(c.ARM)
    assert empty["events"].tolist() == [0, 0] and empty["pct"].isna().all()


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
    out = safety.summarise_exposure(safety_subjects(), exposure).set_index([c.ARM, c.CYCLE])
    ld_all = out.loc[(c.ARM_LDIL2, "All")]
    # Ld-IL2: 7 + 7 + 7 + 7 + 3 + 0 = 31 of 6 x 7 = 42 planned -> 73.8%; 15.5 per participant
    assert (ld_all[c.DOSES_RECEIVED], ld_all[c.DOSES_PLANNED]) == (31, 42)
    assert ld_all["pct_planned"] == pytest.approx(100 * 31 / 42)
    assert ld_all["mean_doses"] == pytest.approx(15.5)
    cycle3 = out.loc[(c.ARM_LDIL2, "3")]
    assert (cycle3["dosed"], cycle3[c.DOSES_RECEIVED], cycle3[c.DOSES_PLANNED]) == (1, 7, 14)
    assert out.loc[(c.ARM_PLACEBO, "All"), c.DOSES_RECEIVED] == 41  # 21 + 20


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
    out = safety.summarise_lab_shifts(safety_subjects(), labs)
    wbc = out[out["measure"] == "wbc_10e9_l"].set_index([c.ARM, "baseline"])
    assert wbc.loc[(c.ARM_LDIL2, "Normal"), ["n", "post_normal", "post_abnormal"]].tolist() == [
        1,
        0,
        1,
    ]
    assert wbc.loc[(c.ARM_LDIL2, "Abnormal"), ["n", "post_normal"]].tolist() == [1, 1]
    assert (wbc.loc[c.ARM_PLACEBO, "n"] == 0).all()
    assert (out[out["measure"] == "alt_u_l"]["n"] == 0).all()  # all missing: nobody counted


def test_participants_by_week_counts_distinct_participants():
    frame = pd.DataFrame(
        {c.SUBJECT_ID: ["S1", "S1", "S2", "S1"], c.WEEK: pd.array([4, 0, 4, 4], dtype="Int64")}
    )
    assert safety.participants_by_week(frame) == {0: 1, 4: 2}
