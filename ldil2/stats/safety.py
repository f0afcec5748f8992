"""Safety summaries as numbers: exposure, adverse events (overview, by system organ class and
preferred term, onset against the dosing periods) and laboratory shifts.

Every function takes the release's frames and returns a frame of numbers (counts, percentages,
Newcombe risk differences in percentage points); :mod:`ldil2.results.safety` records them as ARD
rows and :mod:`ldil2.present.safety` writes them as text. Participants are counted in the arm they
were randomized to.
"""

from __future__ import annotations

import pandas as pd

from ldil2 import contract as c
from ldil2.derive.populations import select_population, subjects_per_arm
from ldil2.derive.safety import (
    ae_category_flags,
    in_dosing_window,
    lab_abnormal,
    population_rows,
)
from ldil2.stats.proportions import newcombe_difference

COMMON_TERM_PCT = 10.0
"""A preferred term is 'common' when at least this % of participants of either arm report it
(the CIOMS 'very common' frequency, >= 1/10); common terms get a risk difference."""

ALL_CYCLES = "All"
"""The ``cycle`` of the exposure row over every cycle."""

LAB_STATUSES: tuple[str, ...] = ("Normal", "Abnormal")
"""Baseline (and worst post-baseline) laboratory status, normal first."""

AE_LEVELS: tuple[str, ...] = ("any", "soc", "term")
"""Row levels of :func:`summarise_ae_terms`: every event, a system organ class, a term."""


