"""Tests of ldil2.ledger: comparison rules, the ledger on the shipped data, a changed value."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ldil2 import ledger


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


def test_ledger_summary_counts_reproduced_rows():
    frame = pd.DataFrame({"status": ["reproduced", "differs", "reproduced"]})
    assert ledger.ledger_summary(frame) == "2 of 3 published numbers reproduced"
