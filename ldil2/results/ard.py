"""The analysis-results dataset of one chapter: record statistics as rows, read them back.

A book module computes a result with :mod:`ldil2.stats`, records it here as ARD rows
(:class:`Ard`), and renders every text, table cell and figure annotation from those rows
(:mod:`ldil2.present`). So a number exists once, as a row, before it is text.

Usage::

    ard = Ard(chapter="primary", population="per_protocol")
    rid = ard.binary_comparison(comparison, "ACR20 response")   # records n, N, %, CI, OR, P
    ard.get(rid["difference"], "estimate")                      # the number back
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ldil2 import contract as c
from ldil2.results.format import ANALYSES, Row, imputed, result_id

ODDS_RATIO_METHOD = "Odds ratio (Ld-IL2 vs placebo) with the "
"""How the method sentence of a recorded odds ratio begins; its interval's description
(:attr:`ldil2.stats.proportions.OddsRatio.description`) follows."""


class MissingResult(KeyError):
    """An ARD lookup that found no row: names the result_id and stat."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class Ard:
    """The rows one chapter records, in the order recorded, unique by (result_id, stat).

    Attributes
    ----------
    chapter : the chapter name written into every row (e.g. ``primary``)
    population : the default population of the rows (the chapter's analysis population)
    """

    chapter: str
    population: str = c.POPULATIONS[0]
    _rows: dict[tuple[str, str], Row] = field(default_factory=dict, repr=False)

    # -- recording -----------------------------------------------------------------------------

    def add(self, row: Row) -> None:
        """Add one row. The same (result_id, stat) with the same value is kept once.

        Raises
        ------
        ValueError : the same (result_id, stat) recorded with another value
        """
        old = self._rows.get(row.key)
        if old is not None and not _same(old.value, row.value):
            raise ValueError(
                f"ARD {row.result_id} {row.stat}: recorded as {old.value!r} and {row.value!r}"
            )
        self._rows.setdefault(row.key, row)

    def extend(self, rows: Iterable[Row]) -> None:
        """Add several rows (see :meth:`add`)."""
        for row in rows:
            self.add(row)

    def record(
        self,
        endpoint: str,
        label: str,
        analysis: str,
        stats: Mapping[str, float],
        *,
        week: int | None = None,
        group: str = "",
        unit: str = "",
        population: str | None = None,
        method: str | None = None,
        imputation: str = "none",
    ) -> str:
        """Record the statistics of one analysis result and return its result_id.

        Parameters
        ----------
        endpoint, label : the analysis-table column (or summary name) and its reader label
        analysis : an id of :data:`ldil2.results.format.ANALYSES`
        stats : stat name -> number (NaN for a statistic that is not estimable)
        week : the visit; None across visits
        group : arm code, ``difference`` or empty
        unit : unit of the values
        population : default the Ard's population
        method : the reader sentence; default the analysis's method
        imputation : ``none`` (observed cases) or ``nri``: a result on non-responder-imputed data
            is another analysis, ``<analysis>_nri`` (:func:`ldil2.results.format.imputed`)
        """
        population = population or self.population
        analysis = imputed(analysis, imputation)
        rid = result_id(endpoint, week, population, group, analysis)
        sentence = method if method is not None else ANALYSES[analysis].method
        for stat, value in stats.items():
            self.add(
                Row(
                    rid,
                    self.chapter,
                    endpoint,
                    label,
                    population,
                    analysis,
                    week,
                    group,
                    stat,
                    _number(value),
                    unit,
                    sentence,
                )
            )
        return rid

    # -- recorders of the stats results ---------------------------------------------------------

    def proportion(
        self, endpoint: str, label: str, arm: str, proportion: Any, week: int | None, **kw: Any
    ) -> str:
        """n, N, percent and the Wilson 95% CI (percent) of one arm's proportion
        (:class:`ldil2.stats.Proportion`)."""
        return self.record(
            endpoint,
            label,
            "proportion_wilson",
            {
                "n": proportion.count,
                "N": proportion.total,
                "percent": 100 * proportion.estimate,
                "lcl": 100 * proportion.ci_low,
                "ucl": 100 * proportion.ci_high,
            },
            week=week,
            group=arm,
            unit="%",
            **kw,
        )

    def binary_comparison(self, comparison: Any, label: str, **kw: Any) -> dict[str, str]:
        """Every number of a :class:`ldil2.stats.BinaryComparison`: per arm n/N/% (Wilson CI),
        the Newcombe difference (percentage points), the Woolf odds ratio and Fisher's P.

        Returns
        -------
        dict : ``{arm: id, "difference": id, "odds_ratio": id, "fisher": id}``
        """
        endpoint, week = comparison.endpoint, comparison.week
        kw.setdefault("population", comparison.population)
        kw.setdefault("imputation", comparison.imputation)
        ids = {
            arm: self.proportion(endpoint, label, arm, comparison.arms[arm], week, **kw)
            for arm in c.ARMS
        }
        d, odds = comparison.difference, comparison.odds_ratio
        ids["difference"] = self.record(
            endpoint,
            label,
            "difference_newcombe",
            {"estimate": 100 * d.estimate, "lcl": 100 * d.ci_low, "ucl": 100 * d.ci_high},
            week=week,
            group="difference",
            unit="percentage points",
            **kw,
        )
        ids["odds_ratio"] = self.record(
            endpoint,
            label,
            "or_woolf",
            {"estimate": odds.estimate, "lcl": odds.ci_low, "ucl": odds.ci_high},
            week=week,
            group="difference",
            unit="odds ratio",
            method=f"{ODDS_RATIO_METHOD}{odds.description}.",
            **kw,
        )
        ids["fisher"] = self.record(
            endpoint,
            label,
            "fisher",
            {"p": comparison.fisher.p_value},
            week=week,
            group="difference",
            **kw,
        )
        return ids

    def effect(
        self,
        endpoint: str,
        label: str,
        analysis: str,
        result: Any,
        *,
        unit: str,
        week: int | None = None,
        **kw: Any,
    ) -> str:
        """estimate, lcl, ucl and p of a result with ``estimate``, ``ci_low``, ``ci_high`` and
        ``p_value`` (a longitudinal model, an ANCOVA, a pooled estimate), as a difference."""
        kw.setdefault("method", getattr(result, "description", None))
        return self.record(
            endpoint,
            label,
            analysis,
            {
                "estimate": result.estimate,
                "lcl": result.ci_low,
                "ucl": result.ci_high,
                "p": result.p_value,
            },
            week=week,
            group="difference",
            unit=unit,
            **kw,
        )

    # -- reading -------------------------------------------------------------------------------

    def get(self, rid: str, stat: str) -> float:
        """The value of one statistic.

        Raises
        ------
        MissingResult : no such row (names the result_id and stat)
        """
        try:
            return self._rows[(rid, stat)].value
        except KeyError:
            raise MissingResult(f"ARD of {self.chapter}: no row {rid} {stat}") from None

    def result(self, rid: str) -> dict[str, float]:
        """Every statistic of one result: stat -> value (empty dict if none)."""
        return {stat: row.value for (r, stat), row in self._rows.items() if r == rid}

    def row(self, rid: str, stat: str) -> Row:
        """The row itself (for its label, unit and method)."""
        self.get(rid, stat)
        return self._rows[(rid, stat)]

    def rows(self) -> list[Row]:
        """The rows in the order recorded."""
        return list(self._rows.values())

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows())

    def __len__(self) -> int:
        return len(self._rows)


def _number(value: Any) -> float:
    """A statistic as a float; None -> NaN. Raises ValueError for anything not numeric."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise ValueError(f"ARD value {value!r} violates 'a number'")
    return float(value)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b
