"""The Immunological biomarkers chapter: marker courses by arm through the dosing cycles, change
from baseline, and baseline Treg % and IL-21 as markers of ACR20 response.

The published abstract says that "low Treg and high IL-21 were associated with good responses to
Ld-IL2". The association is measured in the Ld-IL2 arm (logistic regression per SD, ROC AUC with
a DeLong CI) and, with an arm x marker interaction, tested for being predictive rather than
prognostic. With 17 Ld-IL2 participants in the published analysis set all of it is exploratory.

Each function takes the chapter's :class:`ldil2.book.chapter.Chapter`, computes with
:mod:`ldil2.stats.markers`, records every number as ARD rows (:mod:`ldil2.results.markers`) and
returns a :class:`ldil2.book.common.Result` whose texts and tables are rendered from those rows
(:mod:`ldil2.present.markers`). Glue names start with ``bio_``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.book.common import GlueValue, Result, caption, footnote, record_setting
from ldil2.derive.analysis import ACR20
from ldil2.derive.markers import TH17_TREG_RATIO, make_marker_response_frame, marker_rows
from ldil2.derive.populations import subjects_per_arm
from ldil2.derive.safety import dosing_windows_weeks
from ldil2.present.markers import (
    MARKER_LABELS,
    association_table,
    auc_text,
    change_table,
    detectable_text,
    interaction_text,
    means_text,
    odds_ratio_text,
    plot_markers,
    plot_roc,
)
from ldil2.present.safety import weeks_text
from ldil2.results.ard import Ard
from ldil2.results.markers import (
    record_association,
    record_change,
    record_detectable_or,
    record_interaction,
    record_means,
    record_roc,
    record_sample,
)
from ldil2.results.safety import record_sampled_arms, record_sampled_weeks
from ldil2.stats.markers import (
    DETECTABLE_POWER,
    MarkerAssociation,
    MarkerInteraction,
    RocResult,
    detectable_odds_ratio,
    fit_marker_association,
    fit_marker_interaction,
    fit_marker_roc,
    summarise_marker_change,
    summarise_marker_sample,
)
from ldil2.stats.means import mean_by_visit
from ldil2.stats.safety import participants_by_week

CHAPTER = "biomarkers"

CHANGE_MARKERS: tuple[str, ...] = (
    c.TREG_PCT,
    c.TREG_PER_UL,
    c.TH17_PCT,
    TH17_TREG_RATIO,
    c.IL21,
    c.IL6,
    c.IL17A,
)
"""Markers of the change-from-baseline table, in table order."""

TREG_COURSE: tuple[str, ...] = (c.TREG_PCT, c.TREG_PER_UL)
"""Markers of the Treg figure; the glued means are of the first."""
RATIO_COURSE: tuple[str, ...] = (TH17_TREG_RATIO, c.TH17_PCT)
"""Markers of the Th17/Treg figure; the glued means are of the first."""

PUBLISHED_DIRECTION: dict[str, str] = {c.TREG_PCT: "lower", c.IL21: "higher"}
"""The direction in which the published claim expects each baseline marker to favour response:
"low Treg and high IL-21 were associated with good responses to Ld-IL2"."""

RESPONSE_WEEK = c.LAST_WEEK
"""The visit of the ACR20 response the baseline markers are related to."""
SAMPLED = "immunology_sampled"


def _ard(ch: Any) -> Ard:
    return Ard(CHAPTER, ch.population)


def _rows(ch: Any) -> pd.DataFrame:
    return marker_rows(ch.release.subjects, ch.release.immunology, ch.population)


def biomarker_facts(ch: Any) -> Result:
    """Glue values: the immunology visits of the population (``bio_weeks``) and the participants
    sampled at least once per arm (``bio_sampled_<arm>``)."""
    ard, rows = _ard(ch), _rows(ch)
    weeks = record_sampled_weeks(
        ard, participants_by_week(rows), SAMPLED, "Participants with an immunology sample"
    )
    arms = record_sampled_arms(
        ard, subjects_per_arm(rows), SAMPLED, "Participants with at least one immunology sample"
    )
    return Result(
        values={
            "bio_weeks": weeks_text(ard, weeks),
            **{f"bio_sampled_{arm}": int(ard.get(arms[arm], "n")) for arm in c.ARMS},
        },
        ard=ard,
    )


def course_result(ch: Any, markers: tuple[str, ...], name: str) -> Result:
    """Figure ``bio_<name>_fig`` of markers over time (every mean an ARD row), and glue values
    of the first marker's mean per arm: ``bio_<name>_base_<arm>`` (week 0), ``_ends_<arm>`` (the
    week each dosing period ends), ``_starts_<arm>`` (the first week of each later cycle, before
    its first dose, after the break) and ``_last_<arm>`` (the last visit)."""
    ard, rows = _ard(ch), _rows(ch)
    courses = {m: mean_by_visit(rows, m, include_baseline=True) for m in markers}
    ids = {m: record_means(ard, courses[m], m, MARKER_LABELS[m]) for m in markers}
    first = ids[markers[0]]
    ends = [round(end) for _, end in dosing_windows_weeks()]
    starts = list(c.DOSING_CYCLE_START_WEEKS[1:])
    values: dict[str, GlueValue] = {}
    for arm in c.ARMS:
        last = max((week for code, week in first if code == arm), default=None)
        values[f"bio_{name}_base_{arm}"] = means_text(ard, first, arm, [c.BASELINE_WEEK])
        values[f"bio_{name}_ends_{arm}"] = means_text(ard, first, arm, ends)
        values[f"bio_{name}_starts_{arm}"] = means_text(ard, first, arm, starts)
        values[f"bio_{name}_last_{arm}"] = means_text(
            ard, first, arm, [last] if last is not None else []
        )
    fig = plot_markers(courses, dosing_windows_weeks())
    return Result(values=values, figures={f"bio_{name}_fig": fig}, ard=ard)


def change_result(ch: Any) -> Result:
    """Table ``bio_change_table``: change from baseline of every marker at the end of treatment
    and at the last visit (those sampled in the population), median (IQR) per arm and P."""
    sampled = participants_by_week(_rows(ch))
    weeks = tuple(w for w in (c.END_OF_TREATMENT_WEEK, c.LAST_WEEK) if w in sampled)
    change = summarise_marker_change(
        ch.release.subjects, ch.release.immunology, CHANGE_MARKERS, weeks, ch.population
    )
    ard = _ard(ch)
    rows = record_change(ard, change, MARKER_LABELS)
    note = footnote(
        ch,
        "Change = visit value minus the week-0 value, in the marker's unit. Median and "
        "interquartile range per arm; two-sided Wilcoxon rank-sum (Mann-Whitney U) test between "
        "arms, not adjusted for multiplicity (exploratory). Missing-data rule: observed values "
        "only; a participant without the week-0 or the visit value is not counted.",
    )
    shown = list(dict.fromkeys(row[c.WEEK] for row in rows))
    weeks_words = " and ".join(str(w) for w in shown) or "none sampled"
    title = caption(ch, ard, f"Change from baseline in immunological markers, week {weeks_words}")
    return Result(tables={"bio_change_table": change_table(ard, rows, title, note)}, ard=ard)


def sample_size_values(
    ard: Ard, frame: pd.DataFrame, imputation: str = "none"
) -> dict[str, GlueValue]:
    """Record and glue what the Ld-IL2 sample of a marker-response frame can show:
    ``bio_assoc_n``, ``_responders``, ``_non_responders``, ``_n_placebo``, the response week
    ``bio_assoc_week``, and the smallest OR per SD detectable with DETECTABLE_POWER
    (``bio_assoc_detectable_or``, :func:`ldil2.stats.markers.detectable_odds_ratio`;
    ``bio_assoc_power``); `imputation` is the frame's missing-response rule."""
    sample = summarise_marker_sample(frame)
    label = f"Participants with an {ACR20.upper()} result at week {RESPONSE_WEEK}"
    if imputation == "nri":
        label += " (non-responder imputation)"
    ids = record_sample(ard, sample, label, RESPONSE_WEEK)
    treated = sample.set_index(c.ARM).loc[c.ARM_LDIL2]
    n, responders = int(treated["n"]), int(treated["responders"])
    detectable = detectable_odds_ratio(n, responders / n if n else 0.0, DETECTABLE_POWER)
    det = record_detectable_or(
        ard, detectable, n, responders, DETECTABLE_POWER,
        "Smallest odds ratio per SD detectable in the Ld-IL2 sample", RESPONSE_WEEK, imputation,
    )  # fmt: skip
    power = record_setting(
        ard, "detectable_power", "Power of the detectable odds ratio", "percent",
        100 * DETECTABLE_POWER, "%",
    )  # fmt: skip
    ld, pl = ids[c.ARM_LDIL2], ids[c.ARM_PLACEBO]
    return {
        "bio_assoc_n": int(ard.get(ld["responders"], "N")),
        "bio_assoc_responders": int(ard.get(ld["responders"], "n")),
        "bio_assoc_non_responders": int(ard.get(ld["non_responders"], "n")),
        "bio_assoc_detectable_or": detectable_text(ard, det),
        "bio_assoc_power": f"{ard.get(power, 'percent'):.0f}%",
        "bio_assoc_week": int(ard.row(ld["responders"], "n").week),
        "bio_assoc_n_placebo": int(ard.get(pl["responders"], "N")),
    }


