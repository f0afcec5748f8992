"""The reproduction ledger's numbers: the rule by which a recomputed number reproduces a published
one (or is only consistent with it), the across-visit analysis behind a published P value, and
the participant counts of the record.

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
"""Values of published.csv ``comparison``: the rules of :func:`verdict`."""

COUNT_CONDITIONS: dict[str, str | None] = {
    "randomized": None,
    "analysed": None,
    "completed": c.COMPLETED,
}
"""Count endpoints of published.csv: participants of the row's population and arm, restricted
to those whose subjects.csv flag is true (None: no restriction)."""


REPRODUCED, CONSISTENT, DIFFERS = "reproduced", "consistent", "differs"
"""The verdicts of :func:`verdict`: exact agreement, agreement within a tolerance only, neither."""

P_DECIMALS = 3
"""Decimals at which the record prints a P value (0.014): a P value equal at these decimals is
exact agreement."""


def exactly_equal(published: float, recomputed: float, statistic: str) -> bool:
    """Whether two numbers agree exactly at the precision the record prints them.

    Percentages are compared rounded to one decimal (as published, e.g. 70.6), P values rounded
    to :data:`P_DECIMALS` decimals (0.014), counts and other numbers as they are. A NaN
    recomputed value never agrees.
    """
    if not math.isfinite(recomputed):
        return False
    if statistic == PERCENT:
        return round(recomputed, 1) == round(published, 1)
    if statistic == P_VALUE:
        return round(recomputed, P_DECIMALS) == round(published, P_DECIMALS)
    return recomputed == published


def verdict(
    published: float, recomputed: float, statistic: str, comparison: str, tolerance: float | None
) -> str:
    """How a recomputed number compares with a published one under the row's rule.

    Parameters
    ----------
    published, recomputed : the two values (percent in %, count, or p-value)
    statistic : ``percent`` | ``count`` | ``p_value``
    comparison : ``exact`` or ``within_factor``
    tolerance : the factor f > 1 for ``within_factor``; unused for ``exact``

    Returns
    -------
    str
        :data:`REPRODUCED` when the two agree exactly at the printed precision
        (:func:`exactly_equal`), whatever the rule; :data:`CONSISTENT` when the rule is
        ``within_factor`` and published / f <= recomputed <= published * f without exact
        agreement (a P value of an unstated model cannot be expected to agree exactly);
        :data:`DIFFERS` otherwise, and always for a NaN recomputed value.

    Raises
    ------
    ValueError : an unknown comparison, or ``within_factor`` without a factor > 1
    """
    if comparison == WITHIN_FACTOR and (tolerance is None or not tolerance > 1):
        raise ValueError(f"comparison within_factor needs a tolerance > 1, got {tolerance}")
    if comparison not in (EXACT, WITHIN_FACTOR):
        raise ValueError(
            f"comparison {comparison!r} violates one of ({EXACT!r}, {WITHIN_FACTOR!r})"
        )
    if exactly_equal(published, recomputed, statistic):
        return REPRODUCED
    if comparison == WITHIN_FACTOR and published / tolerance <= recomputed <= published * tolerance:
        return CONSISTENT
    return DIFFERS


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
