"""The Individual outcomes chapter: time to first ACR20 response, individual trajectories of
DAS28-ESR and CDAI, the waterfall of week-24 CDAI changes and the subgroup forest plot.

Each function takes the chapter's :class:`ldil2.book.chapter.Chapter`, computes with
:mod:`ldil2.stats` (survival, subgroups, means), records every number as ARD rows
(:mod:`ldil2.results.individual`, :func:`ldil2.results.efficacy.record_means`) and returns a
:class:`ldil2.book.common.Result` rendered from those rows (:mod:`ldil2.present.individual`).
Every analysis is on observed cases of the edition's population.
"""

from __future__ import annotations

from typing import Any

from ldil2 import contract as c
from ldil2.book.common import Result, caption, footnote, in_population, record_setting
from ldil2.derive.analysis import base_col, chg_col
from ldil2.derive.subgroups import SUBGROUPS, derive_subgroups, subgroup_medians
from ldil2.derive.time_to_event import derive_time_to_response
from ldil2.present.format import count_of, format_p
from ldil2.present.individual import (
    EXPLORATORY,
    means_frame,
    plot_subgroup_forest,
    plot_time_to_response,
    plot_trajectories,
    plot_waterfall,
    subgroup_table,
    time_to_response_table,
)
from ldil2.present.labels import ACR20, CDAI, DAS28_ESR, INDEX_LABELS, endpoint_label
from ldil2.results.ard import Ard
from ldil2.results.efficacy import record_means
from ldil2.results.individual import (
    record_subgroups,
    record_time_to_event,
    record_waterfall,
)
from ldil2.stats.means import mean_by_visit
from ldil2.stats.subgroups import binary_subgroup, change_subgroup
from ldil2.stats.survival import time_to_event_by_arm

CHAPTER = "individual"
TIME_TO_ACR20 = "time_to_acr20"
OBSERVED = "Missing-data rule: observed cases (a participant without a value is left out)."


def _ard(ch: Any) -> Ard:
    return Ard(CHAPTER, ch.population)


def time_to_response_result(ch: Any) -> Result:
    """Figure ``tte_fig`` and table ``tte_table`` (time to first ACR20 response by arm:
    Kaplan-Meier, median with its 95% CI, log-rank test); values ``tte_median_<arm>`` and
    ``tte_logrank_p``."""
    ard = _ard(ch)
    table = in_population(ch)
    result = time_to_event_by_arm(derive_time_to_response(table, ACR20))
    label = f"Time to first {endpoint_label(ACR20)}"
    ids = record_time_to_event(ard, TIME_TO_ACR20, label, result)
    note = footnote(
        ch,
        "Kaplan-Meier estimate by arm; the event time is the first visit (week) at which the "
        "participant met ACR20, so times fall on the visit grid. Participants who never "
        "responded are censored at their last attended visit (withdrawal or week 24). Median "
        "with the Brookmeyer-Crowley 95% CI on the log-log scale ('not reached' where the "
        "curve or a limit does not reach 50%); two-sided log-rank test (chi-square, 1 df). "
        "Computed with statsmodels (SurvfuncRight, survdiff). A missing ACR20 at a visit counts "
        "as no response seen at that visit.",
    )
    weeks = sorted(int(w) for w in table[c.WEEK].unique())
    return Result(
        values={
            **{f"tte_events_{arm}": count_of(ard, ids[arm]) for arm in c.ARMS},
            "tte_logrank_p": format_p(ard.get(ids["logrank"], "p")),
        },
        tables={
            "tte_table": time_to_response_table(
                ard, ids, caption(ch, ard, f"{label} response, weeks 0-{c.LAST_WEEK}"), note
            )
        },
        figures={"tte_fig": plot_time_to_response(result, weeks, endpoint_label(ACR20))},
        ard=ard,
    )


TRAJECTORIES = (DAS28_ESR, CDAI)


def trajectories_result(ch: Any) -> Result:
    """Figure ``trajectories_fig``: each participant's DAS28-ESR and CDAI by visit with the arm
    means (recorded as ``mean_t`` rows, weeks 0-24)."""
    ard = _ard(ch)
    table = in_population(ch)
    means = []
    for column in TRAJECTORIES:
        course = mean_by_visit(table, column, include_baseline=True)
        ids = record_means(ard, column, INDEX_LABELS[column], course, "index points")
        means.append(means_frame(ard, ids))
    labels = [f"{INDEX_LABELS[col]} (index points)" for col in TRAJECTORIES]
    return Result(
        figures={"trajectories_fig": plot_trajectories(table, TRAJECTORIES, labels, means)},
        ard=ard,
    )


