"""Time to first response: one row per participant, the visit week a response was first seen.

The response of the analysis table (e.g. ``acr20``) is observed only at the scheduled visits, so
the event time is the week of the first visit at which the participant was a responder (a
discrete, visit-grid time, the usual simplification of an interval-censored time), and a
participant who never responded is censored at the last post-baseline visit they attended.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldil2 import contract as c

TIME, EVENT = "time_weeks", "event"
"""Columns of :func:`derive_time_to_response`: time in weeks since randomization and the event
flag (True = responded, False = censored)."""


def first_event_time(weeks: np.ndarray, flags: np.ndarray) -> tuple[float, bool]:
    """Time to the first event of one participant's visits.

    Parameters
    ----------
    weeks : the post-baseline visit weeks attended, any order
    flags : response at each visit (True, False, or NaN where the response is missing)

    Returns
    -------
    (time, event) : the earliest week whose flag is True and ``True``; else the latest attended
        week and ``False`` (censored). A missing response counts as "not yet seen" (the visit
        still counts as attended). No visit at all gives (NaN, False).
    """
    weeks = np.asarray(weeks, dtype=float)
    responded = np.asarray(pd.array(flags, dtype="boolean").fillna(False), dtype=bool)
    if weeks.size == 0:
        return float("nan"), False
    if responded.any():
        return float(weeks[responded].min()), True
    return float(weeks.max()), False


def derive_time_to_response(table: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """Time to the first response of `endpoint`, one row per participant with a post-baseline
    visit (:func:`first_event_time`).

    Parameters
    ----------
    table : analysis rows of one population (subject_id, arm, week, `endpoint`)
    endpoint : a nullable boolean response column (missing at baseline)

    Returns
    -------
    DataFrame : subject_id, arm, time_weeks, event; sorted by subject. Participants without a
        post-baseline visit are left out (they were never at risk of an observed response).

    Raises
    ------
    ValueError : `endpoint` is not a column of the table
    """
    if endpoint not in table.columns:
        raise ValueError(f"endpoint: column {endpoint!r} missing from the analysis table")
    after = table[table[c.WEEK] > c.BASELINE_WEEK]
    rows = []
    for (subject, arm), visits in after.groupby([c.SUBJECT_ID, c.ARM], sort=True):
        time, event = first_event_time(visits[c.WEEK].to_numpy(), visits[endpoint].to_numpy())
        rows.append({c.SUBJECT_ID: subject, c.ARM: arm, TIME: time, EVENT: event})
    return pd.DataFrame(rows, columns=[c.SUBJECT_ID, c.ARM, TIME, EVENT])
