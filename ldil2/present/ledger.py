"""The reproduction ledger's texts and tables, every number read from ARD rows.

- :func:`ledger_frame`: the Ledger chapter's table (published, recomputed, difference, rule,
  status);
- :func:`published_frame`: the Primary chapter's "Published results next to this book" table,
  with this edition's value where the edition's population differs from the record's;
- :func:`summary_text`, :func:`differs_text`: the ledger's summary line and the rows that differ.

Published numbers are printed as the record prints them (:func:`record_number`: '70.6%', '17',
'0.014'), not as the book prints a P value ('P = 0.014').
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from ldil2.results.ard import Ard
from ldil2.results.ledger import Entry, Source
from ldil2.stats.ledger import COUNT, PERCENT, WITHIN_FACTOR

STATUS = {True: "reproduced", False: "differs"}
"""The status text of a published number by whether the book reproduces it."""


def record_number(value: float, statistic: str, missing: str = "NA") -> str:
    """A number as the published record prints it: percent '70.6%', count '17', p-value '0.014'
    (3 decimals); `missing` for NaN."""
    if not math.isfinite(value):
        return missing
    if statistic == PERCENT:
        return f"{value:.1f}%"
    if statistic == COUNT:
        return f"{value:.0f}"
    return f"{value:.3f}"


def difference_text(value: float, statistic: str) -> str:
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


def reproduced(ard: Ard, entry: Entry) -> bool:
    """Whether the ledger row of `entry` says the number is reproduced."""
    return ard.get(entry.ledger, "reproduced") == 1


def status_text(ard: Ard, entry: Entry) -> str:
    """'reproduced' or 'differs', from the ledger row of `entry`."""
    return STATUS[reproduced(ard, entry)]


def _tolerance(ard: Ard, entry: Entry) -> float | None:
    value = ard.get(entry.ledger, "tolerance")
    return None if math.isnan(value) else value


def ledger_frame(ard: Ard, entries: Sequence[Entry]) -> pd.DataFrame:
    """The ledger for the page: statement, source, published, recomputed, difference, rule and
    status, every number from the ARD rows of `entries` (numbers as the record prints them)."""
    rows = []
    for entry in entries:
        published = ard.get(*entry.published)
        book = ard.get(entry.ledger, "estimate")
        rows.append(
            {
                "Published statement": entry.statement,
                "Source": entry.source,
                "Published": record_number(published, entry.statistic),
                "Recomputed": record_number(book, entry.statistic),
                "Difference": difference_text(book - published, entry.statistic),
                "Rule": rule_text(entry.comparison, entry.statistic, _tolerance(ard, entry)),
                "Status": status_text(ard, entry),
            }
        )
    return pd.DataFrame(rows)


def published_frame(
    ard: Ard, entries: Sequence[Entry], edition: Mapping[str, Source], edition_label: str
) -> pd.DataFrame:
    """Every published number next to the book's value in the published population and, for
    the keys of `edition` (published.csv key -> the ARD row of this edition's value), the value
    in this edition's population (column 'This edition (<edition_label>)'; empty elsewhere)."""
    rows = []
    for entry in entries:
        row = {
            "Published statement": entry.statement,
            "Source": entry.source,
            "Published": record_number(ard.get(*entry.published), entry.statistic),
            "This book (published population)": record_number(
                ard.get(entry.ledger, "estimate"), entry.statistic, "not computable"
            ),
            "Status": status_text(ard, entry),
        }
        if entry.key in edition:
            row[f"This edition ({edition_label})"] = record_number(
                ard.get(*edition[entry.key]), entry.statistic, "not computable"
            )
        rows.append(row)
    return pd.DataFrame(rows).fillna("")


def summary_text(ard: Ard, rid: str) -> str:
    """'13 of 13 published numbers reproduced', from the ledger's summary row."""
    return f"{int(ard.get(rid, 'n'))} of {int(ard.get(rid, 'N'))} published numbers reproduced"


def differs_text(ard: Ard, entries: Iterable[Entry]) -> str:
    """The published.csv keys whose number differs, comma-separated, or 'none'."""
    return ", ".join(e.key for e in entries if not reproduced(ard, e)) or "none"
