"""Tests of ldil2.derive.populations: the one population filter, count per arm, visit list and
non-responder imputation, on small hand-made frames whose expected values are counted by hand.
"""

from types import SimpleNamespace

import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2.derive.populations import (
    flag_true,
    impute_nri,
    in_population,
    population_counts,
    scheduled_weeks,
    select_population,
    subjects_per_arm,
)


def _subjects() -> pd.DataFrame:
    """Five participants: S3 has no per-protocol flag recorded (NA), S5 is not in the safety
    population (never dosed)."""
    rows = [
        ("S1", c.ARM_LDIL2, True, True, True),
        ("S2", c.ARM_LDIL2, True, True, False),
        ("S3", c.ARM_LDIL2, True, True, pd.NA),
        ("S4", c.ARM_PLACEBO, True, True, True),
        ("S5", c.ARM_PLACEBO, True, False, False),
    ]
    frame = pd.DataFrame(rows, columns=[c.SUBJECT_ID, c.ARM, c.ITT, c.SAFETY, c.PER_PROTOCOL])
    return frame.astype({c.ITT: "boolean", c.SAFETY: "boolean", c.PER_PROTOCOL: "boolean"})


def test_select_population_keeps_rows_whose_flag_is_true():
    assert list(select_population(_subjects(), c.PER_PROTOCOL)[c.SUBJECT_ID]) == ["S1", "S4"]
    assert list(select_population(_subjects(), c.SAFETY)[c.SUBJECT_ID]) == ["S1", "S2", "S3", "S4"]
    assert len(select_population(_subjects(), c.ITT)) == 5


def test_select_population_counts_a_missing_flag_as_false():
    subjects = _subjects()
    assert pd.isna(subjects.loc[2, c.PER_PROTOCOL])
    assert "S3" not in set(select_population(subjects, c.PER_PROTOCOL)[c.SUBJECT_ID])
    assert in_population(subjects, c.PER_PROTOCOL).tolist() == [True, False, False, True, False]
    # an object column with None behaves the same as a nullable boolean with NA
    loose = subjects.assign(**{c.PER_PROTOCOL: [True, False, None, True, False]})
    assert list(select_population(loose, c.PER_PROTOCOL)[c.SUBJECT_ID]) == ["S1", "S4"]


def test_select_population_reindexes_and_keeps_order():
    subjects = _subjects().iloc[::-1]
    selected = select_population(subjects, c.PER_PROTOCOL)
    assert list(selected[c.SUBJECT_ID]) == ["S4", "S1"]
    assert list(selected.index) == [0, 1]


@pytest.mark.parametrize("population", ["completers", "completed", "all"])
def test_select_population_rejects_unknown_population(population):
    with pytest.raises(ValueError, match="population"):
        select_population(_subjects(), population)


def test_select_population_names_a_missing_flag_column():
    with pytest.raises(ValueError, match=c.SAFETY):
        select_population(_subjects().drop(columns=[c.SAFETY]), c.SAFETY)


def test_subjects_per_arm_counts_distinct_subjects_in_arm_order():
    visits = pd.DataFrame(
        {
            c.SUBJECT_ID: ["S1", "S1", "S2", "S4", "S4", "S4"],
            c.ARM: [c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO, c.ARM_PLACEBO, "other"],
        }
    )
    counts = subjects_per_arm(visits)
    assert counts == {c.ARM_LDIL2: 2, c.ARM_PLACEBO: 1}
    assert list(counts) == list(c.ARMS)


def test_subjects_per_arm_gives_zero_for_an_empty_arm():
    only = pd.DataFrame({c.SUBJECT_ID: ["S1"], c.ARM: [c.ARM_LDIL2]})
    assert subjects_per_arm(only) == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 0}
    assert subjects_per_arm(only.iloc[:0]) == {c.ARM_LDIL2: 0, c.ARM_PLACEBO: 0}


def test_population_counts_per_arm():
    subjects = _subjects()
    # per-protocol: S1 (Ld-IL2) and S4 (placebo); S3's missing flag counts as false
    assert population_counts(subjects, c.PER_PROTOCOL) == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 1}
    assert population_counts(subjects, c.SAFETY) == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 1}
    assert population_counts(subjects, c.ITT) == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 2}


def _visits() -> pd.DataFrame:
    return pd.DataFrame({c.WEEK: [0, 12, 4, 0, 4, pd.NA]}).astype({c.WEEK: "Int64"})


def test_scheduled_weeks_from_the_metadata_schedule():
    release = SimpleNamespace(metadata={c.VISIT_SCHEDULE: [24, 0, 4, 12, 12]})
    assert scheduled_weeks(release, _visits()) == (4, 12, 24)


def test_scheduled_weeks_fall_back_to_observed_weeks():
    assert scheduled_weeks(None, _visits()) == (4, 12)
    assert scheduled_weeks(SimpleNamespace(metadata={}), _visits()) == (4, 12)
    assert scheduled_weeks(SimpleNamespace(), _visits()) == (4, 12)


def _table() -> pd.DataFrame:
    """Analysis-table-like rows: S1 responds at week 4, misses week 12; S2 responds at 12 with a
    missing response at 4; S3 (placebo) attends both, never responds."""
    rows = [
        ("S1", c.ARM_LDIL2, 4, True),
        ("S2", c.ARM_LDIL2, 4, pd.NA),
        ("S2", c.ARM_LDIL2, 12, True),
        ("S3", c.ARM_PLACEBO, 4, False),
        ("S3", c.ARM_PLACEBO, 12, False),
    ]
    frame = pd.DataFrame(rows, columns=[c.SUBJECT_ID, c.ARM, c.WEEK, "acr20"])
    return frame.astype({"acr20": "boolean"}).assign(**{c.ITT: True})


def test_impute_nri_counts_missing_visits_and_responses_as_non_responders():
    imputed = impute_nri(_table(), "acr20", weeks=(4, 12))
    assert len(imputed) == 3 * 2
    assert list(imputed.columns) == [c.SUBJECT_ID, c.WEEK, c.ARM, c.ITT, "acr20"]
    value = imputed.set_index([c.SUBJECT_ID, c.WEEK])["acr20"]
    assert value[("S1", 4)] and not value[("S1", 12)]  # visit not attended -> False
    assert not value[("S2", 4)] and value[("S2", 12)]  # response missing -> False
    assert imputed["acr20"].notna().all() and str(imputed["acr20"].dtype) == "boolean"


def test_impute_nri_visits_default_to_the_schedule():
    release = SimpleNamespace(metadata={c.VISIT_SCHEDULE: [0, 4, 8, 12]})
    imputed = impute_nri(_table(), "acr20", release=release)
    assert sorted(imputed[c.WEEK].unique()) == [4, 8, 12]
    assert not imputed[imputed[c.WEEK] == 8]["acr20"].any()  # nobody seen at week 8


def test_flag_true_counts_a_missing_flag_as_false():
    flags = pd.Series([True, False, None, pd.NA], dtype="boolean")
    assert flag_true(flags).tolist() == [True, False, False, False]
    assert flag_true(flags).dtype == bool
