"""The reproduction ledger: every published number recomputed from the data release.

``data/published.csv`` holds one row per number of the published record (abstract and registry):
its population, endpoint, week, arm, kind of statistic, value and comparison rule. For each row
:func:`make_ledger` recomputes the number from the release with the same analysis the book uses,
the difference, and whether it is reproduced under the row's rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2 import derive, stats

PERCENT, COUNT, P_VALUE = "percent", "count", "p_value"
EXACT, WITHIN_FACTOR = "exact", "within_factor"
REPRODUCED, DIFFERS = "reproduced", "differs"

COUNT_CONDITIONS: dict[str, str | None] = {
    "randomized": None,
    "analysed": None,
    "completed": c.COMPLETED,
}
"""Count endpoints of published.csv: participants of the row's population and arm, restricted
to those whose subjects.csv flag is true (None: no restriction)."""

LEDGER_COLUMNS = [
    "key",
    "source",
    "statement",
    "statistic",
    "published",
    "recomputed",
    "difference",
    "status",
]


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


def _count(row: pd.Series, release: Any, analysis: pd.DataFrame) -> float:
    """Participants of the row's arm in the row's population (subjects.csv flag), restricted by
    COUNT_CONDITIONS[endpoint] (e.g. ``completed``)."""
    if row["endpoint"] not in COUNT_CONDITIONS:
        raise ValueError(
            f"published.csv key {row['key']}: count endpoint {row['endpoint']!r} violates one "
            f"of {sorted(COUNT_CONDITIONS)}"
        )
    subjects = release.subjects
    counted = _flag(subjects, row["population"]) & (subjects[c.ARM] == row[c.ARM])
    condition = COUNT_CONDITIONS[row["endpoint"]]
    if condition is not None:
        counted &= _flag(subjects, condition)
    return float(counted.sum())


def _flag(subjects: pd.DataFrame, column: str) -> pd.Series:
    """A subjects.csv boolean flag as plain bool (missing = False)."""
    return subjects[column].fillna(False).astype(bool)


def _percent(row: pd.Series, release: Any, analysis: pd.DataFrame) -> float:
    """Percent responders of the row's arm at the row's week (observed cases, as published)."""
    result = stats.response_by_arm(
        analysis, row["endpoint"], week=int(row[c.WEEK]), population=row["population"]
    )
    return float(result.percent(row[c.ARM]))


def _p_value(row: pd.Series, release: Any, analysis: pd.DataFrame) -> float:
    """P-value of the published across-visit analysis of the row's endpoint."""
    return published_analysis(analysis, row["endpoint"], row["population"]).p_value


RECOMPUTE: dict[str, Callable[[pd.Series, Any, pd.DataFrame], float]] = {
    COUNT: _count,
    PERCENT: _percent,
    P_VALUE: _p_value,
}


def published_analysis(analysis: pd.DataFrame, endpoint: str, population: str) -> Any:
    """The across-visit analysis behind a published p-value ("across time points").

    Parameters
    ----------
    analysis : the analysis table (ldil2.derive.make_analysis_table)
    endpoint : a binary response column (e.g. ``acr20``) or an index (``cdai``, ``sdai``)
    population : the published population code, e.g. ``per_protocol``

    Returns
    -------
    stats.LongitudinalResult
        Binary endpoints: logistic GEE over every post-baseline visit (stats.gee_binary).
        Indices: linear mixed model of the change from baseline adjusted for baseline over every
        post-baseline visit (stats.mixed_change). The paper does not state its models; these are
        the book's reading of "across time points".
    """
    table = derive.select_population(analysis, population)
    if endpoint in derive.INDICES:
        return stats.mixed_change(table, derive.chg_col(endpoint), derive.base_col(endpoint))
    return stats.gee_binary(table, endpoint)


