"""The reproduction ledger as ARD rows: each published number next to the book's value.

The book's value of a published number is a row another analysis recorded (a percentage of
``proportion_wilson``, the P value of ``gee_logit`` or ``mixed_model``, a participant count):
:func:`record_comparison` READS that row (its `source`), records the published number under the
analysis ``published`` with the same endpoint, population, week and group, and the comparison
under the analysis ``ledger`` (``estimate`` = the book's value, ``tolerance``, ``reproduced`` 1 for
exact agreement, ``consistent`` 1 for agreement within the tolerance only; see
:func:`ldil2.stats.ledger.verdict`). :func:`record_summary` records how many published numbers are
reproduced and how many are consistent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ldil2 import contract as c
from ldil2.results.ard import Ard
from ldil2.results.format import result_id
from ldil2.stats.ledger import CONSISTENT, REPRODUCED, verdict

PUBLISHED, LEDGER = "published", "ledger"
"""Analysis ids of a number of the published record and of its comparison with the book."""
SUMMARY = "published_record"
"""The ARD endpoint of the ledger's summary (numbers reproduced of the numbers published)."""

Source = tuple[str, str]
"""Where the book's value of a published number is: (result_id, stat) of an ARD row."""

_KINDS = {"percent": "percentage", "count": "count", "p_value": "P value"}


@dataclass(frozen=True)
class Entry:
    """One published number in the ARD.

    Attributes
    ----------
    key, source, statement, statistic, comparison : its published.csv fields
    ledger : result_id of the comparison (``estimate``, ``tolerance``, ``reproduced``,
        ``consistent``)
    published : (result_id, stat) of the published number
    book : (result_id, stat) of the book's value (the row the analysis recorded)
    """

    key: str
    source: str
    statement: str
    statistic: str
    comparison: str
    ledger: str
    published: Source
    book: Source


def tolerance_of(record: pd.Series) -> float | None:
    """The factor of a published.csv row's ``within_factor`` rule (None when empty)."""
    value = record[c.PUB_TOLERANCE]
    return None if pd.isna(value) else float(value)


def record_comparison(ard: Ard, record: pd.Series, book: Source) -> Entry:
    """Record one published.csv row next to the book's value, the ARD row `book`.

    Parameters
    ----------
    ard : the chapter's ARD, which already holds the row `book`
    record : one row of ``Release.published``
    book : (result_id, stat) of the book's value of the number

    Returns
    -------
    Entry

    Raises
    ------
    ldil2.results.ard.MissingResult : `book` is not recorded in `ard`
    ValueError : the ledger row of this number is already recorded (two published.csv rows for
        one endpoint, population, week and arm)
    """
    value, row = ard.get(*book), ard.row(*book)
    ledger_id = result_id(row.endpoint, row.week, row.population, row.group, LEDGER)
    if ard.result(ledger_id):
        raise ValueError(
            f"published.csv key {record[c.PUB_KEY]}: {ledger_id} is already recorded, violates "
            "one row per published number"
        )
    published = float(record[c.PUB_VALUE])
    statistic, comparison = str(record[c.PUB_STATISTIC]), str(record[c.PUB_COMPARISON])
    tolerance = tolerance_of(record)
    found = verdict(published, value, statistic, comparison, tolerance)
    where = {"week": row.week, "group": row.group, "population": row.population}
    stated = f"({record[c.PUB_SOURCE]}): {record[c.PUB_STATEMENT]}"
    published_id = ard.record(
        row.endpoint,
        row.endpoint_label,
        PUBLISHED,
        {book[1]: published},
        unit=row.unit,
        method=f"Published {_KINDS.get(statistic, statistic)} {stated}",
        **where,
    )
    rule = comparison if tolerance is None else f"{comparison} {tolerance:g}"
    ard.record(
        row.endpoint,
        row.endpoint_label,
        LEDGER,
        {
            "estimate": value,
            "tolerance": math.nan if tolerance is None else tolerance,
            "reproduced": float(found == REPRODUCED),
            "consistent": float(found == CONSISTENT),
        },
        unit=row.unit,
        method=(
            f"published.csv {record[c.PUB_KEY]} {stated}; this book's value is {book[0]} "
            f"{book[1]}, compared by the rule {rule}."
        ),
        **where,
    )
    return Entry(
        key=str(record[c.PUB_KEY]),
        source=str(record[c.PUB_SOURCE]),
        statement=str(record[c.PUB_STATEMENT]),
        statistic=statistic,
        comparison=comparison,
        ledger=ledger_id,
        published=(published_id, book[1]),
        book=book,
    )


def record_summary(ard: Ard, entries: Iterable[Entry]) -> str:
    """Record how many of the published numbers `entries` are reproduced exactly (``n``), how
    many are consistent within their tolerance only (``consistent``), of how many (``N``):
    analysis ``ledger``, endpoint :data:`SUMMARY`, in the per-protocol population of the
    published analyses."""
    entries = list(entries)
    reproduced = [ard.get(entry.ledger, "reproduced") for entry in entries]
    consistent = [ard.get(entry.ledger, "consistent") for entry in entries]
    return ard.record(
        SUMMARY,
        "Numbers of the published record reproduced by this book",
        LEDGER,
        {"n": sum(reproduced), "consistent": sum(consistent), "N": len(entries)},
        population=c.PER_PROTOCOL,
        method=(
            "Numbers of the published record (abstract and registry, published.csv, each in "
            "the population it states) that this book reproduces exactly (n) and that agree "
            "with it only within the stated tolerance (consistent), of all of them (N)."
        ),
    )
