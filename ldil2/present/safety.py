"""Tables and figures of the safety chapter, every number read from ARD rows
(:mod:`ldil2.results.safety`): exposure, the adverse-event overview, adverse events by system
organ class and preferred term, laboratory shifts, the reference ranges, and the figures of
adverse-event onset and laboratory courses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ldil2 import contract as c
from ldil2.derive.safety import ALL_SEXES, LAB_HIGH_ONLY, LAB_REFERENCE_RANGES
from ldil2.present.courses import plot_courses
from ldil2.present.format import count_of, interval_of, n_percent_of
from ldil2.present.notes import population_caption
from ldil2.present.tables import HtmlTable, TableSentence
from ldil2.present.theme import ARM_PALETTE, WEEK_AXIS, finish
from ldil2.results.ard import Ard
from ldil2.stats.safety import LAB_STATUSES

FOLLOW_UP = f"weeks {c.BASELINE_WEEK}-{c.LAST_WEEK}"
"""The period every safety table covers."""

AE_TITLE = "Adverse events by system organ class and preferred term"

AE_CATEGORY_LABELS: dict[str, str] = {
    "any": "Any adverse event",
    c.AE_RELATED: "Treatment-related adverse event",
    "grade3": "Adverse event of grade ≥ 3",
    c.AE_SERIOUS: "Serious adverse event",
    "withdrawal": "Adverse event leading to withdrawal",
}
"""Row labels of the overview, per kind of ldil2.derive.safety.AE_CATEGORIES."""

LAB_LABELS: dict[str, str] = {
    c.WBC: "White blood cells (×10⁹/L)",
    c.NEUTROPHILS: "Neutrophils (×10⁹/L)",
    c.LYMPHOCYTES: "Lymphocytes (×10⁹/L)",
    c.HEMOGLOBIN: "Hemoglobin (g/L)",
    c.PLATELETS: "Platelets (×10⁹/L)",
    c.ALT: "ALT (U/L)",
    c.AST: "AST (U/L)",
    c.CREATININE: "Creatinine (µmol/L)",
}
"""Laboratory measure -> label with its unit (axis labels, table rows)."""

RD_HEADER = "Risk difference, percentage points (95% CI)"


def ratio_of(ard: Ard, rid: str) -> str:
    """'22/23' from the n and N of result `rid`."""
    return f"{int(ard.get(rid, 'n'))}/{int(ard.get(rid, 'N'))}"


def _count(ard: Ard, rid: str) -> str:
    return str(int(ard.get(rid, "count")))


# ------------------------------------------------------------------------------- exposure
def exposure_table(
    ard: Ard, ids: Mapping[str, Mapping[str, Mapping[str, str]]], title: str, note: Sequence[str]
) -> HtmlTable:
    """Exposure by cycle (rows, in the order of `ids`) and arm: participants dosed n/N, mean
    doses per participant, doses received / planned (% of planned).

    Parameters
    ----------
    ids : :func:`ldil2.results.safety.record_exposure` output
    """
    rows = []
    for cycle, arms in ids.items():
        row = {"Cycle": cycle}
        for arm in c.ARMS:
            rid, label = arms[arm], c.ARM_LABELS[arm]
            received = ard.result(rid["received"])
            row[f"{label}: dosed, n/N"] = ratio_of(ard, rid["dosed"])
            row[f"{label}: doses per participant, mean"] = f"{received['mean']:.1f}"
            row[f"{label}: doses received / planned"] = (
                f"{int(received['count'])}/{_count(ard, rid['planned'])} "
                f"({received['percent']:.1f}%)"
            )
        rows.append(row)
    return HtmlTable.from_frame(pd.DataFrame(rows), title, tuple(note))


# ---------------------------------------------------------------------- adverse events
def no_events(ard: Ard, arms: Mapping[str, str]) -> TableSentence | None:
    """The sentence an adverse-event table collapses to when no participant had an event:
    'No adverse event was recorded in weeks 0-24, safety population (Ld-IL2 + MTX n = 23;
    Placebo + MTX n = 24).', from the "any event" results `arms` (arm -> result_id: n, N);
    None when an arm has an event."""
    if any(ard.get(rid, "n") for rid in arms.values()):
        return None
    totals = {arm: int(ard.get(arms[arm], "N")) for arm in c.ARMS}
    population = ard.row(arms[c.ARMS[0]], "N").population
    measure = f"No adverse event was recorded in {FOLLOW_UP}"
    return TableSentence(f"{population_caption(measure, population, totals)}.")


def overview_table(
    ard: Ard, ids: Mapping[str, Mapping[str, str]], title: str, note: Sequence[str]
) -> HtmlTable | TableSentence:
    """Participants with at least one adverse event of each kind: n/N (%) and events per arm,
    and the risk difference (Newcombe 95% CI); one sentence (:func:`no_events`) when no
    participant had an event.

    Parameters
    ----------
    ids : :func:`ldil2.results.safety.record_ae_overview` output (first: any event)
    """
    empty = no_events(ard, {arm: next(iter(ids.values()))[arm] for arm in c.ARMS})
    if empty is not None:
        return empty
    rows = []
    for category, rid in ids.items():
        row = {"Participants with": AE_CATEGORY_LABELS[category]}
        for arm in c.ARMS:
            row[f"{c.ARM_LABELS[arm]}: n/N (%)"] = count_of(ard, rid[arm])
            row[f"{c.ARM_LABELS[arm]}: events"] = _count(ard, rid[arm])
        row[RD_HEADER] = interval_of(ard, rid["difference"])
        rows.append(row)
    return HtmlTable.from_frame(pd.DataFrame(rows), title, tuple(note))


def ae_footnote(common_pct: float | None) -> tuple[str, ...]:
    """The method paragraphs of :func:`ae_table` (counting rule; the risk difference and its
    common-term rule when `common_pct` is given)."""
    parts = [
        "Participants: number with at least one event (a participant counts once per row), "
        "% of the population in the arm; events: number of events. Sorted by decreasing "
        "number of participants. Terms as recorded (MedDRA style)."
    ]
    if common_pct is not None:
        parts.append(
            "Risk difference Ld-IL2 minus placebo in percentage points with the Newcombe "
            f"hybrid-score 95% CI, for preferred terms reported by at least {common_pct:g}% of "
            "participants in either arm. No missing-data imputation: a participant without a "
            "recorded event counts as without."
        )
    return tuple(parts)


def ae_table(
    ard: Ard,
    rows: Sequence[Mapping[str, str]],
    title: str,
    footnote: Sequence[str],
    differences: bool = False,
) -> HtmlTable | TableSentence:
    """Adverse events by system organ class and preferred term: participants with at least one
    event, n (% of the population), and number of events, per arm; with `differences`, a last
    column with the risk difference of common terms (empty for other rows). Terms and classes
    are escaped text (HtmlTable). One sentence (:func:`no_events`) when no participant had an
    event.

    Parameters
    ----------
    rows : :func:`ldil2.results.safety.record_ae_terms` output (the first row: every event)
    title : the caption's measure and period; the population and the N per arm are read from
        the first row's ARD rows
    footnote : paragraphs (method, source)
    """
    first = rows[0]
    empty = no_events(ard, {arm: first[arm] for arm in c.ARMS})
    if empty is not None:
        return empty
    totals = {arm: int(ard.get(first[arm], "N")) for arm in c.ARMS}
    population = ard.row(first[c.ARMS[0]], "N").population
    header = ["System organ class / preferred term"]
    for arm in c.ARMS:
        label = c.ARM_LABELS[arm]
        header += [f"{label} (N = {totals[arm]}): participants, n (%)", f"{label}: events"]
    cells, kinds = [], []
    for row in rows:
        line = [row["label"]]
        for arm in c.ARMS:
            line += [n_percent_of(ard, row[arm]), _count(ard, row[arm])]
        if differences:
            line.append(interval_of(ard, row["difference"]) if "difference" in row else "")
        cells.append(tuple(line))
        kinds.append("indent" if row["level"] == "term" else "group")
    if differences:
        header.append(RD_HEADER)
    caption = population_caption(title, population, totals)
    return HtmlTable(caption, tuple(header), tuple(cells), tuple(footnote), tuple(kinds))


def plot_ae_onset(events: pd.DataFrame, windows: Sequence[tuple[float, float]]) -> Figure:
    """Weekly counts of adverse-event onsets per arm against the dosing periods (shaded), on the
    book's week axis.

    Parameters
    ----------
    events : adverse events of the population with their arm (onset_day, arm)
    windows : (start week, end week) of each dosing period
        (:func:`ldil2.derive.safety.dosing_windows_weeks`)

    Returns
    -------
    Figure : one panel per arm (shared axes), bars = events with onset in each week (study day d
        is week (d - 1) / 7, day 1 = first dose = week 0), shaded bands = the dosing periods;
        closed in pyplot.
    """
    onset = (events[c.AE_ONSET_DAY].astype("float64") - c.FIRST_DOSE_DAY) / c.DAYS_PER_WEEK
    last_week = max(c.LAST_WEEK + 1, int(onset.max()) + 1 if len(events) else 0)
    bins = np.arange(0, last_week + 1)
    fig, axes = plt.subplots(len(c.ARMS), 1, sharex=True, sharey=True, figsize=(6.5, 4.8))
    for ax, arm in zip(axes, c.ARMS, strict=True):
        for start, end in windows:
            ax.axvspan(start, end, color="0.85", zorder=0, lw=0)
        ax.hist(onset[events[c.ARM] == arm], bins=bins, color=ARM_PALETTE[arm], edgecolor="white")
        ax.set_title(c.ARM_LABELS[arm], loc="left")
        ax.set_ylabel("Events (n)")
    axes[-1].set_xticks(range(0, last_week + 1, 4))
    axes[-1].set_xlabel(f"{WEEK_AXIS} (week of onset; grey bands = dosing periods)")
    return finish(fig)


# ------------------------------------------------------------------------ laboratory
def shift_table(
    ard: Ard,
    ids: Mapping[tuple[str, str], Mapping[str, Mapping[str, str]]],
    title: str,
    note: Sequence[str],
) -> HtmlTable:
    """Laboratory shifts: one row per measure and baseline status, per arm the participants (n)
    and their worst post-baseline status (normal, abnormal).

    Parameters
    ----------
    ids : :func:`ldil2.results.safety.record_lab_shifts` output
    """
    normal, abnormal = LAB_STATUSES
    rows = []
    for (measure, baseline), arms in ids.items():
        row = {"Measure": LAB_LABELS[measure], "Baseline": baseline}
        for arm in c.ARMS:
            label = c.ARM_LABELS[arm]
            row[f"{label}: n"] = str(int(ard.get(arms[arm][normal], "N")))
            row[f"{label}: worst normal"] = str(int(ard.get(arms[arm][normal], "n")))
            row[f"{label}: worst abnormal"] = str(int(ard.get(arms[arm][abnormal], "n")))
        rows.append(row)
    return HtmlTable.from_frame(pd.DataFrame(rows), title, tuple(note))


def reference_range_frame() -> pd.DataFrame:
    """The reference ranges as a table: measure (with unit), range (per sex where it differs)
    and when a value counts as abnormal."""
    sexes = {ALL_SEXES: "", "F": "women ", "M": "men "}
    return pd.DataFrame(
        {
            "Measure": LAB_LABELS[m],
            "Reference range": "; ".join(
                f"{sexes[sex]}{lo:g}-{hi:g}" for sex, (lo, hi) in LAB_REFERENCE_RANGES[m].items()
            ),
            "Abnormal when": "above the upper limit" if m in LAB_HIGH_ONLY else "outside the range",
        }
        for m in c.LAB_MEASURES
    )


def plot_labs(
    courses: Mapping[str, pd.DataFrame], shade_weeks: Sequence[tuple[float, float]]
) -> Figure:
    """Safety laboratory values over time by arm: mean (95% CI) per measure (LAB_LABELS order).

    Reference limits are drawn as dashed lines for measures with one range for both sexes (the
    upper limit only for LAB_HIGH_ONLY measures); `shade_weeks` are the dosing periods.
    """
    ranges = {
        m: r[ALL_SEXES][1:] if m in LAB_HIGH_ONLY else r[ALL_SEXES]
        for m, r in LAB_REFERENCE_RANGES.items()
        if ALL_SEXES in r
    }
    ordered = {m: courses[m] for m in LAB_LABELS if m in courses}
    return plot_courses(ordered, LAB_LABELS, shade_weeks=shade_weeks, reference=ranges)


# ------------------------------------------------------------------------------ glued texts
def weeks_text(ard: Ard, ids: Mapping[int, str]) -> str:
    """'0, 4, 8, 12, 24': the weeks of sampled-visit results (week -> id,
    :func:`ldil2.results.safety.record_sampled_weeks`), read from their rows."""
    return ", ".join(str(ard.row(rid, "n").week) for rid in ids.values())


def dosing_share_text(ard: Ard, ids: Mapping[str, str]) -> str:
    """'42 of 168 days (25%)': the study days in a dosing period of the follow-up days
    (:func:`ldil2.results.safety.record_dosing_share`)."""
    dosing = ard.result(ids["dosing"])
    days = int(ard.get(ids["follow_up"], "count"))
    return f"{int(dosing['count'])} of {days} days ({dosing['percent']:.0f}%)"
