"""Safety derivations: the dosing periods, the laboratory reference ranges and abnormal flags,
and the event-level kinds of adverse event.

The safety population is every participant with ``safety`` true (received at least one dose);
participants are counted in the arm they were randomized to (no cross-over happened in this
trial). :func:`population_rows` keys any table by subject_id to a population's participants
(:func:`ldil2.derive.populations.select_population` of subjects.csv).
"""

from __future__ import annotations

import pandas as pd

from ldil2 import contract as c
from ldil2.derive.populations import select_population

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
ALL_SEXES = "all"
"""The key of a reference range that applies to both sexes."""
# measure -> {sex code or "all": (lower limit, upper limit)}, in the unit of labs.csv.
LAB_REFERENCE_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    c.WBC: {ALL_SEXES: (4.5, 11.0)},
    c.NEUTROPHILS: {ALL_SEXES: (1.8, 7.8)},
    c.LYMPHOCYTES: {ALL_SEXES: (1.0, 4.8)},
    c.HEMOGLOBIN: {"M": (140.0, 175.0), "F": (123.0, 153.0)},
    c.PLATELETS: {ALL_SEXES: (150.0, 450.0)},
    c.ALT: {ALL_SEXES: (10.0, 40.0)},
    c.AST: {ALL_SEXES: (10.0, 40.0)},
    c.CREATININE: {
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
# Liver enzymes and creatinine are abnormal only above the upper limit: a low value carries no
# safety signal (drug-induced liver or kidney injury raises them). Blood counts are abnormal on
# either side of the range.
LAB_HIGH_ONLY: tuple[str, ...] = (c.ALT, c.AST, c.CREATININE)

AE_CATEGORIES: tuple[str, ...] = ("any", c.AE_RELATED, "grade3", c.AE_SERIOUS, "withdrawal")
"""The kinds of adverse event of the overview, in table order (:func:`ae_category_flags`)."""
SEVERE_GRADE = 3
"""CTCAE grades 3 (severe), 4 (life-threatening) and 5 (death) count as grade >= 3."""


def population_rows(
    subjects: pd.DataFrame, frame: pd.DataFrame, population: str = c.SAFETY
) -> pd.DataFrame:
    """Rows of ``frame`` (any table keyed by subject_id) of the population's participants, with
    their arm and sex added (the population is :func:`select_population` of subjects.csv).

    Raises
    ------
    ValueError : an unknown population
    """
    keys = select_population(subjects, population)[[c.SUBJECT_ID, c.ARM, c.SEX]]
    return frame.merge(keys, on=c.SUBJECT_ID, how="inner")


# ------------------------------------------------------------------------------ dosing periods
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


def dosing_windows_weeks() -> list[tuple[float, float]]:
    """Dosing-cycle spans in weeks after the first dose (day d is week (d - 1) / 7): (start
    week, start week + 2) for each cycle, from :func:`dosing_windows_days`."""
    week = c.DAYS_PER_WEEK
    return [
        ((start - c.FIRST_DOSE_DAY) / week, (end + 1 - c.FIRST_DOSE_DAY) / week)
        for start, end in dosing_windows_days()
    ]


FOLLOW_UP_DAYS = c.DAYS_PER_WEEK * c.LAST_WEEK
"""Study days of follow-up (weeks 0-24) over which the dosing periods are counted."""


def dosing_period_days() -> int:
    """Study days that fall in a dosing period of :func:`dosing_windows_days` (limits included)."""
    return sum(end - start + 1 for start, end in dosing_windows_days())


def in_dosing_window(days: pd.Series) -> pd.Series:
    """Whether each study day falls in a dosing period of :func:`dosing_windows_days` (limits
    included); False where the day is missing."""
    day = days.astype("float64")
    hit = pd.Series(False, index=days.index)
    for start, end in dosing_windows_days():
        hit |= (day >= start) & (day <= end)
    return hit


# ---------------------------------------------------------------------------------- laboratory
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
    keys = sex.map(lambda code: ALL_SEXES if ALL_SEXES in ranges else code)
    unknown = sorted(set(keys) - set(ranges))
    if unknown:
        raise KeyError(f"{measure}: no reference range for sex {unknown}")
    low = keys.map(lambda k: ranges[k][0]).astype("float64")
    high = keys.map(lambda k: ranges[k][1]).astype("float64")
    below = values < low if measure not in LAB_HIGH_ONLY else pd.Series(False, index=values.index)
    out = (below | (values > high)).astype("boolean")
    return out.mask(values.isna())


# ------------------------------------------------------------------------------ adverse events
def ae_category_flags(events: pd.DataFrame) -> dict[str, pd.Series]:
    """The event-level rule of each kind of AE_CATEGORIES (boolean Series aligned with events).

    Notes
    -----
    any: every event (every event in adverse_events.csv is treatment-emergent: onset on or
    after study day 1 by the data contract); related: investigator-assessed related; grade3:
    CTCAE grade >= SEVERE_GRADE; serious; withdrawal: led to withdrawal. A missing flag or
    grade counts as false.
    """
    return dict(
        zip(
            AE_CATEGORIES,
            (
                pd.Series(True, index=events.index),
                events[c.AE_RELATED].fillna(False).astype(bool),
                events[c.AE_GRADE].astype("Float64").ge(SEVERE_GRADE).fillna(False).astype(bool),
                events[c.AE_SERIOUS].fillna(False).astype(bool),
                events[c.AE_LED_TO_WITHDRAWAL].fillna(False).astype(bool),
            ),
            strict=True,
        )
    )
