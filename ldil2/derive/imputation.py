"""The frame a multiple imputation works on: one row per subject with arm, baseline value and the
change at one visit (missing where the visit or the value is missing, e.g. after withdrawal).

The imputation itself, the analysis of each imputed data set and the pooling are
:mod:`ldil2.stats.imputation`'s.
"""

from __future__ import annotations

import pandas as pd

from ldil2 import contract as c
from ldil2.derive.analysis import base_col, chg_col
from ldil2.derive.populations import select_population

BASELINE, OUTCOME = c.IMPUTATION_BASELINE, c.IMPUTATION_OUTCOME
"""Columns of the one-row-per-subject frame of :func:`mi_frame`."""


def mi_frame(analysis: pd.DataFrame, index: str, week: int, population: str) -> pd.DataFrame:
    """One row per subject of `population`: arm, baseline value and change at `week` of `index`.

    Parameters
    ----------
    analysis : the analysis table (ldil2.derive.analysis.make_analysis_table)
    index : a composite index of ldil2.derive.analysis.INDICES, e.g. ``cdai``
    week : the visit week of the outcome
    population : population code (its flag column selects the subjects,
        :func:`ldil2.derive.populations.select_population`)

    Returns
    -------
    DataFrame : indexed by subject_id, columns ``arm``, ``baseline`` (``base_<index>``) and
        ``outcome`` (``chg_<index>`` at `week`; NaN where the visit or the value is missing,
        e.g. after withdrawal), sorted by subject_id
    """
    table = select_population(analysis, population)
    subjects = table.drop_duplicates(c.SUBJECT_ID)[[c.SUBJECT_ID, c.ARM, base_col(index)]]
    at_week = table.loc[table[c.WEEK] == week, [c.SUBJECT_ID, chg_col(index)]]
    frame = subjects.merge(at_week, on=c.SUBJECT_ID, how="left", validate="1:1")
    frame = frame.rename(columns={base_col(index): BASELINE, chg_col(index): OUTCOME}).astype(
        {BASELINE: float, OUTCOME: float}
    )
    return frame.set_index(c.SUBJECT_ID).sort_index()
