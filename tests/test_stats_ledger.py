"""Tests of ldil2.stats.ledger: the comparison rules and the participant counts of the record."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ldil2.stats import ledger

R, C, D = ledger.REPRODUCED, ledger.CONSISTENT, ledger.DIFFERS


@pytest.mark.parametrize(
    ("published", "recomputed", "expected"),
    [
        (70.6, 12 / 17 * 100, R),  # 70.588... rounds to 70.6
        (70.6, 70.64, R),
        (70.6, 70.66, D),  # rounds to 70.7
        (43.5, 10 / 23 * 100, R),  # 43.478... rounds to 43.5
        (43.5, 9 / 23 * 100, D),
    ],
)
def test_verdict_percent_exact_at_one_decimal(published, recomputed, expected):
    assert ledger.verdict(published, recomputed, "percent", "exact", None) == expected


def test_verdict_count_exact():
    assert ledger.verdict(17, 17.0, "count", "exact", None) == R
    assert ledger.verdict(17, 16.0, "count", "exact", None) == D


@pytest.mark.parametrize(
    ("recomputed", "expected"),
    # factor 2 around 0.014: [0.007, 0.028]; equal at the 3 printed decimals: reproduced
    [(0.007, C), (0.028, C), (0.0069, D), (0.0281, D), (0.02, C), (0.013, C), (0.01449, R),
     (0.014, R), (0.01351, R)],
)  # fmt: skip
def test_verdict_p_value_reproduced_only_when_exact_else_consistent_within_factor(
    recomputed, expected
):
    assert ledger.verdict(0.014, recomputed, "p_value", "within_factor", 2.0) == expected


def test_verdict_p_value_under_an_exact_rule_is_never_only_consistent():
    assert ledger.verdict(0.014, 0.02, "p_value", "exact", None) == D
    assert ledger.verdict(0.014, 0.0141, "p_value", "exact", None) == R


def test_verdict_nan_differs():
    assert ledger.verdict(0.014, math.nan, "p_value", "within_factor", 2.0) == D


def test_verdict_rejects_within_factor_without_factor():
    with pytest.raises(ValueError, match="tolerance > 1"):
        ledger.verdict(0.014, 0.014, "p_value", "within_factor", None)


def test_verdict_rejects_unknown_rule():
    with pytest.raises(ValueError, match="'close'"):
        ledger.verdict(1.0, 1.0, "count", "close", None)


def test_count_participants_restricts_to_population_arm_and_flag():
    subjects = pd.DataFrame(
        {
            "subject_id": ["a", "b", "c", "d", "e"],
            "arm": ["ldil2", "ldil2", "ldil2", "placebo", "ldil2"],
            "itt": pd.array([True, True, True, True, None], dtype="boolean"),
            "completed": pd.array([True, False, None, True, True], dtype="boolean"),
        }
    )
    # a, b, c are randomized on ldil2 (e has no flag: not counted); a completed (c: missing)
    assert ledger.count_participants(subjects, "itt", "ldil2", None) == 3
    assert ledger.count_participants(subjects, "itt", "ldil2", "completed") == 1
    assert ledger.count_participants(subjects, "itt", "placebo", "completed") == 1


def test_count_condition_names_the_key_of_an_unknown_endpoint():
    assert ledger.count_condition("completed") == "completed"
    assert ledger.count_condition("randomized") is None
    with pytest.raises(ValueError, match="key n_x: count endpoint 'screened'"):
        ledger.count_condition("screened", "n_x")