def _percent(count: int, total: int) -> float:
    return 100 * count / total if total else float("nan")


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
    DataFrame : one row per arm and cycle (1..number of cycles) plus a row per arm with cycle
        ALL_CYCLES, columns arm, cycle (text), participants (safety population of the arm),
        dosed (participants with >= 1 dose in the cycle), doses_received, doses_planned,
        mean_doses (doses received per participant), pct_planned (100 * doses_received /
        doses_planned).

    Notes
    -----
    Missing-data rule: a participant-cycle with no row in exposure.csv (for example a cycle
    after withdrawal) counts as 0 doses received of the protocol's DOSES_PER_CYCLE planned,
    so the share of planned doses reflects early withdrawal.
    """
    safety = select_population(subjects, c.SAFETY)[[c.SUBJECT_ID, c.ARM]]
    grid = safety.merge(pd.DataFrame({c.CYCLE: range(1, c.CYCLES + 1)}), how="cross")
    doses = exposure[[c.SUBJECT_ID, c.CYCLE, c.DOSES_PLANNED, c.DOSES_RECEIVED]].astype(
        {c.CYCLE: "int64"}
    )
    full = grid.merge(doses, on=[c.SUBJECT_ID, c.CYCLE], how="left")
    full[c.DOSES_PLANNED] = full[c.DOSES_PLANNED].fillna(c.DOSES_PER_CYCLE).astype("int64")
    full[c.DOSES_RECEIVED] = full[c.DOSES_RECEIVED].fillna(0).astype("int64")
    n = subjects_per_arm(safety)
    rows = []
    for arm in c.ARMS:
        arm_rows = full.loc[full[c.ARM] == arm]
        for cycle, part in [*arm_rows.groupby(c.CYCLE), (ALL_CYCLES, arm_rows)]:
            per_subject = part.groupby(c.SUBJECT_ID)[[c.DOSES_RECEIVED, c.DOSES_PLANNED]].sum()
            received = int(per_subject[c.DOSES_RECEIVED].sum())
            planned = int(per_subject[c.DOSES_PLANNED].sum())
            rows.append(
                {
                    c.ARM: arm,
                    c.CYCLE: str(cycle),
                    "participants": n[arm],
                    "dosed": int((per_subject[c.DOSES_RECEIVED] > 0).sum()),
                    c.DOSES_RECEIVED: received,
                    c.DOSES_PLANNED: planned,
                    "mean_doses": received / n[arm] if n[arm] else float("nan"),
                    "pct_planned": _percent(received, planned),
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- adverse events
def _arm_counts(events: pd.DataFrame, totals: dict[str, int]) -> dict[str, float]:
    """Per arm: participants with an event (n_), the arm's population (N_), 100 n/N (pct_)
    and the number of events (events_)."""
    out: dict[str, float] = {}
    for arm in c.ARMS:
        in_arm = events.loc[events[c.ARM] == arm]
        n = int(in_arm[c.SUBJECT_ID].nunique())
        out |= {
            f"n_{arm}": n,
            f"N_{arm}": totals[arm],
            f"pct_{arm}": _percent(n, totals[arm]),
            f"events_{arm}": len(in_arm),
        }
    return out


def _risk_difference(counts: dict[str, float]) -> dict[str, float]:
    """rd, rd_low, rd_high: Ld-IL2 minus placebo in percentage points, Newcombe 95% CI."""
    active, placebo = c.ARM_LDIL2, c.ARM_PLACEBO
    diff = newcombe_difference(
        counts[f"n_{active}"], counts[f"N_{active}"], counts[f"n_{placebo}"], counts[f"N_{placebo}"]
    )
    return {"rd": 100 * diff.estimate, "rd_low": 100 * diff.ci_low, "rd_high": 100 * diff.ci_high}


def summarise_ae_overview(subjects: pd.DataFrame, adverse_events: pd.DataFrame) -> pd.DataFrame:
    """Participants with at least one adverse event of each kind, per arm (safety population).

    Parameters
    ----------
    subjects : subjects.csv frame (subject_id, arm, sex, safety)
    adverse_events : adverse_events.csv frame (related, grade, serious, led_to_withdrawal)

    Returns
    -------
    DataFrame : one row per kind of ldil2.derive.safety.AE_CATEGORIES, columns ``category``;
        per arm code ``n_<arm>`` (participants with >= 1 such event), ``N_<arm>`` (safety
        population of the arm), ``pct_<arm>`` (100 n/N) and ``events_<arm>`` (number of
        events); and ``rd``, ``rd_low``, ``rd_high``: the risk difference Ld-IL2 minus placebo
        in percentage points with its Newcombe hybrid-score 95% CI
        (ldil2.stats.proportions.newcombe_difference).

    Notes
    -----
    Every event in adverse_events.csv is treatment-emergent (onset on or after study day 1 by
    the data contract). A participant counts once per row however many events they had.
    Grade >= 3 uses CTCAE grades 3 (severe), 4 (life-threatening) and 5 (death).
    """
    totals = subjects_per_arm(select_population(subjects, c.SAFETY))
    events = population_rows(subjects, adverse_events)
    rows = []
    for category, flag in ae_category_flags(events).items():
        counts = _arm_counts(events.loc[flag], totals)
        rows.append({"category": category, **counts, **_risk_difference(counts)})
    return pd.DataFrame(rows)


def _by_frequency(events: pd.DataFrame, column: str) -> list[str]:
    """Values of `column` by decreasing number of participants, then events, then name."""
    order = events.groupby(column).agg(
        participants=(c.SUBJECT_ID, "nunique"), events=(c.SUBJECT_ID, "size")
    )
    order = order.reset_index().sort_values(
        ["participants", "events", column], ascending=[False, False, True]
    )
    return list(order[column])


def _is_common(counts: dict[str, float], common_pct: float | None) -> bool:
    """Whether a term gets a risk difference: every arm has participants and at least
    `common_pct` % of one arm report the term."""
    if common_pct is None or not all(counts[f"N_{arm}"] for arm in c.ARMS):
        return False
    return max(counts[f"pct_{arm}"] for arm in c.ARMS) >= common_pct


def summarise_ae_terms(
    subjects: pd.DataFrame,
    adverse_events: pd.DataFrame,
    population: str = c.SAFETY,
    common_pct: float | None = None,
) -> pd.DataFrame:
    """Adverse events by system organ class and preferred term, per arm.

    Parameters
    ----------
    subjects : subjects.csv frame (arm, the population flag)
    adverse_events : adverse_events.csv frame (term, soc)
    population : one of contract.POPULATIONS
    common_pct : when given, preferred terms reported by at least `common_pct` % of
        participants in either arm get the risk difference Ld-IL2 minus placebo (Newcombe
        hybrid-score 95% CI, percentage points)

    Returns
    -------
    DataFrame : in table order, one row for every event (level ``any``), then each system organ
        class (level ``soc``) followed by its preferred terms (level ``term``), classes and terms
        by decreasing number of participants (then events, then name); columns level, soc, term
        (empty where not applicable), the per-arm n_, N_, pct_ (NaN when the arm is empty),
        events_ columns, and rd, rd_low, rd_high (NaN except for common terms).
    """
    totals = subjects_per_arm(select_population(subjects, population))
    keys = select_population(subjects, population)[[c.SUBJECT_ID, c.ARM]]
    events = adverse_events.merge(keys, on=c.SUBJECT_ID, how="inner", validate="m:1")
    empty = {"rd": float("nan"), "rd_low": float("nan"), "rd_high": float("nan")}
    rows = [{"level": "any", c.AE_SOC: "", c.AE_TERM: "", **_arm_counts(events, totals), **empty}]
    for soc in _by_frequency(events, c.AE_SOC):
        in_soc = events[events[c.AE_SOC] == soc]
        rows.append(
            {"level": "soc", c.AE_SOC: str(soc), c.AE_TERM: "", **_arm_counts(in_soc, totals)}
            | empty
        )
        for term in _by_frequency(in_soc, c.AE_TERM):
            counts = _arm_counts(in_soc[in_soc[c.AE_TERM] == term], totals)
            rd = _risk_difference(counts) if _is_common(counts, common_pct) else empty
            rows.append({"level": "term", c.AE_SOC: str(soc), c.AE_TERM: str(term), **counts, **rd})
    return pd.DataFrame(rows)


def summarise_ae_onset(subjects: pd.DataFrame, adverse_events: pd.DataFrame) -> pd.DataFrame:
    """Adverse events (events, not participants) per arm whose onset fell on a day of a dosing
    period (ldil2.derive.safety.in_dosing_window), safety population.

    Returns
    -------
    DataFrame : one row per arm, columns arm, events, in_dosing (events with onset in a dosing
        period) and pct (100 in_dosing / events, NaN without events).
    """
    events = population_rows(subjects, adverse_events)
    hit = in_dosing_window(events[c.AE_ONSET_DAY])
    rows = []
    for arm in c.ARMS:
        mask = events[c.ARM] == arm
        total, inside = int(mask.sum()), int(hit[mask].sum())
        rows.append(
            {c.ARM: arm, "events": total, "in_dosing": inside, "pct": _percent(inside, total)}
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------ laboratory
def summarise_lab_shifts(subjects: pd.DataFrame, labs: pd.DataFrame) -> pd.DataFrame:
    """Shift from baseline to the worst post-baseline value, normal/abnormal, per measure and arm.

    Parameters
    ----------
    subjects : subjects.csv frame (subject_id, arm, sex, safety)
    labs : labs.csv frame

    Returns
    -------
    DataFrame : one row per measure, arm and baseline status (LAB_STATUSES), columns measure,
        arm, baseline, n (participants), post_normal, post_abnormal.

    Notes
    -----
    Abnormal = ldil2.derive.safety.lab_abnormal (outside the reference range; above the upper
    limit for liver enzymes and creatinine). The worst post-baseline value is abnormal when any
    value after week 0 is abnormal. Missing-data rule: participants without a baseline value or
    without any post-baseline value of a measure are left out of that measure's rows.
    """
    data = population_rows(subjects, labs)
    week = data[c.WEEK].astype("int64")
    rows = []
    for measure in c.LAB_MEASURES:
        flag = lab_abnormal(data[measure], data[c.SEX], measure)
        base = flag[week == c.BASELINE_WEEK].groupby(data[c.SUBJECT_ID]).first().dropna()
        post = flag[week > c.BASELINE_WEEK].dropna().groupby(data[c.SUBJECT_ID]).any()
        both = pd.DataFrame({"baseline": base, "post": post}).dropna()
        both[c.ARM] = data.groupby(c.SUBJECT_ID)[c.ARM].first().reindex(both.index)
        for arm in c.ARMS:
            for status, label in zip((False, True), LAB_STATUSES, strict=True):
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


def participants_by_week(frame: pd.DataFrame) -> dict[int, int]:
    """Distinct participants with a row (a sample) at each week of `frame`, in week order.

    Returns
    -------
    dict : week (int) -> participants; weeks without a row are absent
    """
    known = frame.dropna(subset=[c.WEEK])
    counts = known.groupby(known[c.WEEK].astype("int64"))[c.SUBJECT_ID].nunique().sort_index()
    return {int(week): int(n) for week, n in counts.items()}
