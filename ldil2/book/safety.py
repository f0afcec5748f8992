"""The Safety chapter: exposure, adverse events (overview, by system organ class and preferred
term, onset against the dosing periods) and laboratory safety.

Each function takes the chapter's :class:`ldil2.book.chapter.Chapter`, computes with
:mod:`ldil2.stats.safety`, records every number as ARD rows (:mod:`ldil2.results.safety`) and
returns a :class:`ldil2.book.common.Result` whose texts and tables are rendered from those rows
(:mod:`ldil2.present.safety`). The safety chapter always reports the safety population (every
participant who received at least one dose), whatever the edition's analysis population.
"""

from __future__ import annotations

from typing import Any

from ldil2 import contract as c
from ldil2.book.common import Result, caption, footnote, record_participants, record_setting
from ldil2.derive.safety import (
    FOLLOW_UP_DAYS,
    LAB_REFERENCE_SOURCE,
    dosing_period_days,
    dosing_windows_weeks,
    population_rows,
)
from ldil2.present import notes
from ldil2.present.format import count_of, difference_of, percent_of
from ldil2.present.safety import (
    AE_CATEGORY_LABELS,
    AE_TITLE,
    FOLLOW_UP,
    LAB_LABELS,
    ae_footnote,
    ae_table,
    dosing_share_text,
    exposure_table,
    overview_table,
    plot_ae_onset,
    plot_labs,
    reference_range_frame,
    shift_table,
    weeks_text,
)
from ldil2.present.tables import HtmlTable, TableSentence
from ldil2.results.ard import Ard
from ldil2.results.safety import (
    record_ae_onset,
    record_ae_overview,
    record_ae_terms,
    record_ae_total,
    record_dosing_share,
    record_exposure,
    record_lab_shifts,
    record_sampled_weeks,
)
from ldil2.stats.means import mean_by_visit
from ldil2.stats.safety import (
    ALL_CYCLES,
    COMMON_TERM_PCT,
    participants_by_week,
    summarise_ae_onset,
    summarise_ae_overview,
    summarise_ae_terms,
    summarise_exposure,
    summarise_lab_shifts,
)

CHAPTER = "safety"


def _ard() -> Ard:
    return Ard(CHAPTER, c.SAFETY)


def safety_facts(ch: Any) -> Result:
    """Glue values of the chapter's opening: n per arm in the safety population
    (``safety_n_<arm>``), the dosing schedule (``safety_doses_per_cycle``, ``safety_cycles``:
    protocol constants) and the number of adverse events recorded (``safety_n_events``)."""
    ard = _ard()
    ids = record_participants(ard, ch, c.SAFETY)
    events = population_rows(ch.release.subjects, ch.release.adverse_events)
    total = record_ae_total(ard, len(events), "Adverse events recorded in the safety population")
    cycles = record_setting(ard, "dosing_cycles", "Dosing cycles", "count", c.CYCLES, "cycles")
    doses = record_setting(
        ard,
        "doses_per_cycle",
        "Planned injections per cycle",
        "count",
        c.DOSES_PER_CYCLE,
        "injections",
    )
    return Result(
        values={
            **{f"safety_n_{arm}": int(ard.get(ids[arm], "N")) for arm in c.ARMS},
            "safety_doses_per_cycle": int(ard.get(doses, "count")),
            "safety_cycles": int(ard.get(cycles, "count")),
            "safety_n_events": int(ard.get(total, "count")),
        },
        ard=ard,
    )


def exposure_result(ch: Any) -> Result:
    """Table ``safety_exposure_table`` and the share of planned doses received per arm over
    all cycles (``safety_pct_planned_<arm>``)."""
    ard = _ard()
    ids = record_exposure(ard, summarise_exposure(ch.release.subjects, ch.release.exposure))
    windows = dosing_windows_weeks()
    when = f"weeks {windows[0][0]:g}-{windows[-1][1]:g}"
    note = footnote(
        ch,
        "Doses received out of doses planned (exposure.csv) per dosing cycle; 'dosed' counts "
        f"participants with at least one dose in the cycle. Missing-data rule: a cycle with no "
        f"exposure record (after withdrawal) counts as 0 of {c.DOSES_PER_CYCLE} planned doses.",
    )
    title = caption(ch, ard, f"Study-drug exposure by dosing cycle, {when}", c.SAFETY)
    return Result(
        values={
            f"safety_pct_planned_{arm}": percent_of(ard, ids[ALL_CYCLES][arm]["received"])
            for arm in c.ARMS
        },
        tables={"safety_exposure_table": exposure_table(ard, ids, title, note)},
        ard=ard,
    )


def make_ae_table(
    ard: Ard,
    release: Any,
    population: str = c.SAFETY,
    common_pct: float | None = None,
    title: str = AE_TITLE,
) -> HtmlTable | TableSentence:
    """Adverse events by system organ class and preferred term
    (:func:`ldil2.stats.safety.summarise_ae_terms`), recorded in `ard` and rendered from it
    (:func:`ldil2.present.safety.ae_table`).

    Parameters
    ----------
    release : needs subjects (arm, the population flag) and adverse_events (term, soc)
    population : one of contract.POPULATIONS
    common_pct : when given, a last column "Risk difference, percentage points (95% CI)":
        Ld-IL2 minus placebo (Newcombe hybrid-score 95% CI) for terms reported by at least
        `common_pct` % of participants in either arm (empty for other rows)
    title : the caption's measure and period
    """
    terms = summarise_ae_terms(release.subjects, release.adverse_events, population, common_pct)
    rows = record_ae_terms(ard, terms, AE_CATEGORY_LABELS["any"], population)
    note = notes.footnote(release, *ae_footnote(common_pct))
    return ae_table(ard, rows, title, note, differences=common_pct is not None)


