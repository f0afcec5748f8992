"""The results that changed between two editions: two sets of ARD rows compared result by result.

A result is one ``(chapter, result_id)``: the statistics of one analysis on one page. Two
editions' rows are compared statistic by statistic; a result changed when any of its statistics
differs, appears or disappears. Rows that describe the book rather than the trial
(:data:`NOT_RESULTS`) are not compared, nor are the pages with no row on one side of the
comparison (the pages computed after the others, such as "What changed" itself, have no row in
the build's first-phase results).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ldil2.results.format import Row

NOT_RESULTS = ("edition", "published", "what_changed", "conclusion", "conclusion_previous")
"""Analyses whose rows are settings of the book or numbers typed from the published record, not
results of the data: never listed as changed."""


def same_value(a: float | None, b: float | None) -> bool:
    """Equal statistics: both absent, both NaN (not estimable), or equal within 1e-9 relative
    (platform rounding is not a change)."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True)
class ChangedResult:
    """One result that differs between the previous edition and this one.

    Attributes
    ----------
    row : a row of the result (this edition's if it has one): its labels, week, group, unit
    previous, current : stat -> value of each edition; None when the edition lacks the result
    stats : the statistics that differ, in name order
    """

    row: Row
    previous: dict[str, float] | None
    current: dict[str, float] | None
    stats: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        """(chapter, result_id)."""
        return (self.row.chapter, self.row.result_id)


def _by_result(rows: Iterable[Row]) -> dict[tuple[str, str], dict[str, Row]]:
    out: dict[tuple[str, str], dict[str, Row]] = {}
    for row in rows:
        if row.analysis not in NOT_RESULTS:
            out.setdefault((row.chapter, row.result_id), {})[row.stat] = row
    return out


def compared_results(current: Iterable[Row], previous: Iterable[Row]) -> tuple[dict, dict]:
    """The results of each edition that are compared (:data:`NOT_RESULTS` left out, and the
    pages that have no row on one side): two dicts ``(chapter, result_id) -> {stat: Row}``."""
    now, before = _by_result(current), _by_result(previous)
    pages = {k[0] for k in now} & {k[0] for k in before}
    return (
        {k: v for k, v in now.items() if k[0] in pages},
        {k: v for k, v in before.items() if k[0] in pages},
    )


def changed_results(current: Iterable[Row], previous: Iterable[Row]) -> list[ChangedResult]:
    """The results whose statistics differ between two editions (:func:`compared_results`),
    in (chapter, result_id) order.

    Parameters
    ----------
    current, previous : the ARD rows of this edition and of the previous edition's snapshot

    Returns
    -------
    list : one :class:`ChangedResult` per changed result; a result one edition lacks has
        ``previous`` or ``current`` None and every statistic of the other in ``stats``
    """
    now, before = compared_results(current, previous)
    changed = []
    for key in sorted(set(now) | set(before)):
        new, old = now.get(key), before.get(key)
        stats = sorted(
            stat
            for stat in set(new or {}) | set(old or {})
            if not same_value(
                None if old is None or stat not in old else old[stat].value,
                None if new is None or stat not in new else new[stat].value,
            )
        )
        if stats:
            changed.append(
                ChangedResult(
                    next(iter((new or old).values())),
                    None if old is None else {s: r.value for s, r in old.items()},
                    None if new is None else {s: r.value for s, r in new.items()},
                    tuple(stats),
                )
            )
    return changed
