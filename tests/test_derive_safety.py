"""Tests of ldil2.derive.safety on small hand-made frames: the safety population, the dosing
periods, laboratory abnormal flags and the kinds of adverse event (expected values worked by
hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from safety_cases import safety_subjects

from ldil2 import contract as c
from ldil2.derive import safety
from ldil2.derive.populations import population_counts


def test_population_rows_and_counts_exclude_undosed():
    frame = pd.DataFrame({c.SUBJECT_ID: ["S1", "S2", "S3", "S4", "S5"], "x": range(5)})
    rows = safety.population_rows(safety_subjects(), frame)
    assert rows[c.SUBJECT_ID].tolist() == ["S1", "S2", "S4", "S5"]
    assert rows[c.SEX].tolist() == ["F", "M", "M", "F"]  # arm and sex are added
    assert population_counts(safety_subjects(), c.SAFETY) == {c.ARM_LDIL2: 2, c.ARM_PLACEBO: 2}


def test_dosing_windows_days_follow_the_protocol():
    # 2-week dosing periods from day 1 (days 1-14), then cycles start at weeks 4 and 8
    assert safety.dosing_windows_days() == [(1, 14), (29, 42), (57, 70)]
    assert safety.dosing_windows_weeks() == [(0, 2.0), (4, 6.0), (8, 10.0)]


def test_dosing_windows_cover_every_planned_injection_day():
    # one convention (contract.dosing_days, day 1 = first dose) for safety and efficacy
    for (start, end), days in zip(safety.dosing_windows_days(), c.dosing_days().values(),
                                  strict=True):  # fmt: skip
        assert start == days[0] and days[-1] <= end


def test_dosing_period_days_and_follow_up_share():
    # 3 periods of 14 days of 24 weeks x 7 = 168 days: 42 days, 25%
    assert safety.dosing_period_days() == 42
    assert safety.FOLLOW_UP_DAYS == 168


def test_in_dosing_window_both_limits_and_missing():
    days = pd.Series([1, 14, 15, 28, 29, 70, 71, pd.NA], dtype="Int64")
    assert safety.in_dosing_window(days).tolist() == [
        True, True, False, False, True, True, False, False
    ]  # fmt: skip


def test_lab_abnormal_uses_sex_specific_haemoglobin_and_strict_limits():
    values = pd.Series([130.0, 130.0, 140.0, np.nan])
    sex = pd.Series(["F", "M", "M", "F"])
    flags = safety.lab_abnormal(values, sex, "hemoglobin_g_l")
    # 130 g/L is within 123-153 for women, below 140 for men; 140 is the lower limit itself
    assert flags.tolist()[:3] == [False, True, False]
    assert flags.isna().tolist() == [False, False, False, True]
    # ALT is abnormal only above its upper limit of 40 U/L: 5 is low but not abnormal
    alt = safety.lab_abnormal(pd.Series([5.0, 40.0, 41.0]), pd.Series(["F"] * 3), "alt_u_l")
    assert alt.tolist() == [False, False, True]
    # creatinine, women 0.5-1.1 mg/dL x 88.42 = 44.2-97.3 umol/L; men 1.2 x 88.42 = 106.1
    creat = safety.lab_abnormal(pd.Series([98.0, 98.0]), pd.Series(["F", "M"]), "creatinine_umol_l")
    assert creat.tolist() == [True, False]
    with pytest.raises(KeyError, match="hemoglobin_g_l"):
        safety.lab_abnormal(values, pd.Series(["X"] * 4), "hemoglobin_g_l")


def test_every_lab_measure_has_a_reference_range():
    assert set(safety.LAB_REFERENCE_RANGES) == set(c.LAB_MEASURES)
    assert set(safety.LAB_HIGH_ONLY) <= set(c.LAB_MEASURES)


def test_ae_category_flags_rules():
    events = pd.DataFrame(
        {
            c.AE_RELATED: pd.array([True, False, pd.NA], dtype="boolean"),
            c.AE_GRADE: pd.array([2, 3, pd.NA], dtype="Int64"),
            c.AE_SERIOUS: pd.array([False, True, pd.NA], dtype="boolean"),
            c.AE_LED_TO_WITHDRAWAL: pd.array([False, False, True], dtype="boolean"),
        }
    )
    flags = safety.ae_category_flags(events)
    assert list(flags) == list(safety.AE_CATEGORIES)
    assert flags["any"].tolist() == [True, True, True]
    assert flags["related"].tolist() == [True, False, False]  # missing counts as false
    assert flags["grade3"].tolist() == [False, True, False]  # grade 2 is below 3
    assert flags["serious"].tolist() == [False, True, False]
    assert flags["withdrawal"].tolist() == [False, False, True]
