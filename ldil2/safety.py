"""Safety analyses: exposure, adverse events and laboratory safety, in the safety population.

Every function takes the release's frames (or a Release) and returns a frame or a figure; the
safety chapter calls one function per cell. The safety population is every participant with
``safety`` true (received at least one dose); participants are counted in the arm they were
randomized to (no cross-over happened in this trial).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ldil2 import contract as c
from ldil2 import efficacy, figures, stats, tables

# ---------------------------------------------------------------------------------------------
# Reference ranges for the safety laboratory (adults), in the units of labs.csv.
# Sources (public reference tables, adult values, SI units):
#   CBC: "Laboratory Tests Reference Ranges", Clinical Cases (eCampusOntario Pressbooks),
#        Complete Blood Count table: WBC 4.5-11.0 x10^9/L, absolute neutrophils 1.8-7.8 x10^9/L,
#        absolute lymphocytes 1.0-4.8 x10^9/L, platelets 150-450 x10^9/L,
#        haemoglobin men 140-175 g/L, women 123-153 g/L.
#        https://ecampusontario.pressbooks.pub/clinicalcases/back-matter/laboratory-tests-reference-ranges
#   ALT, AST: "Laboratory Reference Ranges in Healthy Adults" (medicine-21.com, 2024):
#        ALT 10-40 U/L, AST 10-40 U/L.
#        https://medicine-21.com/physicians/2024/05/12/laboratory-reference-ranges-in-healthy-adults
#   Creatinine: "Normal Laboratory Test Ranges for Adults" (smrtx.com): men 0.6-1.2 mg/dL,
#        women 0.5-1.1 mg/dL; x 88.42 umol/L per mg/dL = men 53.1-106.1, women 44.2-97.3 umol/L.
#        https://smrtx.com/_Lower-and-Higher-ranges-of-lab-tests-for-adults-normal.html
# With the real trial data these are replaced by the trial laboratory's own ranges.
# ---------------------------------------------------------------------------------------------
LAB_REFERENCE_SOURCE = (
    "Adult reference ranges: complete blood count from the eCampusOntario 'Clinical Cases' "
    "laboratory reference table; ALT and AST from the medicine-21 'Laboratory Reference Ranges "
    "in Healthy Adults' table; creatinine from the smrtx 'Normal Laboratory Test Ranges for "
    "Adults' table (mg/dL converted with 1 mg/dL = 88.42 µmol/L)"
)
MG_DL_TO_UMOL_L_CREATININE = 88.42
# measure -> {sex code or "all": (lower limit, upper limit)}, in the unit of labs.csv.
LAB_REFERENCE_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "wbc_10e9_l": {"all": (4.5, 11.0)},
    "neutrophils_10e9_l": {"all": (1.8, 7.8)},
    "lymphocytes_10e9_l": {"all": (1.0, 4.8)},
    "hemoglobin_g_l": {"M": (140.0, 175.0), "F": (123.0, 153.0)},
    "platelets_10e9_l": {"all": (150.0, 450.0)},
    "alt_u_l": {"all": (10.0, 40.0)},
    "ast_u_l": {"all": (10.0, 40.0)},
    "creatinine_umol_l": {
        "M": (
            round(0.6 * MG_DL_TO_UMOL_L_CREATININE, 1),
            round(1.2 * MG_DL_TO_UMOL_L_CREATININE, 1),
        ),
        "F": (
            round(0.5 * MG_DL_TO_UMOL_L_CREATININE, 1),
            round(1.1 * MG_DL_TO_UMOL_L_CREATININE, 1),
        ),
    },
}
LAB_LABELS: dict[str, str] = {
    "wbc_10e9_l": "White blood cells (×10⁹/L)",
    "neutrophils_10e9_l": "Neutrophils (×10⁹/L)",
    "lymphocytes_10e9_l": "Lymphocytes (×10⁹/L)",
    "hemoglobin_g_l": "Haemoglobin (g/L)",
    "platelets_10e9_l": "Platelets (×10⁹/L)",
    "alt_u_l": "ALT (U/L)",
    "ast_u_l": "AST (U/L)",
    "creatinine_umol_l": "Creatinine (µmol/L)",
}
# Liver enzymes and creatinine are abnormal only above the upper limit: a low value carries no
# safety signal (drug-induced liver or kidney injury raises them). Blood counts are abnormal on
# either side of the range.
LAB_HIGH_ONLY: tuple[str, ...] = ("alt_u_l", "ast_u_l", "creatinine_umol_l")

FOLLOW_UP = f"weeks {c.BASELINE_WEEK}-{c.LAST_WEEK}"  # the period every safety table covers

# Rows of the AE overview table; the event-level rule of each is in _overview_flags.
OVERVIEW_ROWS: tuple[str, ...] = (
    "Any adverse event",
    "Treatment-related adverse event",
    "Adverse event of grade ≥ 3",
    "Serious adverse event",
    "Adverse event leading to withdrawal",
)


def members(subjects: pd.DataFrame, population: str = c.SAFETY) -> pd.DataFrame:
    """Participants of a population: the rows of subjects.csv whose flag column is true (a
    missing flag counts as false). The default is the safety population (at least one dose)."""
    return subjects.loc[subjects[population].fillna(False).astype(bool)]


def in_population(
    subjects: pd.DataFrame, frame: pd.DataFrame, population: str = c.SAFETY
) -> pd.DataFrame:
    """Rows of ``frame`` (any table keyed by subject_id) of the population's participants, with
    their arm and sex added."""
    keys = members(subjects, population)[[c.SUBJECT_ID, c.ARM, c.SEX]]
    return frame.merge(keys, on=c.SUBJECT_ID, how="inner")


def arm_sizes(subjects: pd.DataFrame) -> dict[str, int]:
    """Participants per arm code (both arms always present, 0 when an arm is empty)."""
    counts = subjects[c.ARM].value_counts()
    return {arm: int(counts.get(arm, 0)) for arm in c.ARMS}


# ------------------------------------------------------------------------------- exposure
def summarise_exposure(subjects: pd.DataFrame, exposure: pd.DataFrame) -> pd.DataFrame:
    """Study-drug exposure per arm and dosing cycle, safety population.

    Parameters
    ----------
    subjects : subjects.csv frame (arm, safety)
    exposure : exposure.csv frame, one row per participant per cycle (cycle, doses_planned,
        doses_received)

    Returns
    -------
    DataFrame : one row per arm and cycle (1..number of cycles) plus a row per arm with cycle "All",
        columns arm, cycle, participants (safety population of the arm), dosed (participants
        with >= 1 dose in the cycle), doses_received, doses_planned, mean_doses (doses received
        per participant), pct_planned (100 * doses_received / doses_planned).

    Notes
    -----
    Missing-data rule: a participant-cycle with no row in exposure.csv (for example a cycle
    after withdrawal) counts as 0 doses received of the protocol's DOSES_PER_CYCLE planned,
    so the share of planned doses reflects early withdrawal.
    """
    safety = members(subjects)[[c.SUBJECT_ID, c.ARM]]
    grid = safety.merge(pd.DataFrame({c.CYCLE: range(1, c.CYCLES + 1)}), how="cross")
    doses = exposure[[c.SUBJECT_ID, c.CYCLE, c.DOSES_PLANNED, c.DOSES_RECEIVED]].astype(
        {c.CYCLE: "int64"}
    )
    full = grid.merge(doses, on=[c.SUBJECT_ID, c.CYCLE], how="left")
    full[c.DOSES_PLANNED] = full[c.DOSES_PLANNED].fillna(c.DOSES_PER_CYCLE).astype("int64")
    full[c.DOSES_RECEIVED] = full[c.DOSES_RECEIVED].fillna(0).astype("int64")
    n = arm_sizes(safety)
    rows = []
    for arm in c.ARMS:
        arm_rows = full.loc[full[c.ARM] == arm]
        for cycle, part in [*arm_rows.groupby(c.CYCLE), ("All", arm_rows)]:
            per_subject = part.groupby(c.SUBJECT_ID)[[c.DOSES_RECEIVED, c.DOSES_PLANNED]].sum()
            received, planned = (
                int(per_subject[c.DOSES_RECEIVED].sum()),
                int(per_subject[c.DOSES_PLANNED].sum()),
            )
            rows.append(
                {
                    c.ARM: arm,
                    c.CYCLE: str(cycle),
                    "participants": n[arm],
                    "dosed": int((per_subject[c.DOSES_RECEIVED] > 0).sum()),
                    c.DOSES_RECEIVED: received,
                    c.DOSES_PLANNED: planned,
                    "mean_doses": received / n[arm] if n[arm] else float("nan"),
                    "pct_planned": 100 * received / planned if planned else float("nan"),
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- adverse events
def _overview_flags(events: pd.DataFrame) -> dict[str, pd.Series]:
    """The event-level rule of each overview row (boolean Series aligned with events)."""
    return {
        OVERVIEW_ROWS[0]: pd.Series(True, index=events.index),
        OVERVIEW_ROWS[1]: events[c.AE_RELATED].fillna(False).astype(bool),
        OVERVIEW_ROWS[2]: events[c.AE_GRADE].astype("Float64").ge(3).fillna(False).astype(bool),
        OVERVIEW_ROWS[3]: events[c.AE_SERIOUS].fillna(False).astype(bool),
        OVERVIEW_ROWS[4]: events[c.AE_LED_TO_WITHDRAWAL].fillna(False).astype(bool),
    }


def summarise_ae_overview(subjects: pd.DataFrame, adverse_events: pd.DataFrame) -> pd.DataFrame:
    """Participants with at least one adverse event of each kind, per arm (safety population).

    Parameters
    ----------
    subjects : subjects.csv frame (subject_id, arm, safety)
    adverse_events : adverse_events.csv frame (related, grade, serious, led_to_withdrawal)

    Returns
    -------
    DataFrame : one row per OVERVIEW_ROWS entry, columns ``category``; per arm code ``n_<arm>``
        (participants with >= 1 such event), ``N_<arm>`` (safety population of the arm),
        ``pct_<arm>`` (100 n/N), ``events_<arm>`` (number of events); and ``rd``, ``rd_low``,
        ``rd_high``: the risk difference Ld-IL2 minus placebo in percentage points with its
        Newcombe hybrid-score 95% CI (ldil2.stats.newcombe_difference), and ``rd_text`` the
        same as text.

    Notes
    -----
    Every event in adverse_events.csv is treatment-emergent (onset on or after study day 1 by
    the data contract). A participant counts once per row however many events they had.
    Grade >= 3 uses CTCAE grades 3 (severe), 4 (life-threatening) and 5 (death).
    """
    population = members(subjects)
    n = arm_sizes(population)
    events = in_population(subjects, adverse_events)
    rows = []
    for category, flag in _overview_flags(events).items():
        hit = events.loc[flag]
        row: dict[str, object] = {"category": category}
        for arm in c.ARMS:
            in_arm = hit.loc[hit[c.ARM] == arm]
            row[f"n_{arm}"] = int(in_arm[c.SUBJECT_ID].nunique())
            row[f"N_{arm}"] = n[arm]
            row[f"pct_{arm}"] = 100 * row[f"n_{arm}"] / n[arm] if n[arm] else float("nan")
            row[f"events_{arm}"] = len(in_arm)
        diff = stats.newcombe_difference(
            row[f"n_{c.ARM_LDIL2}"], n[c.ARM_LDIL2], row[f"n_{c.ARM_PLACEBO}"], n[c.ARM_PLACEBO]
        )
        row["rd_text"] = diff.text
        row["rd"], row["rd_low"], row["rd_high"] = (
            100 * diff.estimate,
            100 * diff.ci_low,
            100 * diff.ci_high,
        )
        rows.append(row)
    return pd.DataFrame(rows)


COMMON_TERM_PCT = 10.0
"""A preferred term is 'common' when at least this % of participants of either arm report it
(the CIOMS 'very common' frequency, >= 1/10); common terms get a risk difference."""


def dosing_windows_days() -> list[tuple[int, int]]:
    """Study-day spans of the 2-week dosing periods: (first day, last day) per cycle.

    Notes
    -----
    Protocol (NCT02467504): 7 doses every other day over 2 weeks, then a 2-week break. The
    injection days come from :func:`ldil2.contract.dosing_days` (study day 1 = first dose); a
    cycle's dosing period runs from its first injection day for DOSES_PER_CYCLE *
    DOSE_INTERVAL_DAYS = 14 days.
    """
    span = c.DOSES_PER_CYCLE * c.DOSE_INTERVAL_DAYS
    return [(days[0], days[0] + span - 1) for days in c.dosing_days().values()]


def plot_ae_onset(subjects: pd.DataFrame, adverse_events: pd.DataFrame) -> Figure:
    """Weekly counts of adverse-event onsets per arm against the dosing cycles (shaded).

    Returns
    -------
    Figure : one panel per arm (shared axes), bars = events with onset in each 7-day bin of
        study day, shaded bands = the study days on which doses were given in each cycle.
    """
    events = in_population(subjects, adverse_events)
    last_day = max(7 * c.LAST_WEEK + 7, int(events[c.AE_ONSET_DAY].max()) if len(events) else 0)
    bins = np.arange(1, last_day + 8, 7)
    fig, axes = plt.subplots(len(c.ARMS), 1, sharex=True, sharey=True, figsize=(8, 4.5))
    for ax, arm in zip(axes, c.ARMS, strict=True):
        for start, end in dosing_windows_days():
            ax.axvspan(start, end + 1, color="0.85", zorder=0, lw=0)
        days = events.loc[events[c.ARM] == arm, c.AE_ONSET_DAY].astype("float64")
        ax.hist(days, bins=bins, color=figures.ARM_PALETTE[arm], edgecolor="white")
        ax.set_title(c.ARM_LABELS[arm], loc="left", fontsize="medium")
        ax.set_ylabel("Events (n)")
    axes[-1].set_xlabel("Study day of onset (day 1 = first dose); grey bands = dosing days")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ courses over time
def plot_courses(
    frame: pd.DataFrame,
    measures: dict[str, str],
    shade_weeks: list[tuple[float, float]] | None = None,
    reference: dict[str, tuple[float, ...]] | None = None,
    ncols: int = 2,
) -> Figure:
    """Mean (95% CI) of several measures over weeks, one panel per measure, one line per arm.

    Parameters
    ----------
    frame : one row per participant and visit (arm, week and the measure columns)
    measures : column -> axis label with its unit
    shade_weeks : (start, end) week spans drawn as grey bands (e.g. the dosing cycles)
    reference : column -> limits drawn as dashed lines (a reference range)
    ncols : panels per row

    Returns
    -------
    Figure : error bars are the t-based 95% CI of ldil2.stats.mean_by_visit (week 0 included).
    """
    nrows = -(-len(measures) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.8 * nrows), squeeze=False)
    offsets = dict(zip(c.ARMS, (-0.15, 0.15), strict=True))
    for ax, (measure, label) in zip(axes.flat, measures.items(), strict=False):
        for start, end in shade_weeks or []:
            ax.axvspan(start, end, color="0.88", zorder=0, lw=0)
        for limit in (reference or {}).get(measure, ()):
            ax.axhline(limit, color="0.4", ls="--", lw=0.8)
        course = stats.mean_by_visit(frame, measure, include_baseline=True)
        for arm in c.ARMS:
            line = course.loc[course[c.ARM] == arm]
            x = line[c.WEEK] + offsets[arm]
            err = np.vstack([line["mean"] - line["ci_low"], line["ci_high"] - line["mean"]])
            ax.errorbar(
                x,
                line["mean"],
                yerr=np.nan_to_num(err),
                color=figures.ARM_PALETTE[arm],
                marker=figures.ARM_MARKERS[arm],
                ms=4,
                capsize=2,
                label=c.ARM_LABELS[arm],
            )
        ax.set_ylabel(label)
        ax.set_xlabel("Week")
    for ax in axes.flat[len(measures) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncols=len(c.ARMS), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def dosing_windows_weeks() -> list[tuple[float, float]]:
    """Dosing-cycle spans in weeks after the first dose (day d is week (d - 1) / 7): (start
    week, start week + 2) for each cycle, from :func:`dosing_windows_days`."""
    return [
        ((start - c.FIRST_DOSE_DAY) / 7, (end + 1 - c.FIRST_DOSE_DAY) / 7)
        for start, end in dosing_windows_days()
    ]


# ------------------------------------------------------------------------ laboratory
def plot_labs(subjects: pd.DataFrame, labs: pd.DataFrame) -> Figure:
    """Safety laboratory values over time by arm: mean (95% CI), safety population.

    Reference limits are drawn as dashed lines for measures with one range for both sexes (the
    upper limit only for LAB_HIGH_ONLY measures).
    """
    ranges = {
        m: r["all"][1:] if m in LAB_HIGH_ONLY else r["all"]
        for m, r in LAB_REFERENCE_RANGES.items()
        if "all" in r
    }
    return plot_courses(
        in_population(subjects, labs),
        LAB_LABELS,
        shade_weeks=dosing_windows_weeks(),
        reference=ranges,
    )


def lab_abnormal(values: pd.Series, sex: pd.Series, measure: str) -> pd.Series:
    """Whether each value is abnormal: outside the reference range (limits are normal), or for
    LAB_HIGH_ONLY measures above the upper limit.

    Parameters
    ----------
    values : lab values in the unit of labs.csv
    sex : ``F``/``M`` per value (used by sex-specific ranges)
    measure : a key of LAB_REFERENCE_RANGES

    Returns
    -------
    Series : nullable boolean, True when value < lower (not for LAB_HIGH_ONLY) or
        value > upper, <NA> when missing

    Raises
    ------
    KeyError : the measure has no reference range, or a sex code has none
    """
    ranges = LAB_REFERENCE_RANGES[measure]
    keys = sex.map(lambda code: "all" if "all" in ranges else code)
    unknown = sorted(set(keys) - set(ranges))
    if unknown:
        raise KeyError(f"{measure}: no reference range for sex {unknown}")
    low = keys.map(lambda k: ranges[k][0]).astype("float64")
    high = keys.map(lambda k: ranges[k][1]).astype("float64")
    below = values < low if measure not in LAB_HIGH_ONLY else pd.Series(False, index=values.index)
    out = (below | (values > high)).astype("boolean")
    return out.mask(values.isna())


def summarise_lab_shifts(subjects: pd.DataFrame, labs: pd.DataFrame) -> pd.DataFrame:
    """Shift from baseline to the worst post-baseline value, normal/abnormal, per measure and arm.

    Parameters
    ----------
    subjects : subjects.csv frame (subject_id, arm, sex, safety)
    labs : labs.csv frame

    Returns
    -------
    DataFrame : one row per measure, arm and baseline status (``Normal``/``Abnormal``), columns
        measure, arm, baseline, n (participants), post_normal, post_abnormal.

    Notes
    -----
    Abnormal = outside the reference range of LAB_REFERENCE_RANGES. The worst post-baseline
    value is abnormal when any value after week 0 is abnormal. Missing-data rule: participants
    without a baseline value or without any post-baseline value of a measure are left out of
    that measure's rows.
    """
    data = in_population(subjects, labs)
    week = data[c.WEEK].astype("int64")
    rows = []
    for measure in c.LAB_MEASURES:
        flag = lab_abnormal(data[measure], data[c.SEX], measure)
        base = flag[week == c.BASELINE_WEEK].groupby(data[c.SUBJECT_ID]).first().dropna()
        post = flag[week > c.BASELINE_WEEK].dropna().groupby(data[c.SUBJECT_ID]).any()
        both = pd.DataFrame({"baseline": base, "post": post}).dropna()
        both[c.ARM] = data.groupby(c.SUBJECT_ID)[c.ARM].first().reindex(both.index)
        for arm in c.ARMS:
            for status, label in ((False, "Normal"), (True, "Abnormal")):
                cell = both.loc[(both[c.ARM] == arm) & (both["baseline"] == status), "post"]
                rows.append(
                    {
                        "measure": measure,
                        c.ARM: arm,
                        "baseline": label,
                        "n": len(cell),
                        "post_normal": int((~cell.astype(bool)).sum()),
                        "post_abnormal": int(cell.astype(bool).sum()),
                    }
                )
    return pd.DataFrame(rows)


# --------------------------------------------------------------- chapter result bundles
# Each takes the chapter (ldil2.chapter.Chapter) and returns an ldil2.efficacy.Result: plain
# glue values, HTML tables and figures under their glue names. The safety chapter always
# reports the safety population, whatever the edition's analysis population.


def _caption(ch: Any, measure: str) -> str:
    """Table caption for the safety population (measure, population, n per arm)."""
    return efficacy.caption(ch, measure, population=c.SAFETY)


def safety_facts(ch: Any) -> efficacy.Result:
    """Glue values of the safety chapter's opening: n per arm in the safety population."""
    n = arm_sizes(members(ch.release.subjects))
    return efficacy.Result(
        values={
            "safety_n_ldil2": n[c.ARM_LDIL2],
            "safety_n_placebo": n[c.ARM_PLACEBO],
            "safety_doses_per_cycle": c.DOSES_PER_CYCLE,
            "safety_cycles": c.CYCLES,
            "safety_n_events": len(in_population(ch.release.subjects, ch.release.adverse_events)),
        }
    )


