"""The reproduction ledger's numbers: the rule by which a recomputed number reproduces a published
one, the across-visit analysis behind a published P value, and the participant counts of the
record.

``data/published.csv`` (``Release.published``) holds one row per number of the published record
(abstract and registry): its population, endpoint, week, arm, kind of statistic, value and
comparison rule. Recording the recomputed numbers and their comparison as ARD rows is
:mod:`ldil2.results.ledger`'s; the text is :mod:`ldil2.present.ledger`'s.
"""

from __future__ import annotations

import math

import pandas as pd

from ldil2 import contract as c
from ldil2.derive.analysis import INDICES, base_col, chg_col
from ldil2.derive.populations import flag_true, in_population, select_population
from ldil2.stats.longitudinal import LongitudinalResult, gee_binary, mixed_change

PERCENT, COUNT, P_VALUE = "percent", "count", "p_value"
"""Values of published.csv ``statistic``: the kinds of published number."""
EXACT, WITHIN_FACTOR = "exact", "within_factor"
"""Values of published.csv ``comparison``: the rules of :func:`reproduces`."""

COUNT_CONDITIONS: dict[str, str | None] = {
    "randomized": None,
    "analysed": None,
    "completed": c.COMPLETED,
}
"""Count endpoints of published.csv: participants of the row's population and arm, restricted
to those whose subjects.csv flag is true (None: no restriction)."""


def reproduces(
    published: float, recomputed: float, statistic: str, comparison: str, tolerance: float | None
) -> bool:
    """Whether a recomputed number reproduces a published one under the row's rule.

    Parameters
    ----------
    published, recomputed : the two values (percent in %, count, or p-value)
    statistic : ``percent`` | ``count`` | ``p_value``
    comparison : ``exact`` or ``within_factor``
    tolerance : the factor f > 1 for ``within_factor``; unused for ``exact``

    Returns
    -------
    bool
        ``exact``: percentages equal when both are rounded to one decimal (as published, e.g.
        70.6), counts and other numbers equal exactly. ``within_factor``:
        published / f <= recomputed <= published * f. A NaN recomputed value never reproduces.

    Raises
    ------
    ValueError : an unknown comparison, or ``within_factor`` without a factor > 1
    """
    if not math.isfinite(recomputed):
        return False
    if comparison == EXACT:
        if statistic == PERCENT:
            return round(recomputed, 1) == round(published, 1)
        return recomputed == published
    if comparison == WITHIN_FACTOR:
        if tolerance is None or not tolerance > 1:
            raise ValueError(f"comparison within_factor needs a tolerance > 1, got {tolerance}")
        return published / tolerance <= recomputed <= published * tolerance
    raise ValueError(f"comparison {comparison!r} violates one of ({EXACT!r}, {WITHIN_FACTOR!r})")


def published_analysis(
    analysis: pd.DataFrame, endpoint: str, population: str
) -> LongitudinalResult:
    """The across-visit analysis behind a published p-value ("across time points").

    Parameters
    ----------
    analysis : the analysis table (ldil2.derive.analysis.make_analysis_table)
    endpoint : a binary response column (e.g. ``acr20``) or an index (``cdai``, ``sdai``)
    population : the published population code, e.g. ``per_protocol``

    Returns
    -------
    LongitudinalResult
        Binary endpoints: logistic GEE over every post-baseline visit
        (:func:`ldil2.stats.longitudinal.gee_binary`). Indices: linear mixed model of the change
        from baseline adjusted for baseline over every post-baseline visit
        (:func:`ldil2.stats.longitudinal.mixed_change`). The paper does not state its models;
        these are the book's reading of "across time points".
    """
    table = select_population(analysis, population)
    if endpoint in INDICES:
        return mixed_change(table, chg_col(endpoint), base_col(endpoint))
    return gee_binary(table, endpoint)


def count_condition(endpoint: str, key: str = "") -> str | None:
    """The subjects.csv flag a count endpoint of published.csv is restricted to
    (:data:`COUNT_CONDITIONS`).

    Raises
    ------
    ValueError : an endpoint the ledger cannot count (names the published.csv key)
    """
    if endpoint not in COUNT_CONDITIONS:
        raise ValueError(
            f"published.csv key {key}: count endpoint {endpoint!r} violates one of "
            f"{sorted(COUNT_CONDITIONS)}"
        )
    return COUNT_CONDITIONS[endpoint]


def count_participants(
    subjects: pd.DataFrame, population: str, arm: str, condition: str | None
) -> int:
    """Participants of `arm` in `population` (its subjects.csv flag), restricted to those whose
    `condition` flag is true (None: no restriction); a missing flag counts as false."""
    counted = in_population(subjects, population) & (subjects[c.ARM] == arm)
    if condition is not None:
        counted &= flag_true(subjects[condition])
    return int(counted.sum())