def marker_results(
    ard: Ard, frame: pd.DataFrame, marker: str, direction: str, imputation: str = "none"
) -> tuple[dict[str, str], dict[str, GlueValue], RocResult]:
    """One baseline marker: fit and record the per-SD odds ratio in each arm, the ROC (Ld-IL2)
    and the interaction; return their result ids (``or_<arm>``, ``auc``, ``interaction``), the
    glue values (``bio_<marker>_or``, ``_or_placebo``, ``_auc``, ``_interaction``) and the ROC
    result (for the curve). Under ``nri`` the analyses are the ``_nri`` ids."""
    label = f"Baseline {MARKER_LABELS[marker]} and {ACR20.upper()} response"
    ids = {
        f"or_{arm}": record_association(
            ard, fit_marker_association(frame, marker, arm), label, RESPONSE_WEEK, imputation
        )
        for arm in c.ARMS
    }
    roc = fit_marker_roc(frame, marker, c.ARM_LDIL2, direction)
    ids["auc"] = record_roc(ard, roc, label, RESPONSE_WEEK, imputation)
    ids["interaction"] = record_interaction(
        ard, fit_marker_interaction(frame, marker), label, RESPONSE_WEEK, imputation
    )
    values: dict[str, GlueValue] = {
        f"bio_{marker}_or": odds_ratio_text(ard, ids[f"or_{c.ARM_LDIL2}"]),
        f"bio_{marker}_or_placebo": odds_ratio_text(ard, ids[f"or_{c.ARM_PLACEBO}"]),
        f"bio_{marker}_auc": auc_text(ard, ids["auc"]),
        f"bio_{marker}_interaction": interaction_text(ard, ids["interaction"]),
    }
    return ids, values, roc


