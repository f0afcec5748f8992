"""Tests of ldil2.present.format: the one formatter of P values, intervals and counts.

The expected texts are written out by hand from the rounding rules (3 decimals for P, "P < 0.001"
below 0.001; n/N with one-decimal percentages); they were the tests of the text helpers that
ldil2.stats had before the results dataset.
"""

import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2.present.format import (
    ci_text,
    count_of,
    format_count,
    format_p,
    interval_of,
    interval_text,
    p_of,
)
from ldil2.results.ard import Ard
from ldil2.stats.proportions import fisher_exact, response_by_arm, wilson_ci
from ldil2.stats.proportions import odds_ratio as woolf


@pytest.mark.parametrize(
    ("p", "text"), [(0.0142, "P = 0.014"), (0.0004, "P < 0.001"), (np.nan, "P = NA")]
)
def test_format_p(p, text):
    assert format_p(p) == text


def test_format_p_of_the_published_week12_fisher_test():
    # ACR20 at week 12 as published (12/17 vs 10/23): Fisher two-sided P printed as 0.116
    assert format_p(fisher_exact(12, 17, 10, 23).p_value) == "P = 0.116"


def test_format_count_of_a_wilson_proportion():
    result = wilson_ci(12, 17)
    assert format_count(result.count, result.total) == "12/17 (70.6%)"
    assert format_count(0, 0) == "0/0 (NA)"


def test_interval_text_rounds_estimate_and_limits():
    assert interval_text(-6.04, -11.39, -0.7) == "-6.0 (-11.4 to -0.7)"
    assert interval_text(3.456, 1.2, 9.61, 2) == "3.46 (1.20 to 9.61)"


def test_ci_text_decimals():
    # the texts the ANCOVA (1 decimal) and the longitudinal models (2 decimals) were shown with
    assert ci_text(-4.234, -7.91, -0.52, 1) == "-4.2 (95% CI -7.9 to -0.5)"
    assert ci_text(-4.234, -7.91, -0.52) == "-4.23 (95% CI -7.91 to -0.52)"
    assert format_p(0.0214) == "P = 0.021"


def _visits():
    """Analysis-table-like frame: 2/3 responders on Ld-IL2, 1/2 on placebo at week 12."""
    rows = [
        ("A1", c.ARM_LDIL2, True),
        ("A2", c.ARM_LDIL2, True),
        ("A3", c.ARM_LDIL2, False),
        ("P1", c.ARM_PLACEBO, True),
        ("P2", c.ARM_PLACEBO, False),
    ]
    frame = pd.DataFrame(rows, columns=[c.SUBJECT_ID, c.ARM, "acr20"]).assign(week=12)
    frame["acr20"] = frame["acr20"].astype("boolean")
    return frame.assign(**{flag: True for flag in c.POPULATION_FLAGS})


def test_texts_read_from_ard_rows_follow_the_rows():
    comparison = response_by_arm(_visits(), "acr20", 12, c.ITT)
    ard = Ard(chapter="test", population=c.ITT)
    ids = ard.binary_comparison(comparison, "ACR20 response")
    assert count_of(ard, ids[c.ARM_LDIL2]) == "2/3 (66.7%)"
    assert count_of(ard, ids[c.ARM_PLACEBO]) == "1/2 (50.0%)"
    assert p_of(ard, ids["fisher"]) == format_p(comparison.fisher.p_value)
    odds = woolf(2, 3, 1, 2)
    assert interval_of(ard, ids["odds_ratio"], 2) == interval_text(
        odds.estimate, odds.ci_low, odds.ci_high, 2
    )
