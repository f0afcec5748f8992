"""Tests of ldil2.stats.ledger: the comparison rules and the participant counts of the record."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ldil2.stats import ledger


@pytest.mark.parametrize(
    ("published", "recomputed", "expected"),
    [
        (70.6, 12 / 17 * 100, True),  # 70.588... rounds to 70.6
        (70.6, 70.64, True),
        (70.6, 70.66, False),  # rounds to 70.7
        (43.5, 10 / 23 * 100, True),  # 43.478... rounds to 43.5
        (43.5, 9 / 23 * 100, False),
    ],
)
def test_reproduces_percent_exact_at_one_decimal(published, recomputed, expected):
    assert ledger.reproduces(published, recomputed, "percent", "exact", None) is expected


def test_reproduces_count_exact():
    assert ledger.reproduces(17, 17.0, "count", "exact", None)
    assert not ledger.reproduces(17, 16.0, "count", "exact", None)


@pytest.mark.parametrize(
    ("recomputed", "expected"),
    # factor 2 around 0.014: [0.007, 0.028]
    [(0.007, True), (0.028, True), (0.0069, False), (0.0281, False), (0.02, True)],
)
def test_reproduces_p_value_within_factor(recomputed, expected):
    assert ledger.reproduces(0.014, recomputed, "p_value", "within_factor", 2.0) is expected


def test_reproduces_nan_never():
    assert not ledger.reproduces(0.014, math.nan, "p_value", "within_factor", 2.0)


def test_reproduces_rejects_within_factor_without_factor():
    with pytest.raises(ValueError, match="tolerance > 1"):
        ledger.reproduces(0.014, 0.014, "p_value", "within_factor", None)


def test_reproduces_rejects_unknown_rule():
    with pytest.raises(ValueError, match="'close'"):
        ledger.reproduces(1.0, 1.0, "count", "close", None)


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
