"""Analysis populations and the visits they are analysed at: the one population filter, the one
count per arm, the one list of scheduled visits and non-responder imputation.

Every module that restricts rows to a population, counts participants per arm or lists the
post-baseline visits calls these functions; none writes its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ldil2 import contract as c


def in_population(table: pd.DataFrame, population: str) -> pd.Series:
    """Whether each row's subject belongs to `population`: its flag column is true.

    Parameters
    ----------
    table : frame with the flag column `population` (subjects.csv or the analysis table)
    population : one of contract.POPULATIONS (per_protocol, itt, safety)

    Returns
    -------
    Series (plain bool, the table's index) : True where the flag is true; a missing flag
        (NA, None) counts as false, so a subject with no recorded flag is never analysed.

    Raises
    ------
    ValueError : `population` is not one of contract.POPULATIONS, or the table has no such column
    """
    if population not in c.POPULATIONS:
        raise ValueError(f"population: {population!r} violates one of {c.POPULATIONS}")
    if population not in table.columns:
        raise ValueError(f"population: column {population!r} missing from the table")
    return flag_true(table[population])


def flag_true(flag: pd.Series) -> pd.Series:
    """A flag of subjects.csv (a population, ``completed``, ...) as plain bool: True where it is
    true; a missing flag (NA, None) counts as false."""
    return flag.astype("boolean").fillna(False).astype(bool)


def select_population(table: pd.DataFrame, population: str) -> pd.DataFrame:
    """Rows of subjects in `population`: the rows where :func:`in_population` is true.

    Parameters
    ----------
    table : frame with the flag column `population`
    population : one of contract.POPULATIONS

    Returns
    -------
    DataFrame : the selected rows in their order, re-indexed from 0; a missing flag counts as
        false (the row is left out).

    Raises
    ------
    ValueError : unknown population, or no flag column of that name
    """
    return table[in_population(table, population).to_numpy()].reset_index(drop=True)


def subjects_per_arm(data: pd.DataFrame) -> dict[str, int]:
    """Number of distinct subjects per arm among the rows of `data`.

    Returns
    -------
    dict : arm code -> distinct subject_id values with that arm, for every arm of
        contract.ARMS in that order (0 for an arm with no row); rows with another arm code
        are not counted.
    """
    counts = data.groupby(c.ARM)[c.SUBJECT_ID].nunique()
    return {arm: int(counts.get(arm, 0)) for arm in c.ARMS}


def population_counts(subjects: pd.DataFrame, population: str) -> dict[str, int]:
    """Participants per arm in `population`: the n per arm of a caption.

    Parameters
    ----------
    subjects : subjects.csv (one row per participant, with arm and population flags)
    population : one of contract.POPULATIONS

    Returns
    -------
    dict : arm code -> participants whose `population` flag is true (a missing flag counts as
        false), in contract.ARMS order: :func:`subjects_per_arm` of :func:`select_population`.
    """
    return subjects_per_arm(select_population(subjects, population))


def scheduled_weeks(release: Any, table: pd.DataFrame) -> tuple[int, ...]:
    """The post-baseline scheduled visits, in increasing order.

    Parameters
    ----------
    release : a Release (or anything with a ``metadata`` mapping), or None
    table : frame with a week column, used when the release gives no schedule

    Returns
    -------
    tuple of int : the weeks of metadata.yml ``visit_schedule`` (contract.VISIT_SCHEDULE) when
        the release has one, otherwise the distinct weeks observed in `table`; in both cases
        only weeks after the baseline week (contract.BASELINE_WEEK), each once.
    """
    metadata = getattr(release, "metadata", None) or {}
    schedule = metadata.get(c.VISIT_SCHEDULE)
    weeks = schedule if schedule else table[c.WEEK].dropna().unique()
    return tuple(sorted({int(w) for w in weeks if int(w) > c.BASELINE_WEEK}))


def impute_nri(
    table: pd.DataFrame, endpoint: str, weeks: Iterable[int] | None = None, release: Any = None
) -> pd.DataFrame:
    """Non-responder imputation (NRI) of a binary endpoint at every scheduled visit.

    Parameters
    ----------
    table : the analysis table (one row per subject and attended visit), usually already
        restricted to a population
    endpoint : a boolean (or nullable boolean) response column, e.g. acr20
    weeks : the visits to impute at; default :func:`scheduled_weeks` of `release` and `table`
    release : the release whose metadata gives the visit schedule

    Returns
    -------
    DataFrame : one row per subject of `table` and week, with subject_id, week, arm, the
        population flags present in `table` and `endpoint` as a non-missing boolean: the
        observed value where the visit was attended and the response observed; False
        (non-responder) where the visit is missing (withdrawn or not attended) or the response
        is missing. The endpoint column is a nullable boolean with no missing value.
    """
    weeks = tuple(sorted(weeks)) if weeks is not None else scheduled_weeks(release, table)
    flags = [flag for flag in c.POPULATION_FLAGS if flag in table.columns]
    subjects = table[[c.SUBJECT_ID, c.ARM, *flags]].drop_duplicates(c.SUBJECT_ID)
    grid = subjects.merge(pd.DataFrame({c.WEEK: weeks}), how="cross")
    observed = table[[c.SUBJECT_ID, c.WEEK, endpoint]].astype({c.WEEK: int})
    grid = grid.merge(observed, on=[c.SUBJECT_ID, c.WEEK], how="left", validate="1:1")
    grid[endpoint] = grid[endpoint].astype("boolean").fillna(False)
    return grid[[c.SUBJECT_ID, c.WEEK, c.ARM, *flags, endpoint]]