def adverse_events_result(ch: Any) -> Result:
    """Tables ``safety_overview_table`` (participants with each kind of event, risk difference)
    and ``safety_terms_table`` (by system organ class and preferred term, with a risk difference
    for terms reported by at least :data:`ldil2.stats.safety.COMMON_TERM_PCT` % of either arm);
    glue values ``safety_<kind>_<arm>`` (n/N (%)), ``safety_<kind>_rd`` (the difference) and
    ``safety_common_pct`` (the threshold). One ARD for both tables: the row of any adverse event
    is one result."""
    ard = _ard()
    overview = summarise_ae_overview(ch.release.subjects, ch.release.adverse_events)
    ids = record_ae_overview(ard, overview, AE_CATEGORY_LABELS)
    values: dict[str, str] = {}
    for kind, rid in ids.items():
        values |= {f"safety_{kind}_{arm}": count_of(ard, rid[arm]) for arm in c.ARMS}
        values[f"safety_{kind}_rd"] = difference_of(ard, rid["difference"])
    note = footnote(
        ch,
        "Participants with at least one event of each kind (each participant counted once per "
        "row) and the number of events. Risk difference Ld-IL2 minus placebo with the Newcombe "
        "hybrid-score 95% CI (method 10). Every recorded event is treatment-emergent (onset on "
        "or after study day 1); grade = CTCAE grade; related = investigator-assessed. No "
        "missing-data imputation: participants without a recorded event count as without.",
    )
    title = caption(ch, ard, f"Adverse events, {FOLLOW_UP}", c.SAFETY)
    terms = make_ae_table(
        ard, ch.release, c.SAFETY, common_pct=COMMON_TERM_PCT, title=f"{AE_TITLE}, {FOLLOW_UP}"
    )
    threshold = record_setting(
        ard, "common_term_threshold", "Share of an arm above which a term is common", "percent",
        COMMON_TERM_PCT, "%",
    )  # fmt: skip
    return Result(
        values={**values, "safety_common_pct": f"{ard.get(threshold, 'percent'):g}%"},
        tables={
            "safety_overview_table": overview_table(ard, ids, title, note),
            "safety_terms_table": terms,
        },
        ard=ard,
    )


def ae_onset_result(ch: Any) -> Result:
    """Figure ``safety_onset_fig``, the events per arm that began on a dosing-period day
    (``safety_onset_in_cycle_<arm>``) and the share of follow-up days in a dosing period
    (``safety_dosing_share``)."""
    ard = _ard()
    onset = summarise_ae_onset(ch.release.subjects, ch.release.adverse_events)
    ids = record_ae_onset(ard, onset)
    share = record_dosing_share(ard, dosing_period_days(), FOLLOW_UP_DAYS)
    events = population_rows(ch.release.subjects, ch.release.adverse_events)
    return Result(
        values={
            **{f"safety_onset_in_cycle_{arm}": count_of(ard, ids[arm]) for arm in c.ARMS},
            "safety_dosing_share": dosing_share_text(ard, share),
        },
        figures={"safety_onset_fig": plot_ae_onset(events, dosing_windows_weeks())},
        ard=ard,
    )


def labs_result(ch: Any) -> Result:
    """Figure ``safety_labs_fig``, table ``safety_shift_table``, the reference-range table
    ``safety_ranges_table`` and value ``safety_lab_weeks`` (the sampled weeks)."""
    ard = _ard()
    shifts = record_lab_shifts(
        ard, summarise_lab_shifts(ch.release.subjects, ch.release.labs), LAB_LABELS
    )
    rows = population_rows(ch.release.subjects, ch.release.labs)
    weeks = record_sampled_weeks(
        ard, participants_by_week(rows), "labs_sampled", "Participants with a laboratory sample"
    )
    shift_note = footnote(
        ch,
        "Normal = within the reference range (limits included); abnormal = below or above it "
        "for blood counts, above the upper limit for ALT, AST and creatinine. "
        "Worst post-baseline value: abnormal if any value after week 0 is abnormal. "
        "Missing-data rule: participants without a baseline or without any post-baseline "
        f"value of a measure are not counted for it. {LAB_REFERENCE_SOURCE}.",
    )
    title = caption(
        ch, ard, f"Laboratory shift from baseline to the worst value, {FOLLOW_UP}", c.SAFETY
    )
    courses = {m: mean_by_visit(rows, m, include_baseline=True) for m in c.LAB_MEASURES}
    ranges = HtmlTable.from_frame(
        reference_range_frame(),
        "Laboratory reference ranges (adults)",
        footnote(ch, f"{LAB_REFERENCE_SOURCE}."),
    )
    return Result(
        values={"safety_lab_weeks": weeks_text(ard, weeks)},
        tables={
            "safety_shift_table": shift_table(ard, shifts, title, shift_note),
            "safety_ranges_table": ranges,
        },
        figures={"safety_labs_fig": plot_labs(courses, dosing_windows_weeks())},
        ard=ard,
    )