def make_ledger(release: Any, analysis: pd.DataFrame) -> pd.DataFrame:
    """Every published number with the value recomputed from the release.

    Parameters
    ----------
    release : ldil2.data.Release with ``published`` (published.csv), subjects and assessments
    analysis : its analysis table (ldil2.derive.make_analysis_table)

    Returns
    -------
    DataFrame : one row per published.csv row, in file order, with LEDGER_COLUMNS:
        ``recomputed`` (float), ``difference`` = recomputed - published, ``status``
        ``reproduced`` or ``differs`` by :func:`reproduces`

    Raises
    ------
    ValueError : a row whose statistic or endpoint the ledger cannot recompute (names its key)
    """
    rows = []
    for _, row in release.published.iterrows():
        if row["statistic"] not in RECOMPUTE:
            raise ValueError(
                f"published.csv key {row['key']}: statistic {row['statistic']!r} violates one "
                f"of {sorted(RECOMPUTE)}"
            )
        value = RECOMPUTE[row["statistic"]](row, release, analysis)
        tolerance = None if pd.isna(row["tolerance"]) else float(row["tolerance"])
        ok = reproduces(row["value"], value, row["statistic"], row["comparison"], tolerance)
        rows.append(
            {
                "key": row["key"],
                "source": row["source"],
                "statement": row["statement"],
                "statistic": row["statistic"],
                "published": float(row["value"]),
                "recomputed": value,
                "difference": value - float(row["value"]),
                "status": REPRODUCED if ok else DIFFERS,
            }
        )
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS)


def ledger_summary(ledger: pd.DataFrame) -> str:
    """'14 of 14 published numbers reproduced' (for the landing page)."""
    reproduced = int((ledger["status"] == REPRODUCED).sum())
    return f"{reproduced} of {len(ledger)} published numbers reproduced"


def _format(value: float, statistic: str) -> str:
    """A ledger number as printed: '70.6%', '17', '0.014' (p-values to 3 decimals)."""
    if not math.isfinite(value):
        return "NA"
    if statistic == PERCENT:
        return f"{value:.1f}%"
    if statistic == COUNT:
        return f"{value:.0f}"
    return f"{value:.3f}"


def _format_difference(value: float, statistic: str) -> str:
    """Recomputed minus published, signed: '-0.01' (percentage points), '+0', '+0.003'."""
    if not math.isfinite(value):
        return "NA"
    decimals = {PERCENT: 2, COUNT: 0}.get(statistic, 3)
    return f"{value:+.{decimals}f}"


def rule_text(comparison: str, statistic: str, tolerance: float | None) -> str:
    """The comparison rule in words, e.g. 'equal at one decimal', 'within a factor of 2'."""
    if comparison == WITHIN_FACTOR:
        return f"within a factor of {tolerance:g}"
    return "equal at one decimal" if statistic == PERCENT else "equal"


def ledger_display(release: Any, ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger formatted for the page: statement, source, published, recomputed, difference,
    rule and status as text (numbers as the record prints them)."""
    published = release.published.set_index("key")
    rows = []
    for _, row in ledger.iterrows():
        source = published.loc[row["key"]]
        tolerance = None if pd.isna(source["tolerance"]) else float(source["tolerance"])
        statistic = row["statistic"]
        difference = _format_difference(row["difference"], statistic)
        rows.append(
            {
                "Published statement": row["statement"],
                "Source": row["source"],
                "Published": _format(row["published"], statistic),
                "Recomputed": _format(row["recomputed"], statistic),
                "Difference": difference,
                "Rule": rule_text(source["comparison"], statistic, tolerance),
                "Status": row["status"],
            }
        )
    return pd.DataFrame(rows)


def ledger_result(ch: Any) -> Any:
    """Ledger chapter: glue values ``ledger_summary``, ``ledger_reproduced``, ``ledger_total``,
    ``ledger_differs`` and the table ``ledger_table``."""
    from ldil2 import efficacy, tables

    ledger = make_ledger(ch.release, ch.analysis)
    reproduced = int((ledger["status"] == REPRODUCED).sum())
    differs = ", ".join(ledger.loc[ledger["status"] == DIFFERS, "key"]) or "none"
    table = tables.HtmlTable.from_frame(
        ledger_display(ch.release, ledger),
        "Reproduction ledger: every number of the published record (data/published.csv) "
        "recomputed from the data release, in the population the record states",
        footnote=(
            "Percentages: observed cases at the visit. P-values: logistic GEE (ACR20) and "
            "linear mixed model of the change from baseline (CDAI, SDAI) across every "
            "post-baseline visit, the book's reading of the unstated published models. Counts: "
            "subjects.csv flags.",
            "Difference = recomputed minus published.",
            tables.source_note(ch.release),
        ),
    )
    return efficacy.Result(
        values={
            "ledger_summary": ledger_summary(ledger),
            "ledger_reproduced": reproduced,
            "ledger_total": len(ledger),
            "ledger_differs": differs,
        },
        tables={"ledger_table": table},
    )
