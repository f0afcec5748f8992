"""Baseline subgroups of the participants: sex, rheumatoid factor, anti-CCP, baseline DAS28-ESR
and age, each split in two levels.

:func:`derive_subgroups` adds one column per subgroup (:data:`SUBGROUPS`) to the analysis rows,
holding the level code of the participant. Continuous characteristics (baseline DAS28-ESR, age)
are split at the median of the participants analysed (both arms pooled), so the split is
defined by the data of the population, never by a typed number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldil2 import contract as c
from ldil2.derive.analysis import DAS28_ESR, base_col


@dataclass(frozen=True)
class Subgroup:
    """One subgrouping: the source column, its reader label and the two levels (code -> label).

    `median_split` : the levels are ``low`` (<= the median) and ``high`` (> the median) of the
    source column; otherwise the levels are values of the column itself.
    """

    column: str
    label: str
    levels: dict[str, str]
    median_split: bool = False


SEX, RF, ACPA, DAS28_BASE, AGE = "sg_sex", "sg_rf", "sg_acpa", "sg_das28", "sg_age"
LOW, HIGH = "low", "high"

SUBGROUPS: dict[str, Subgroup] = {
    SEX: Subgroup(c.SEX, "Sex", {"F": "Female", "M": "Male"}),
    RF: Subgroup(c.RF_POSITIVE, "Rheumatoid factor", {"True": "Positive", "False": "Negative"}),
    ACPA: Subgroup(c.ACPA_POSITIVE, "Anti-CCP", {"True": "Positive", "False": "Negative"}),
    DAS28_BASE: Subgroup(
        base_col(DAS28_ESR),
        "Baseline DAS28-ESR",
        {LOW: "At or below the median", HIGH: "Above the median"},
        median_split=True,
    ),
    AGE: Subgroup(
        c.AGE, "Age", {LOW: "At or below the median", HIGH: "Above the median"}, median_split=True
    ),
}
"""Subgroup column -> its definition, in the order of the forest plot."""


def median_split(values: pd.Series, median: float) -> pd.Series:
    """``low`` where value <= `median`, ``high`` where value > `median`, missing where the
    value is missing (object Series on the values' index)."""
    x = values.astype("float64").to_numpy()
    codes = np.where(x > median, HIGH, LOW).astype(object)
    codes[np.isnan(x)] = None
    return pd.Series(codes, index=values.index, dtype=object)


def subgroup_medians(table: pd.DataFrame) -> dict[str, float]:
    """The median of each median-split source column over the participants of `table` (one
    value per participant, both arms pooled): subgroup column -> median."""
    per_subject = table.drop_duplicates(c.SUBJECT_ID)
    return {
        name: float(per_subject[sg.column].astype("float64").median())
        for name, sg in SUBGROUPS.items()
        if sg.median_split
    }


def derive_subgroups(table: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Add one column per subgroup of :data:`SUBGROUPS` with the participant's level code.

    Parameters
    ----------
    table : analysis rows of one population (subject_id, arm, week, base_das28_esr)
    subjects : subjects.csv (sex, rf_positive, acpa_positive, age)

    Returns
    -------
    DataFrame : `table` with sg_sex (F/M), sg_rf and sg_acpa ("True"/"False"), sg_das28 and
        sg_age (low/high: at or below / above the median of :func:`subgroup_medians`); a
        missing characteristic gives a missing level.
    """
    keep = [c.SUBJECT_ID, c.SEX, c.RF_POSITIVE, c.ACPA_POSITIVE, c.AGE]
    extra = [col for col in keep[1:] if col in table.columns]
    data = table.drop(columns=extra).merge(subjects[keep], on=c.SUBJECT_ID, how="left")
    medians = subgroup_medians(data)
    added = {}
    for name, sg in SUBGROUPS.items():
        if sg.median_split:
            added[name] = median_split(data[sg.column], medians[name])
        else:
            values = data[sg.column].astype(object)
            added[name] = values.map(lambda v: None if pd.isna(v) else str(v))
    return data.assign(**added)