def exposure_result(ch: Any) -> efficacy.Result:
    """Table ``safety_exposure_table`` and the share of planned doses received per arm."""
    summary = summarise_exposure(ch.release.subjects, ch.release.exposure)
    rows = []
    for cycle in summary[c.CYCLE].unique():
        row = {"Cycle": cycle}
        for arm in c.ARMS:
            line = summary.loc[(summary[c.ARM] == arm) & (summary[c.CYCLE] == cycle)].iloc[0]
            label = c.ARM_LABELS[arm]
            row[f"{label}: dosed, n/N"] = f"{line['dosed']}/{line['participants']}"
            row[f"{label}: doses per participant, mean"] = f"{line['mean_doses']:.1f}"
            row[f"{label}: doses received / planned"] = (
                f"{line[c.DOSES_RECEIVED]}/{line[c.DOSES_PLANNED]} ({line['pct_planned']:.1f}%)"
            )
        rows.append(row)
    overall = summary.loc[summary[c.CYCLE] == "All"].set_index(c.ARM)["pct_planned"]
    windows = dosing_windows_weeks()
    when = f"weeks {windows[0][0]:g}-{windows[-1][1]:g}"
    note = efficacy.footnote(
        ch,
        "Doses received out of doses planned (exposure.csv) per dosing cycle; 'dosed' counts "
        f"participants with at least one dose in the cycle. Missing-data rule: a cycle with no "
        f"exposure record (after withdrawal) counts as 0 of {c.DOSES_PER_CYCLE} planned doses.",
    )
    return efficacy.Result(
        values={f"safety_pct_planned_{arm}": f"{overall[arm]:.1f}%" for arm in c.ARMS},
        tables={
            "safety_exposure_table": efficacy.html_table(
                pd.DataFrame(rows),
                _caption(ch, f"Study-drug exposure by dosing cycle, {when}"),
                note,
            )
        },
    )


