"""Analysis populations and the visits they are analysed at: the one population filter, the one
count per arm, the scheduled weeks and non-responder imputation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ldil2 import contract as c


def select_population(table: pd.DataFrame, population: str) -> pd.DataFrame:
    """Rows of subjects in `population` (one of contract.POPULATIONS: its flag column is True).

    Raises ValueError for an unknown population.
    """
    if population not in c.POPULATIONS:
        raise ValueError(f"population: {population!r} violates one of {c.POPULATIONS}")
    return table[table[population].fillna(False).astype(bool)].reset_index(drop=True)


def scheduled_weeks(release: Any, table: pd.DataFrame) -> tuple[int, ...]:
    """Post-baseline scheduled visits: metadata 'visit_schedule' (a list of weeks) when the
    release has one, otherwise the union of the weeks observed in `table`."""
    schedule = getattr(release, "metadata", {}).get(c.VISIT_SCHEDULE) if release else None
    weeks = schedule if schedule else table[c.WEEK].dropna().unique()
    return tuple(sorted(int(w) for w in weeks if int(w) > c.BASELINE_WEEK))


def impute_nri(
    table: pd.DataFrame, endpoint: str, weeks: Iterable[int] | None = None, release: Any = None
) -> pd.DataFrame:
    """Non-responder imputation of a binary endpoint at every scheduled post-baseline visit.

    Returns one row per subject (of `table`) and scheduled week with subject_id, week, arm, the
    population flags present in `table` and `endpoint` as a non-missing boolean: the observed
    value where observed, False (non-responder) where the visit is missing (withdrawn or not
    attended) or the response is missing. `weeks` defaults to `scheduled_weeks(release, table)`.
    """
    weeks = tuple(sorted(weeks)) if weeks is not None else scheduled_weeks(release, table)
    flags = [flag for flag in c.POPULATION_FLAGS if flag in table.columns]
    subjects = table[[c.SUBJECT_ID, c.ARM, *flags]].drop_duplicates(c.SUBJECT_ID)
    grid = subjects.merge(pd.DataFrame({c.WEEK: weeks}), how="cross")
    observed = table[[c.SUBJECT_ID, c.WEEK, endpoint]].astype({c.WEEK: int})
    grid = grid.merge(observed, on=[c.SUBJECT_ID, c.WEEK], how="left", validate="1:1")
    grid[endpoint] = grid[endpoint].astype("boolean").fillna(False)
    return grid[[c.SUBJECT_ID, c.WEEK, c.ARM, *flags, endpoint]]


def subjects_per_arm(data: pd.DataFrame) -> dict[str, int]:
    """Number of distinct subjects per arm code (contract.ARMS order) among the rows of `data`."""
    counts = data.groupby(c.ARM)[c.SUBJECT_ID].nunique()
    return {arm: int(counts.get(arm, 0)) for arm in c.ARMS}


def population_counts(subjects: pd.DataFrame, population: str) -> dict[str, int]:
    """Participants per arm code of ``subjects.csv`` whose `population` flag is true (the n per
    arm of a caption)."""
    return subjects_per_arm(select_population(subjects, population))
