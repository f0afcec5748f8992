"""Tests of ldil2.derive.time_to_event and ldil2.stats.survival: the time to first response of
one participant (worked cases), and the Kaplan-Meier medians with their CI and the log-rank test
held against R's survival package (tests/fixtures/r_survival/km_logrank.R and its output)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2.derive.time_to_event import EVENT, TIME, derive_time_to_response, first_event_time
from ldil2.stats.survival import kaplan_meier, logrank, time_to_event_by_arm

FIXTURES = Path(__file__).parent / "fixtures" / "r_survival"


def test_first_event_time_is_the_first_visit_with_a_response():
    assert first_event_time(np.array([8, 2, 4]), np.array([True, False, True])) == (4.0, True)


def test_first_event_time_censors_at_the_last_visit_and_treats_missing_as_not_seen():
    flags = pd.array([False, None, False], dtype="boolean")
    assert first_event_time(np.array([2, 4, 10]), flags) == (10.0, False)


def test_first_event_time_without_visits_is_missing():
    time, event = first_event_time(np.array([]), np.array([]))
    assert math.isnan(time) and event is False


def test_derive_time_to_response_leaves_out_baseline_and_participants_never_seen_after_it():
    table = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "A", "A", "B", "C", "C"],
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 3,
            c.WEEK: [0, 2, 4, 0, 0, 6],
            "acr20": pd.array([None, False, True, None, None, False], dtype="boolean"),
        }
    )
    out = derive_time_to_response(table, "acr20")
    assert out[c.SUBJECT_ID].tolist() == ["A", "C"]
    assert out[TIME].tolist() == [4.0, 6.0] and out[EVENT].tolist() == [True, False]


def test_derive_time_to_response_names_a_missing_column():
    with pytest.raises(ValueError, match="acr50"):
        derive_time_to_response(pd.DataFrame({c.WEEK: [0]}), "acr50")


def test_kaplan_meier_worked_example():
    # Kaplan & Meier 1958 product-limit: times 2, 4, 4+, 8, 12+: S = 4/5, 3/5, (3/5)(1/2) = 0.3
    km = kaplan_meier(np.array([2, 4, 4, 8, 12]), np.array([1, 1, 0, 1, 0], dtype=bool))
    assert km.times.tolist() == [2, 4, 8]
    assert km.survival == pytest.approx([0.8, 0.6, 0.3])
    assert km.median == 8 and km.events == 3 and km.n == 5


def test_kaplan_meier_without_events_has_no_median():
    km = kaplan_meier(np.array([2.0, 4.0]), np.array([False, False]))
    assert math.isnan(km.median) and math.isnan(km.median_low) and km.events == 0


@pytest.mark.parametrize("time", [[0.0, 2.0], [float("nan"), 2.0]])
def test_kaplan_meier_rejects_times_not_above_zero(time):
    with pytest.raises(ValueError, match="time"):
        kaplan_meier(np.array(time), np.array([True, True]))


def test_logrank_needs_two_groups():
    with pytest.raises(ValueError, match="two groups"):
        logrank(np.array([1.0, 2.0]), np.array([1, 1]), np.array(["a", "a"]))


def test_kaplan_meier_and_logrank_match_r_survival():
    frame = pd.read_csv(FIXTURES / "time_to_acr20.csv")
    expected = pd.read_csv(FIXTURES / "km_logrank.csv").set_index("arm")
    result = time_to_event_by_arm(frame)
    for arm in c.ARMS:
        km, r = result.arms[arm], expected.loc[arm]
        assert (km.n, km.events) == (r["n"], r["events"])
        got = [km.median, km.median_low, km.median_high]
        want = [r["median"], r["lcl"], r["ucl"]]
        assert got == pytest.approx(want, nan_ok=True)
    assert result.logrank.statistic == pytest.approx(expected["chisq"].iloc[0], rel=1e-9)
    assert result.logrank.p_value == pytest.approx(expected["p"].iloc[0], rel=1e-9)