def ae_overview_result(ch: Any) -> efficacy.Result:
    """Table ``safety_overview_table`` and glue values for the overview sentences."""
    out = summarise_ae_overview(ch.release.subjects, ch.release.adverse_events)
    rows, values = [], {}
    keys = ("any", "related", "grade3", "serious", "withdrawal")
    for key, (_, line) in zip(keys, out.iterrows(), strict=True):
        row = {"Participants with": line["category"]}
        for arm in c.ARMS:
            label = c.ARM_LABELS[arm]
            n_pct = stats.format_count(line[f"n_{arm}"], line[f"N_{arm}"])
            row[f"{label}: n/N (%)"] = n_pct
            row[f"{label}: events"] = str(line[f"events_{arm}"])
            values[f"safety_{key}_{arm}"] = n_pct
        rd = f"{line['rd']:.1f} ({line['rd_low']:.1f} to {line['rd_high']:.1f})"
        row["Risk difference, percentage points (95% CI)"] = rd
        values[f"safety_{key}_rd"] = line["rd_text"]
        rows.append(row)
    note = efficacy.footnote(
        ch,
        "Participants with at least one event of each kind (each participant counted once per "
        "row) and the number of events. Risk difference Ld-IL2 minus placebo with the Newcombe "
        "hybrid-score 95% CI (method 10). Every recorded event is treatment-emergent (onset on "
        "or after study day 1); grade = CTCAE grade; related = investigator-assessed. No "
        "missing-data imputation: participants without a recorded event count as without.",
    )
    return efficacy.Result(
        values=values,
        tables={
            "safety_overview_table": efficacy.html_table(
                pd.DataFrame(rows), _caption(ch, f"Adverse events, {FOLLOW_UP}"), note
            )
        },
    )


