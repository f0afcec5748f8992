"""Immunological marker derivations: the Th17/Treg ratio and the one-row-per-participant frame of
baseline markers and the response.
"""

from __future__ import annotations

import pandas as pd

from ldil2 import contract as c
from ldil2.derive.analysis import ACR20
from ldil2.derive.populations import impute_nri
from ldil2.derive.safety import population_rows

TH17_TREG_RATIO = "th17_treg_ratio"
"""Derived column: Th17 % over Treg % (both of CD4+ T cells), unitless."""
RESPONSE = "response"
"""Column of :func:`make_marker_response_frame`: the response at the analysed visit (bool)."""
IMPUTATIONS: tuple[str, ...] = ("none", "nri")
"""Missing-response rules of :func:`make_marker_response_frame`."""


def derive_th17_treg_ratio(immunology: pd.DataFrame) -> pd.DataFrame:
    """Add ``th17_treg_ratio`` = th17_pct_cd4 / treg_pct_cd4 (both % of CD4+, unitless ratio).

    Returns
    -------
    DataFrame : a copy with the column; NaN where either is missing or Treg % is 0.
    """
    out = immunology.copy()
    treg = out[c.TREG_PCT].where(out[c.TREG_PCT] > 0)
    out[TH17_TREG_RATIO] = out[c.TH17_PCT] / treg
    return out


def marker_rows(subjects: pd.DataFrame, immunology: pd.DataFrame, population: str) -> pd.DataFrame:
    """immunology.csv rows of the population's participants, with the Th17/Treg ratio, arm and
    sex added and the week as int64 (:func:`derive_th17_treg_ratio`, :func:`population_rows`)."""
    frame = population_rows(subjects, derive_th17_treg_ratio(immunology), population)
    return frame.astype({c.WEEK: "int64"})


def make_marker_response_frame(
    subjects: pd.DataFrame,
    immunology: pd.DataFrame,
    analysis: pd.DataFrame,
    population: str,
    endpoint: str = ACR20,
    week: int = c.LAST_WEEK,
    imputation: str = "none",
) -> pd.DataFrame:
    """One row per participant: arm, baseline markers and the response at ``week``.

    Parameters
    ----------
    subjects : subjects.csv frame (population flags)
    immunology : immunology.csv frame; the week-0 row gives the baseline markers
    analysis : ldil2.derive.analysis.make_analysis_table output (subject_id, week, ``endpoint``)
    population : analysis population flag of subjects.csv
    endpoint : a nullable boolean response column of the analysis table
    week : the visit of the response
    imputation : ``none`` (observed responses) or ``nri`` (non-responder imputation,
        ldil2.derive.populations.impute_nri: a missing response counts as no response)

    Returns
    -------
    DataFrame : columns subject_id, arm, sex, the immunology markers at baseline and
        ``response`` (bool). Missing-data rule: with ``none`` a participant without the response
        at ``week`` is left out; a missing baseline marker is NaN and is dropped by each analysis
        of that marker (complete cases).

    Raises
    ------
    ValueError : an unknown imputation
    """
    if imputation not in IMPUTATIONS:
        raise ValueError(f"imputation: {imputation!r} is not 'none' or 'nri'")
    if imputation == "nri":
        analysis = impute_nri(analysis, endpoint, weeks=[week])
    at_week = analysis.loc[analysis[c.WEEK].astype("int64") == week, [c.SUBJECT_ID, endpoint]]
    at_week = at_week.dropna(subset=[endpoint])
    baseline = immunology.loc[immunology[c.WEEK].astype("int64") == c.BASELINE_WEEK]
    baseline = baseline[[c.SUBJECT_ID, *c.IMMUNOLOGY_MEASURES]]
    out = population_rows(subjects, at_week, population).merge(
        baseline, on=c.SUBJECT_ID, how="left"
    )
    out[RESPONSE] = out.pop(endpoint).astype(bool)
    return out.reset_index(drop=True)
