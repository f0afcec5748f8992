"""Tests of ldil2.derive.subgroups and ldil2.stats.subgroups: median splits, subgroup levels,
effects within levels (checked against statsmodels and scipy directly) and the interaction P
values held against R's glm and lm (tests/fixtures/r_survival/subgroups.R and its output)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2.derive.subgroups import (
    ACPA,
    AGE,
    DAS28_BASE,
    HIGH,
    LOW,
    RF,
    SEX,
    derive_subgroups,
    median_split,
)
from ldil2.stats.means import ancova
from ldil2.stats.proportions import newcombe_difference
from ldil2.stats.subgroups import binary_subgroup, change_subgroup

FIXTURES = Path(__file__).parent / "fixtures" / "r_survival"


def test_median_split_puts_the_median_itself_low_and_keeps_missing_missing():
    out = median_split(pd.Series([1.0, 2.0, 3.0, None]), 2.0)
    assert out.tolist() == [LOW, LOW, HIGH, None]


def test_derive_subgroups_levels_from_subjects_and_baseline():
    subjects = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "B", "C"],
            c.SEX: ["F", "M", "F"],
            c.RF_POSITIVE: pd.array([True, False, None], dtype="boolean"),
            c.ACPA_POSITIVE: pd.array([True, True, False], dtype="boolean"),
            c.AGE: [30, 50, 70],
        }
    )
    table = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "A", "B", "C"],
            c.WEEK: [0, 24, 0, 0],
            "base_das28_esr": [4.0, 4.0, 6.0, 5.0],
        }  # fmt: skip
    )
    out = derive_subgroups(table, subjects).drop_duplicates(c.SUBJECT_ID).set_index(c.SUBJECT_ID)
    assert out[SEX].tolist() == ["F", "M", "F"]
    assert out[RF].tolist()[:2] == ["True", "False"] and pd.isna(out[RF].iloc[2])
    assert out[ACPA].tolist() == ["True", "True", "False"]
    assert out[DAS28_BASE].tolist() == [LOW, HIGH, LOW]  # median of 4, 6, 5 is 5
    assert out[AGE].tolist() == [LOW, LOW, HIGH]  # median 50


@pytest.fixture(scope="module")
def week24() -> pd.DataFrame:
    data = pd.read_csv(FIXTURES / "subgroups_w24.csv", dtype={"sg_rf": str, "sg_acpa": str})
    return data.assign(acr20=data["acr20"].astype("boolean"), week=c.LAST_WEEK)


def test_binary_subgroup_difference_is_newcombe_within_the_level(week24):
    effect = binary_subgroup(week24, "acr20", DAS28_BASE)
    low = week24[week24[DAS28_BASE] == LOW]
    counts = [
        (int(low.loc[low[c.ARM] == arm, "acr20"].sum()), int((low[c.ARM] == arm).sum()))
        for arm in c.ARMS
    ]
    expected = newcombe_difference(*counts[0], *counts[1])
    level = effect.levels[0]
    assert level.level == LOW and level.counts[c.ARM_LDIL2] == (counts[0][0], counts[0][1])
    assert (level.estimate, level.ci_low, level.ci_high) == pytest.approx(
        (expected.estimate, expected.ci_low, expected.ci_high)
    )


def test_interaction_p_values_match_r(week24):
    expected = pd.read_csv(FIXTURES / "subgroups.csv").set_index("subgroup")
    for subgroup in (DAS28_BASE, AGE):
        got = binary_subgroup(week24, "acr20", subgroup).interaction_p
        assert got == pytest.approx(expected.loc[subgroup, "acr20_p"], rel=1e-6)
    for subgroup in (RF, ACPA, DAS28_BASE, AGE):
        got = change_subgroup(week24, "chg_cdai", "base_cdai", subgroup, c.LAST_WEEK)
        assert got.interaction_p == pytest.approx(expected.loc[subgroup, "cdai_p"], rel=1e-6)


def test_interaction_not_estimable_where_a_cell_has_only_responders_or_none(week24):
    # R's glm returns P ~ 0.99 here from a diverging coefficient; the book says not estimable
    for subgroup in (RF, ACPA):
        assert math.isnan(binary_subgroup(week24, "acr20", subgroup).interaction_p)


def test_empty_arm_in_a_level_is_not_estimable(week24):
    no_men_on_ldil2 = week24[~((week24[c.ARM] == c.ARM_LDIL2) & (week24[SEX] == "M"))]
    for effect in (
        change_subgroup(no_men_on_ldil2, "chg_cdai", "base_cdai", SEX, c.LAST_WEEK),
        binary_subgroup(no_men_on_ldil2, "acr20", SEX),
    ):
        male = [lv for lv in effect.levels if lv.level == "M"][0]
        assert male.counts[c.ARM_LDIL2][1] == 0
        assert math.isnan(male.estimate) and math.isnan(effect.interaction_p)


def test_change_subgroup_level_is_the_ancova_of_the_level(week24):
    effect = change_subgroup(week24, "chg_cdai", "base_cdai", AGE, c.LAST_WEEK)
    high = week24[week24[AGE] == HIGH]
    fit = ancova(high, outcome="chg_cdai", baseline="base_cdai", week=c.LAST_WEEK)
    level = effect.levels[1]
    assert level.estimate == pytest.approx(fit.estimate)
    means = high.groupby(c.ARM)["chg_cdai"].mean()
    assert level.means[c.ARM_PLACEBO] == pytest.approx(means[c.ARM_PLACEBO])
    assert np.isnan(level.counts[c.ARM_LDIL2][0])