def ae_terms_result(ch: Any) -> efficacy.Result:
    """Table ``safety_terms_table``: :func:`ldil2.tables.make_ae_table` of the safety population
    over the follow-up, with a risk difference for terms reported by at least
    :data:`COMMON_TERM_PCT` % of either arm; value ``safety_common_pct`` (the threshold)."""
    table = tables.make_ae_table(
        ch.release, c.SAFETY, common_pct=COMMON_TERM_PCT, title=f"{tables.AE_TITLE}, {FOLLOW_UP}"
    )
    return efficacy.Result(
        values={"safety_common_pct": f"{COMMON_TERM_PCT:g}%"},
        tables={"safety_terms_table": table},
    )


def ae_onset_result(ch: Any) -> efficacy.Result:
    """Figure ``safety_onset_fig`` and the share of events that began on a dosing-cycle day."""
    events = in_population(ch.release.subjects, ch.release.adverse_events)
    day = events[c.AE_ONSET_DAY].astype("float64")
    in_cycle = np.zeros(len(events), dtype=bool)
    for start, end in dosing_windows_days():
        in_cycle |= ((day >= start) & (day <= end)).to_numpy()
    values = {}
    for arm in c.ARMS:
        mask = (events[c.ARM] == arm).to_numpy()
        values[f"safety_onset_in_cycle_{arm}"] = stats.format_count(
            int(in_cycle[mask].sum()), int(mask.sum())
        )
    dosing_days = sum(end - start + 1 for start, end in dosing_windows_days())
    follow_up_days = 7 * c.LAST_WEEK
    values["safety_dosing_share"] = (
        f"{dosing_days} of {follow_up_days} days ({100 * dosing_days / follow_up_days:.0f}%)"
    )
    fig = plot_ae_onset(ch.release.subjects, ch.release.adverse_events)
    plt.close(fig)
    return efficacy.Result(values=values, figures={"safety_onset_fig": fig})


