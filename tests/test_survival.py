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
from ldil2.derive.time_to_event import EVENT, TIME, derive_time_to_response
from ldil2.stats.survival import kaplan_meier, logrank, time_to_event_by_arm

FIXTURES = Path(__file__).parent / "fixtures" / "r_survival"


def _visits(weeks, flags, subject="A") -> pd.DataFrame:
    return pd.DataFrame(
        {
            c.SUBJECT_ID: [subject] * len(weeks),
            c.ARM: [c.ARM_LDIL2] * len(weeks),
            c.WEEK: weeks,
            "acr20": pd.array(flags, dtype="boolean"),
        }
    )


def test_derive_time_to_response_is_the_first_visit_with_a_response():
    out = derive_time_to_response(_visits([8, 2, 4], [True, False, True]), "acr20")
    assert out[TIME].tolist() == [4.0] and out[EVENT].tolist() == [True]


def test_derive_time_to_response_censors_at_the_last_visit_and_treats_missing_as_not_seen():
    out = derive_time_to_response(_visits([2, 4, 10], [False, None, False]), "acr20")
    assert out[TIME].tolist() == [10.0] and out[EVENT].tolist() == [False]


def _first_event_time(visits: pd.DataFrame) -> tuple[float, bool]:
    """One participant's time to first response, written out visit by visit."""
    time = float("nan")
    for week, flag in sorted(zip(visits[c.WEEK], visits["acr20"], strict=True)):
        if week == c.BASELINE_WEEK:
            continue
        time = float(week)
        if pd.notna(flag) and flag:
            return time, True
    return time, False


WEEKS = [0, 2, 4, 8, 12, 16, 20, 24]


def test_derive_time_to_response_matches_a_visit_by_visit_count_on_random_tables():
    rng = np.random.default_rng(14)
    frames = []
    for i in range(60):
        weeks = sorted(rng.choice(WEEKS, size=rng.integers(1, 7), replace=False))
        flags = [None if w == c.BASELINE_WEEK else rng.choice([True, False, None]) for w in weeks]
        frames.append(_visits([int(w) for w in weeks], flags, subject=f"S{i:02d}"))
    table = pd.concat(frames, ignore_index=True)
    out = derive_time_to_response(table, "acr20").set_index(c.SUBJECT_ID)
    for subject, visits in table.groupby(c.SUBJECT_ID):
        time, event = _first_event_time(visits)
        if math.isnan(time):
            assert subject not in out.index
        else:
            assert (out.loc[subject, TIME], out.loc[subject, EVENT]) == (time, event)


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
