"""Time to first response: one row per participant, the visit week a response was first seen.

The response of the analysis table (e.g. ``acr20``) is observed only at the scheduled visits, so
the event time is the week of the first visit at which the participant was a responder (a
discrete, visit-grid time, the usual simplification of an interval-censored time), and a
participant who never responded is censored at the last post-baseline visit they attended.
"""

from __future__ import annotations

import pandas as pd

from ldil2 import contract as c

TIME, EVENT = "time_weeks", "event"
"""Columns of :func:`derive_time_to_response`: time in weeks since randomization and the event
flag (True = responded, False = censored)."""


def derive_time_to_response(table: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """Time to the first response of `endpoint`, one row per participant with a post-baseline
    visit.

    Parameters
    ----------
    table : analysis rows of one population (subject_id, arm, week, `endpoint`)
    endpoint : a nullable boolean response column (missing at baseline)

    Returns
    -------
    DataFrame : subject_id, arm, time_weeks, event; sorted by subject. The time is the earliest
        post-baseline week at which the participant responded (event True); a participant who
        never did is censored at the latest post-baseline week attended (event False). A
        missing response counts as "not yet seen" (the visit still counts as attended).
        Participants without a post-baseline visit are left out (they were never at risk of an
        observed response).

    Raises
    ------
    ValueError : `endpoint` is not a column of the table
    """
    if endpoint not in table.columns:
        raise ValueError(f"endpoint: column {endpoint!r} missing from the analysis table")
    after = table[table[c.WEEK] > c.BASELINE_WEEK]
    weeks = after[c.WEEK].astype(float)
    responded = after[endpoint].astype("boolean").fillna(False).astype(bool)
    visits = after.assign(_first=weeks.where(responded), _last=weeks).groupby(
        [c.SUBJECT_ID, c.ARM], sort=True
    )
    first, last = visits["_first"].min(), visits["_last"].max()
    out = pd.DataFrame({TIME: first.fillna(last), EVENT: first.notna()}).reset_index()
    return out[[c.SUBJECT_ID, c.ARM, TIME, EVENT]]