def reference_range_frame() -> pd.DataFrame:
    """The reference ranges as a table: measure (with unit), range (per sex where it differs)
    and when a value counts as abnormal."""
    sexes = {"all": "", "F": "women ", "M": "men "}
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


def shift_frame(shifts: pd.DataFrame) -> pd.DataFrame:
    """:func:`summarise_lab_shifts` laid out for display: one row per measure and baseline
    status, per arm the participants and their worst post-baseline status."""
    rows = []
    for (measure, baseline), part in shifts.groupby(["measure", "baseline"], sort=False):
        row = {"Measure": LAB_LABELS[measure], "Baseline": baseline}
        for _, line in part.iterrows():
            label = c.ARM_LABELS[line[c.ARM]]
            row[f"{label}: n"] = str(line["n"])
            row[f"{label}: worst normal"] = str(line["post_normal"])
            row[f"{label}: worst abnormal"] = str(line["post_abnormal"])
        rows.append(row)
    return pd.DataFrame(rows)


def labs_result(ch: Any) -> efficacy.Result:
    """Figure ``safety_labs_fig``, table ``safety_shift_table`` and the reference-range table
    ``safety_ranges_table``; value ``safety_lab_weeks`` (the sampled weeks)."""
    shifts = summarise_lab_shifts(ch.release.subjects, ch.release.labs)
    weeks = sorted(int(w) for w in ch.release.labs[c.WEEK].dropna().unique())
    shift_note = efficacy.footnote(
        ch,
        "Normal = within the reference range (limits included); abnormal = below or above it "
        "for blood counts, above the upper limit for ALT, AST and creatinine. "
        "Worst post-baseline value: abnormal if any value after week 0 is abnormal. "
        "Missing-data rule: participants without a baseline or without any post-baseline "
        f"value of a measure are not counted for it. {LAB_REFERENCE_SOURCE}.",
    )
    title = _caption(ch, f"Laboratory shift from baseline to the worst value, {FOLLOW_UP}")
    fig = plot_labs(ch.release.subjects, ch.release.labs)
    plt.close(fig)
    return efficacy.Result(
        values={"safety_lab_weeks": ", ".join(str(w) for w in weeks)},
        tables={
            "safety_shift_table": efficacy.html_table(shift_frame(shifts), title, shift_note),
            "safety_ranges_table": efficacy.html_table(
                reference_range_frame(),
                "Laboratory reference ranges (adults)",
                efficacy.footnote(ch, f"{LAB_REFERENCE_SOURCE}."),
            ),
        },
        figures={"safety_labs_fig": fig},
    )
