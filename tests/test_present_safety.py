"""Tests of ldil2.present.safety: every table cell is read from the ARD rows (change one row and
the cell changes), and the figures draw what they say."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import pandas as pd
from safety_cases import safety_events, safety_subjects

from ldil2 import contract as c
from ldil2.derive.safety import dosing_windows_weeks, population_rows
from ldil2.present import safety
from ldil2.present.tables import HtmlTable, TableSentence
from ldil2.present.theme import WEEK_AXIS
from ldil2.results.ard import Ard
from ldil2.results.safety import (
    record_ae_overview,
    record_ae_terms,
    record_dosing_share,
    record_exposure,
    record_lab_shifts,
    record_sampled_weeks,
)
from ldil2.stats.means import mean_by_visit
from ldil2.stats.safety import (
    ALL_CYCLES,
    summarise_ae_overview,
    summarise_ae_terms,
    summarise_exposure,
    summarise_lab_shifts,
)


def _changed(ard: Ard, rid: str, stat: str, value: float) -> Ard:
    """A copy of `ard` with one statistic replaced."""
    copy = Ard(ard.chapter, ard.population)
    for row in ard.rows():
        copy.add(dataclasses.replace(row, value=value) if row.key == (rid, stat) else row)
    return copy


def _overview() -> tuple[Ard, dict]:
    ard = Ard("safety", c.SAFETY)
    ids = record_ae_overview(
        ard, summarise_ae_overview(safety_subjects(), safety_events()), safety.AE_CATEGORY_LABELS
    )
    return ard, ids


def test_overview_table_cells_are_the_ard_rows():
    ard, ids = _overview()
    frame = safety.overview_table(ard, ids, "t", ()).to_frame().set_index("Participants with")
    ld = c.ARM_LABELS[c.ARM_LDIL2]
    for kind, rid in ids.items():
        line = frame.loc[safety.AE_CATEGORY_LABELS[kind]]
        n, total = ard.get(rid[c.ARM_LDIL2], "n"), ard.get(rid[c.ARM_LDIL2], "N")
        assert line[f"{ld}: n/N (%)"] == f"{n:.0f}/{total:.0f} ({100 * n / total:.1f}%)"
        assert line[f"{ld}: events"] == f"{ard.get(rid[c.ARM_LDIL2], 'count'):.0f}"
        d = ard.result(rid["difference"])
        assert line[safety.RD_HEADER] == f"{d['estimate']:.1f} ({d['lcl']:.1f} to {d['ucl']:.1f})"
    # change one ARD value: the cell follows it
    changed = _changed(ard, ids["serious"][c.ARM_LDIL2], "count", 99)
    frame = safety.overview_table(changed, ids, "t", ()).to_frame().set_index("Participants with")
    assert frame.loc[safety.AE_CATEGORY_LABELS["serious"], f"{ld}: events"] == "99"


def _exposure() -> pd.DataFrame:
    rows = [(s, k, 7, 7) for s in ("S1", "S2", "S4", "S5") for k in (1, 2, 3)]
    return pd.DataFrame(rows, columns=[c.SUBJECT_ID, c.CYCLE, c.DOSES_PLANNED, c.DOSES_RECEIVED])


def test_exposure_table_cells_are_the_ard_rows():
    ard = Ard("safety", c.SAFETY)
    ids = record_exposure(ard, summarise_exposure(safety_subjects(), _exposure()))
    table = safety.exposure_table(ard, ids, "t", ("note",)).to_frame().set_index("Cycle")
    ld = c.ARM_LABELS[c.ARM_LDIL2]
    assert list(table.index) == ["1", "2", "3", ALL_CYCLES]
    assert table.loc[ALL_CYCLES, f"{ld}: doses received / planned"] == "42/42 (100.0%)"
    assert table.loc["1", f"{ld}: dosed, n/N"] == "2/2"
    assert table.loc[ALL_CYCLES, f"{ld}: doses per participant, mean"] == "21.0"
    rid = ids[ALL_CYCLES][c.ARM_LDIL2]
    changed = _changed(
        _changed(ard, rid["received"], "percent", 12.34), rid["planned"], "count", 50
    )
    table = safety.exposure_table(changed, ids, "t", ()).to_frame().set_index("Cycle")
    assert table.loc[ALL_CYCLES, f"{ld}: doses received / planned"] == "42/50 (12.3%)"


def test_shift_table_cells_are_the_ard_rows():
    labs = pd.DataFrame(
        {c.SUBJECT_ID: ["S1", "S1", "S4", "S4"], c.WEEK: pd.array([0, 4, 0, 4], dtype="Int64")}
    )
    for measure in c.LAB_MEASURES:
        labs[measure] = [5.0, 12.0, 5.0, 6.0]  # WBC: S1 normal -> abnormal, S4 stays normal
    ard = Ard("safety", c.SAFETY)
    ids = record_lab_shifts(ard, summarise_lab_shifts(safety_subjects(), labs), safety.LAB_LABELS)
    frame = safety.shift_table(ard, ids, "t", ()).to_frame()
    wbc = frame[frame["Measure"] == safety.LAB_LABELS[c.WBC]].set_index("Baseline")
    ld, pl = c.ARM_LABELS[c.ARM_LDIL2], c.ARM_LABELS[c.ARM_PLACEBO]
    columns = [f"{ld}: n", f"{ld}: worst normal", f"{ld}: worst abnormal"]
    assert wbc.loc["Normal", columns].tolist() == ["1", "0", "1"]
    assert wbc.loc["Normal", f"{pl}: worst normal"] == "1"
    rid = ids[(c.WBC, "Normal")][c.ARM_PLACEBO]["Abnormal"]
    changed = _changed(ard, rid, "n", 7)
    frame = safety.shift_table(changed, ids, "t", ()).to_frame()
    wbc = frame[frame["Measure"] == safety.LAB_LABELS[c.WBC]].set_index("Baseline")
    assert wbc.loc["Normal", f"{pl}: worst abnormal"] == "7"


def test_dosing_share_and_weeks_texts_from_rows():
    ard = Ard("safety", c.SAFETY)
    share = record_dosing_share(ard, 42, 168)
    assert safety.dosing_share_text(ard, share) == "42 of 168 days (25%)"
    weeks = record_sampled_weeks(ard, {0: 3, 4: 2, 24: 1}, "labs_sampled", "sampled")
    assert safety.weeks_text(ard, weeks) == "0, 4, 24"


def test_reference_range_frame_states_sex_specific_ranges():
    frame = safety.reference_range_frame().set_index("Measure")
    assert frame.loc[safety.LAB_LABELS[c.HEMOGLOBIN], "Reference range"] == (
        "men 140-175; women 123-153"
    )
    assert frame.loc[safety.LAB_LABELS[c.ALT], "Abnormal when"] == "above the upper limit"
    assert frame.loc[safety.LAB_LABELS[c.WBC], "Abnormal when"] == "outside the range"


def test_plot_ae_onset_one_panel_per_arm_counting_every_event():
    events = population_rows(safety_subjects(), safety_events())
    fig = safety.plot_ae_onset(events, dosing_windows_weeks())
    ld, pl = fig.axes
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        c.ARM_LABELS[c.ARM_LDIL2],
        c.ARM_LABELS[c.ARM_PLACEBO],
    ]
    # bar heights (one-week bins) sum to the events per arm: Ld-IL2 E1-E3, placebo E4
    bars = [p for p in ld.patches if p.get_height() > 0 and p.get_width() == 1]
    assert sum(p.get_height() for p in bars) == 3
    assert sum(p.get_height() for p in pl.patches if p.get_width() == 1) == 1
    assert pl.get_xlabel().startswith(WEEK_AXIS)  # weeks, like every time axis of the book
    plt.close(fig)


def test_plot_labs_one_panel_per_measure_with_units():
    labs = pd.DataFrame(
        {c.SUBJECT_ID: ["S1", "S1", "S4", "S4"], c.WEEK: pd.array([0, 4, 0, 4], dtype="Int64")}
    )
    for measure in c.LAB_MEASURES:
        labs[measure] = [1.0, 2.0, 3.0, 4.0]
    rows = population_rows(safety_subjects(), labs)
    courses = {m: mean_by_visit(rows, m, include_baseline=True) for m in c.LAB_MEASURES}
    fig = safety.plot_labs(courses, dosing_windows_weeks())
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(safety.LAB_LABELS.values())
    assert all("(" in ax.get_title() for ax in visible)  # every panel states its unit
    weeks = sorted({round(x) for x in visible[0].get_lines()[-1].get_xdata()})
    assert weeks == [0, 4]  # week 0 (baseline) is drawn
    plt.close(fig)


def test_all_zero_adverse_event_tables_collapse_to_one_sentence():
    subjects, none = safety_subjects(), safety_events().iloc[0:0]
    ard = Ard("safety", c.SAFETY)
    ids = record_ae_overview(ard, summarise_ae_overview(subjects, none), safety.AE_CATEGORY_LABELS)
    terms = record_ae_terms(ard, summarise_ae_terms(subjects, none), "Any adverse event")
    overview = safety.overview_table(ard, ids, "t", ("note",))
    by_term = safety.ae_table(ard, terms, "t", ("note",))
    # the N per arm from the ARD rows (the safety population of safety_cases)
    totals = {arm: int(ard.get(ids["any"][arm], "N")) for arm in c.ARMS}
    expected = (
        f"No adverse event was recorded in {safety.FOLLOW_UP}, safety population "
        f"(Ld-IL2 + MTX n = {totals[c.ARM_LDIL2]}; Placebo + MTX n = {totals[c.ARM_PLACEBO]})."
    )
    assert overview == by_term == TableSentence(expected)
    assert overview.to_html() == f'<p class="ldil2-table-sentence">{expected}</p>'


def test_a_table_with_one_event_is_not_collapsed():
    subjects, one = safety_subjects(), safety_events().iloc[:1]
    ard = Ard("safety", c.SAFETY)
    ids = record_ae_overview(ard, summarise_ae_overview(subjects, one), safety.AE_CATEGORY_LABELS)
    assert isinstance(safety.overview_table(ard, ids, "t", ()), HtmlTable)