def waterfall_result(ch: Any) -> Result:
    """Figure ``waterfall_fig`` (each participant's change in CDAI from baseline to week 24)
    and values ``waterfall_improved_<arm>`` (participants with a decrease, n/N (%))."""
    ard = _ard(ch)
    table = in_population(ch)
    column = chg_col(CDAI)
    at = table[table[c.WEEK] == c.LAST_WEEK][[c.SUBJECT_ID, c.ARM, column]]
    ids = record_waterfall(ard, column, f"Change in {INDEX_LABELS[CDAI]}", c.LAST_WEEK, at)
    label = f"Change in {INDEX_LABELS[CDAI]}, week {c.LAST_WEEK} (index points)"
    return Result(
        values={f"waterfall_improved_{arm}": count_of(ard, ids[arm]) for arm in c.ARMS},
        figures={"waterfall_fig": plot_waterfall(at, column, label)},
        ard=ard,
    )


def subgroups_result(ch: Any) -> Result:
    """Figure ``subgroup_fig`` (forest plot of ACR20 and CDAI change at week 24 by subgroup),
    tables ``subgroup_acr20_table`` and ``subgroup_cdai_table`` with the interaction P, values
    ``subgroup_median_das28`` and ``subgroup_median_age`` (the median splits) and
    ``subgroup_warning``."""
    ard = _ard(ch)
    data = derive_subgroups(in_population(ch), ch.release.subjects)
    week = c.LAST_WEEK
    at = data[data[c.WEEK] == week]
    binary = [binary_subgroup(at, ACR20, sg) for sg in SUBGROUPS]
    change = [change_subgroup(data, chg_col(CDAI), base_col(CDAI), sg, week) for sg in SUBGROUPS]
    acr_label, cdai_label = endpoint_label(ACR20), f"Change in {INDEX_LABELS[CDAI]}"
    acr_ids = record_subgroups(ard, ACR20, acr_label, week, binary, binary=True)
    cdai_ids = record_subgroups(ard, chg_col(CDAI), cdai_label, week, change, binary=False)
    medians = {
        name: record_setting(
            ard, f"median_{name}", f"Median of {SUBGROUPS[name].label.lower()}", "median", value, ""
        )  # fmt: skip
        for name, value in subgroup_medians(data).items()
    }
    split = "; ".join(
        f"{SUBGROUPS[name].label} split at the median of the population, "
        f"{ard.get(rid, 'median'):.1f}"
        for name, rid in medians.items()
    )
    common = (
        f"Subgroups by baseline characteristic: sex, rheumatoid factor, anti-CCP (ACPA); {split}. "
        "Interaction P: test of whether the effect differs between the two levels; 'not "
        "estimable' where a level has no participant in an arm or, for a response, only "
        f"responders or only non-responders in a cell. {OBSERVED} {EXPLORATORY}"
    )
    acr_note = footnote(
        ch,
        "Risk difference Ld-IL2 minus placebo with the Newcombe hybrid-score 95% CI within each "
        "level; interaction P from the Wald test of the arm-by-level term of a logistic "
        "regression of ACR20 on arm, level and their product.",
        common,
    )
    cdai_note = footnote(
        ch,
        "Within each level: ANCOVA of the change on arm and baseline CDAI (t-based 95% CI), "
        "estimable with at least two participants per arm; interaction P from the t test of the "
        "arm-by-level term of a linear regression of the change on arm, level, their product "
        "and baseline CDAI.",
        common,
    )
    acr_title = caption(ch, ard, f"{acr_label} at week {week} by subgroup")
    cdai_title = caption(ch, ard, f"{cdai_label} from baseline to week {week} by subgroup")
    panels = [
        (acr_ids, "ACR20: risk difference\n(percentage points)"),
        (cdai_ids, "CDAI change: difference\n(index points)"),
    ]
    return Result(
        values={
            **{
                f"subgroup_{name}": f"{ard.get(rid, 'median'):.1f}" for name, rid in medians.items()
            },
            "subgroup_warning": EXPLORATORY,
        },
        tables={
            "subgroup_acr20_table": subgroup_table(ard, acr_ids, True, acr_title, acr_note),
            "subgroup_cdai_table": subgroup_table(ard, cdai_ids, False, cdai_title, cdai_note),
        },
        figures={"subgroup_fig": plot_subgroup_forest(ard, panels)},
        ard=ard,
    )