def association_result(ch: Any) -> Result:
    """Table ``bio_association_table``, figure ``bio_roc_fig`` and the glue values of the
    baseline-marker analysis of ACR20 at the last visit (markers of PUBLISHED_DIRECTION)."""
    imputation = ch.params.get("imputation", "none")
    frame = make_marker_response_frame(
        ch.release.subjects, ch.release.immunology, ch.analysis, ch.population,
        endpoint=ACR20, week=RESPONSE_WEEK, imputation=imputation,
    )  # fmt: skip
    ard = _ard(ch)
    values = sample_size_values(ard, frame, imputation)
    markers, rocs = {}, []
    for marker, direction in PUBLISHED_DIRECTION.items():
        ids, marker_values, roc = marker_results(ard, frame, marker, direction, imputation)
        markers[marker] = (direction, ids)
        values.update(marker_values)
        rocs.append(roc)
    rule = (
        f"non-responder imputation: a missing week-{RESPONSE_WEEK} response counts as no response"
        if imputation == "nri"
        else f"observed week-{RESPONSE_WEEK} responses only (complete cases)"
    )
    note = footnote(
        ch,
        f"{MarkerAssociation.description}. {RocResult.description}; the AUC is for the "
        f"published direction. {MarkerInteraction.description}. Missing-data rule: {rule}; a "
        "missing baseline marker excludes the participant from that marker's analyses. "
        "Exploratory, no multiplicity control.",
    )
    title = caption(
        ch, ard, f"Baseline Treg % and IL-21 and {ACR20.upper()} response at week {RESPONSE_WEEK}"
    )
    fig = plot_roc(rocs, ard, [ids["auc"] for _, ids in markers.values()])
    return Result(
        values=values,
        tables={"bio_association_table": association_table(ard, markers, title, note)},
        figures={"bio_roc_fig": fig},
        ard=ard,
    )
