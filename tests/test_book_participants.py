"""Tests of ldil2.book.participants (flow, withdrawals, CONSORT diagram, baseline, exposure) on
small hand-made frames, and of the pieces it uses (population counts, the Result)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2.book import participants
from ldil2.book.common import Result
from ldil2.derive.populations import population_counts
from ldil2.present.baseline import summary_cell
from ldil2.present.consort import withdrawal_line
from ldil2.results.ard import Ard

RELEASE_INFO = {"is_simulated": True, "version": "2099.1.1", "metadata": {}}


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


def chapter_of(subjects: pd.DataFrame, population: str = c.PER_PROTOCOL, **frames):
    """A stand-in for ldil2.book.chapter.Chapter over hand-made frames."""
    empty = pd.DataFrame()
    parts = {"assessments": empty, "immunology": empty, "exposure": empty} | frames
    release = SimpleNamespace(subjects=subjects, **parts, **RELEASE_INFO)
    return SimpleNamespace(release=release, population=population, analysis=empty)


def test_flow_counts_counts_each_stage_per_arm():
    counts = participants.flow_counts(make_subjects())
    # by hand from make_subjects: ldil2 A, B, C; placebo D, E
    assert counts.loc["randomized"].to_dict() == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 2}
    assert counts.loc["treated"].to_dict() == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 1}
    assert counts.loc["withdrawn"].to_dict() == {c.ARM_LDIL2: 2, c.ARM_PLACEBO: 1}
    assert counts.loc["completed"].to_dict() == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 1}
    assert counts.loc["analysed_per_protocol"].to_dict() == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 0}
    assert counts.loc["analysed_safety"].to_dict() == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 1}


def test_withdrawal_reasons_groups_reason_with_count_and_weeks():
    subjects = make_subjects()

    def lines(arm):
        return [withdrawal_line(*r) for r in participants.withdrawals_by_reason(subjects, arm)]

    assert lines(c.ARM_LDIL2) == ["Adverse event: 2 (week 4, 8)"]
    assert lines(c.ARM_PLACEBO) == ["Consent $withdrawn: 1 (week 2)"]


def test_withdrawal_reasons_most_frequent_first_and_missing_week_counted():
    subjects = make_subjects()
    subjects.loc[4, c.ARM] = c.ARM_LDIL2  # E: consent, week 2, now in the Ld-IL2 arm
    subjects.loc[2, c.WITHDRAWAL_WEEK] = pd.NA  # C: adverse event, week not recorded
    got = participants.withdrawals_by_reason(subjects, c.ARM_LDIL2)
    assert got == [("Adverse event", 2, (4,)), ("Consent $withdrawn", 1, (2,))]


def test_record_flow_rows_hold_every_count_of_the_diagram():
    ard = Ard(participants.CHAPTER)
    flow = participants.record_flow(ard, chapter_of(make_subjects()))
    counts = participants.flow_counts(make_subjects())
    for stage in counts.index:
        for arm in c.ARMS:
            assert flow.count(ard, stage, arm) == counts.loc[stage, arm], (stage, arm)
    assert flow.count(ard, "randomized") == 5
    ((rid, weeks),) = flow.reasons[c.ARM_PLACEBO]
    assert rid == "withdrawal_consent_withdrawn.all.itt.placebo.participant_flow"
    assert ard.row(rid, "n").endpoint_label == "Consent $withdrawn" and weeks == (2,)


def test_consort_flow_glues_the_ard_values():
    result = participants.consort_flow(chapter_of(make_subjects()))
    assert result.values["flow_randomized"] == 5
    assert result.values["flow_withdrawn_ldil2"] == 2
    assert result.values["flow_analysed_safety_placebo"] == 1
    rows = {(r.endpoint, r.group, r.population, r.stat): r.value for r in result.ard.rows()}
    assert rows[("withdrawn", c.ARM_LDIL2, c.ITT, "n")] == result.values["flow_withdrawn_ldil2"]
    assert rows[("participants", c.ARM_PLACEBO, c.SAFETY, "N")] == 1


def _consort_texts(subjects):
    fig = participants.consort_flow(chapter_of(subjects)).figures["consort_fig"]
    texts = [" ".join(t.get_text().split()) for t in fig.axes[0].texts]
    return fig, texts


def test_plot_consort_escapes_dollar_and_shows_counts():
    _, texts = _consort_texts(make_subjects())
    assert "Randomized (n = 5)" in texts
    assert any(r"Consent \$withdrawn: 1 (week 2)" in t for t in texts)
    assert any("Discontinued before week 24 (n = 2)" in t for t in texts)
    # B and C did not complete week 24; E was never dosed; D is not in the per-protocol set
    assert any("Per-protocol: 2 (did not complete week 24)" in t for t in texts)
    assert any("Safety: 1 (received no dose)" in t for t in texts)


def test_record_flow_records_exclusions_and_optional_screening():
    subjects = make_subjects()
    ard = Ard(participants.CHAPTER)
    flow = participants.record_flow(ard, chapter_of(subjects))
    assert flow.assessed is None
    # ldil2: A is per-protocol of A, B, C; placebo: neither D nor E
    assert ard.get(*flow.excluded[c.PER_PROTOCOL][c.ARM_LDIL2]) == 2
    assert ard.get(*flow.excluded[c.PER_PROTOCOL][c.ARM_PLACEBO]) == 2
    assert ard.get(*flow.excluded[c.ITT][c.ARM_PLACEBO]) == 0
    ch = chapter_of(subjects)
    ch.release.metadata = {c.META_ASSESSED: 9}
    flow = participants.record_flow(Ard(participants.CHAPTER), ch)
    assert flow.assessed is not None


def test_plot_consort_draws_a_downward_arrow_between_consecutive_boxes():
    """Assessed -> randomized -> allocated -> completed -> analysed (1 + 3 per arm arrows down),
    and one arrow sideways to each side box (excluded before randomization; per arm:
    discontinued, excluded from analysis): 7 arrows down, each ending below where it starts
    (a regression: arrows clipped to the boxes vanished in the inline backend's tight bounding
    box), 5 sideways."""
    fig, _ = _consort_texts(make_subjects())
    arrows = [a for a in fig.axes[0].texts if getattr(a, "arrow_patch", None) is not None]
    centres = {t.get_position()[1] for t in fig.axes[0].texts if t.get_bbox_patch() is not None}
    down = [a for a in arrows if a.xyann[1] != a.xy[1]]
    sideways = [a for a in arrows if a.xyann[1] == a.xy[1]]
    assert (len(down), len(sideways)) == (7, 5)
    for arrow in sideways:
        assert arrow.xy[0] > arrow.xyann[0]  # to the side box on the right
    for arrow in down:
        y_start, y_end = arrow.xyann[1], arrow.xy[1]
        assert y_end < y_start
        # drawn between box edges, not from centre to centre (which relied on clipping)
        assert y_start not in centres and y_end not in centres


def test_population_counts_treats_missing_flag_as_false():
    subjects = make_subjects()
    subjects[c.PER_PROTOCOL] = pd.array([True, None, False, True, None], dtype="boolean")
    counts = population_counts(subjects, c.PER_PROTOCOL)
    assert counts == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 1}


def test_result_rejects_numpy_scalars_and_duplicate_names():
    # ldil2.book.common.Result
    with pytest.raises(TypeError, match="acr20_p"):
        Result(values={"acr20_p": np.float64(0.01)})
    with pytest.raises(ValueError, match="x"):
        Result(values={"x": 1}, tables={"x": "<table></table>"})


def test_withdrawal_listing_one_row_per_withdrawal_with_itt_caption():
    result = participants.withdrawal_listing(chapter_of(make_subjects()))
    table = result.tables["withdrawal_table"]
    assert table.caption.endswith("(Ld-IL2 + MTX n = 3; Placebo + MTX n = 2)")
    assert table.to_frame()["Participant"].tolist() == ["B", "C", "E"]
    assert table.to_frame()["Week of withdrawal"].tolist() == ["4", "8", "2"]


# ---------------------------------------------------------------------------------------------
# Baseline table
# ---------------------------------------------------------------------------------------------


def _subjects(n_ldil2=3, n_placebo=2):
    ids = [f"A{i}" for i in range(n_ldil2)] + [f"P{i}" for i in range(n_placebo)]
    arms = [c.ARM_LDIL2] * n_ldil2 + [c.ARM_PLACEBO] * n_placebo
    frame = pd.DataFrame({c.SUBJECT_ID: ids, c.ARM: arms})
    return frame.assign(
        **{
            c.AGE: [30, 40, 50, 35, pd.NA][: len(ids)],
            c.SEX: ["F", "F", "M", "M", "F"][: len(ids)],
            c.RF_POSITIVE: [True, False, True, True, True][: len(ids)],
            c.ITT: True,
            c.SAFETY: [True, True, True, True, False][: len(ids)],
            c.PER_PROTOCOL: True,
            c.COMPLETED: True,
        }
    ).astype({c.AGE: "Int64", c.RF_POSITIVE: "boolean"})


def test_baseline_table_counts_caption_and_no_p_values():
    table = participants.baseline(chapter_of(_subjects(), c.ITT)).tables["baseline_table"]
    assert table.caption == (
        "Baseline characteristics, intention-to-treat population "
        "(Ld-IL2 + MTX n = 3; Placebo + MTX n = 2)"
    )
    cells = table.to_frame().set_index("Characteristic")
    # age: Ld-IL2 30, 40, 50 -> mean 40, SD 10; placebo 35 and one missing -> no SD
    assert cells.loc["Age, years"].tolist() == ["40.0 (10.0)", "35.0 (-), 1 missing"]
    assert cells.loc["Female, n (%)"].tolist() == ["2 (66.7%)", "1 (50.0%)"]
    assert "P" not in table.header
    assert "Release 2099.1.1." in table.footnote


def test_baseline_table_cells_are_the_formatted_ard_rows():
    result = participants.baseline(chapter_of(_subjects(), c.ITT))
    cells = result.tables["baseline_table"].to_frame().set_index("Characteristic")
    ard = result.ard
    age = {arm: f"age.all.itt.{arm}.mean_sd" for arm in c.ARMS}
    assert ard.get(age[c.ARM_LDIL2], "mean") == 40 and ard.get(age[c.ARM_PLACEBO], "missing") == 1
    for arm, column in zip(c.ARMS, cells.columns, strict=True):
        assert cells.loc["Age, years", column] == summary_cell(ard, age[arm])
        female = f"sex.all.itt.{arm}.count"
        assert cells.loc["Female, n (%)", column] == summary_cell(ard, female)
    # the header's n per arm is the participants row
    assert result.tables["baseline_table"].header[1] == (
        f"Ld-IL2 + MTX (n = {int(ard.get('participants.all.itt.ldil2.count', 'N'))})"
    )


def test_baseline_frame_adds_week0_measures_and_keeps_the_population():
    subjects = _subjects()
    subjects[c.PER_PROTOCOL] = [True, True, False, True, True]
    analysis = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A0", "A0", "A1"],
            c.WEEK: [0, 12, 0],
            **{m: [1.0, 2.0, 3.0] for m in c.ASSESSMENT_MEASURES},
            **{i: [5.0, 4.0, 6.0] for i in participants.INDICES},
        }
    )
    frame = participants.baseline_frame(subjects, analysis, pd.DataFrame(), c.PER_PROTOCOL)
    assert frame[c.SUBJECT_ID].tolist() == ["A0", "A1", "P0", "P1"]
    assert frame["cdai"].tolist()[:2] == [5.0, 6.0] and frame["cdai"].isna().sum() == 2


# ---------------------------------------------------------------------------------------------
# Exposure
# ---------------------------------------------------------------------------------------------


def test_exposure_table_sums_doses_per_cycle_and_arm_from_the_ard():
    exposure = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A0", "A1", "A0", "P0"],
            c.CYCLE: pd.array([1, 1, 2, 1], dtype="Int64"),
            c.DOSES_PLANNED: pd.array([7, 7, 7, 7], dtype="Int64"),
            c.DOSES_RECEIVED: pd.array([7, 5, 7, 7], dtype="Int64"),
        }
    )
    result = participants.exposure_summary(chapter_of(_subjects(), c.ITT, exposure=exposure))
    frame = result.tables["exposure_table"].to_frame().set_index("Cycle")
    # cycle 1, Ld-IL2: 7 + 5 of 7 + 7 doses = 12/14 (85.7%); 1 of 2 received every dose
    assert frame.loc["1", "Ld-IL2 + MTX: doses received / planned"] == "12/14 (85.7%)"
    assert frame.loc["1", "Ld-IL2 + MTX: all doses, n/N"] == "1/2"
    assert frame.loc["2", "Placebo + MTX: doses received / planned"] == "-"
    assert result.ard.get("doses_cycle1.all.itt.ldil2.exposure", "n") == 12
    assert result.ard.get("doses_cycle1.all.itt.ldil2.exposure", "percent") == pytest.approx(
        100 * 12 / 14
    )
