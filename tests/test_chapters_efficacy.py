"""Tests of ldil2.efficacy and of the methods, participants, primary, secondary, CONSORT and
data-contract chapters (executed through papermill and in the built book)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2 import efficacy


def make_subjects() -> pd.DataFrame:
    """Five participants: ldil2 = A (completed), B (withdrew wk 4, AE), C (withdrew wk 8, AE),
    placebo = D (completed, not in per-protocol), E (withdrew wk 2, consent, never dosed)."""
    return pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "B", "C", "D", "E"],
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 2,
            c.COMPLETED: pd.array([True, False, False, True, False], dtype="boolean"),
            c.WITHDRAWAL_WEEK: pd.array([None, 4, 8, None, 2], dtype="Int64"),
            c.WITHDRAWAL_REASON: pd.Series(
                [np.nan, "Adverse event", "Adverse event", np.nan, "Consent $withdrawn"],
                dtype="str",
            ),
            c.ITT: pd.array([True] * 5, dtype="boolean"),
            c.SAFETY: pd.array([True, True, True, True, False], dtype="boolean"),
            c.PER_PROTOCOL: pd.array([True, False, False, False, False], dtype="boolean"),
        }
    )


def test_flow_counts_counts_each_stage_per_arm():
    counts = efficacy.flow_counts(make_subjects())
    # by hand from make_subjects: ldil2 A, B, C; placebo D, E
    assert counts.loc["randomized"].to_dict() == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 2}
    assert counts.loc["treated"].to_dict() == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 1}
    assert counts.loc["withdrawn"].to_dict() == {c.ARM_LDIL2: 2, c.ARM_PLACEBO: 1}
    assert counts.loc["completed"].to_dict() == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 1}
    assert counts.loc["analysed_per_protocol"].to_dict() == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 0}
    assert counts.loc["analysed_safety"].to_dict() == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 1}


def test_withdrawal_reasons_groups_reason_with_count_and_weeks():
    subjects = make_subjects()
    assert efficacy.withdrawal_reasons(subjects, c.ARM_LDIL2) == ["Adverse event: 2 (week 4, 8)"]
    assert efficacy.withdrawal_reasons(subjects, c.ARM_PLACEBO) == [
        "Consent $withdrawn: 1 (week 2)"
    ]


def test_plot_consort_escapes_dollar_and_shows_counts():
    fig = efficacy.plot_consort(make_subjects())
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Randomized\nn = 5" in texts
    assert any(r"Consent \$withdrawn: 1 (week 2)" in t for t in texts)
    assert any("Withdrew before week 24: n = 2" in t for t in texts)


def test_population_counts_treats_missing_flag_as_false():
    subjects = make_subjects()
    subjects[c.PER_PROTOCOL] = pd.array([True, None, False, True, None], dtype="boolean")
    counts = efficacy.population_counts(subjects, c.PER_PROTOCOL)
    assert counts == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 1}


def test_result_rejects_numpy_scalars_and_duplicate_names():
    with pytest.raises(TypeError, match="acr20_p"):
        efficacy.Result(values={"acr20_p": np.float64(0.01)})
    with pytest.raises(ValueError, match="x"):
        efficacy.Result(values={"x": 1}, tables={"x": "<table></table>"})


def test_dosing_days_every_other_day_from_each_cycle_start():
    exposure = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "A", "A"],
            c.CYCLE: pd.array([1, 2, 3], dtype="Int64"),
            c.DOSES_PLANNED: pd.array([7, 7, 7], dtype="Int64"),
            c.DOSES_RECEIVED: pd.array([7, 6, 7], dtype="Int64"),
        }
    )
    days = efficacy.dosing_days(exposure)
    # protocol: cycles start weeks 0, 4, 8 (days 0, 28, 56), 7 doses 2 days apart
    assert days[1] == [0, 2, 4, 6, 8, 10, 12]
    assert days[2][0] == 28 and days[3] == [56, 58, 60, 62, 64, 66, 68]


def _documented(x):
    """Toy score.

    Notes
    -----
    a + b
    times two

    References
    ----------
    Someone 2020.
    """
    return x


def _tabled():
    """Toy rule.

    Notes
    -----
    ======  ======
    x       label
    ======  ======
    <= 1    low
    ======  ======
    """


def test_docstring_sections_reads_numpy_sections():
    doc = efficacy.docstring_sections(_documented)
    assert doc["summary"] == "Toy score."
    assert doc["extended"] == ""
    assert doc["Notes"] == "a + b times two"
    assert doc["References"] == "Someone 2020."
    assert "Raises" not in doc


def test_docstring_sections_turns_rest_table_into_text():
    assert efficacy.docstring_sections(_tabled)["Notes"] == "x / label; <= 1 / low;"


def test_definition_text_prefers_extended_then_notes():
    assert efficacy.definition_text(_documented) == "Toy score. a + b times two"


def test_every_outcome_definition_states_a_formula_or_threshold():
    for outcome, func in efficacy.definition_functions():
        # every definition names a number: a coefficient, a cut-off or a percentage
        assert any(ch.isdigit() for ch in efficacy.definition_text(func)), outcome
