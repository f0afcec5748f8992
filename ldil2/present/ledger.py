"""The reproduction ledger's texts and tables, every number read from ARD rows.

- :func:`ledger_frame`: the Ledger chapter's table (published, recomputed, difference, rule,
  status);
- :func:`published_frame`: the Primary chapter's "Published results next to this book" table,
  with this edition's value where the edition's population differs from the record's;
- :func:`summary_text`, :func:`differs_text`: the ledger's summary line and the rows that differ;
- :func:`caveat_text`: what the ledger checks, for a simulated or a trial release.

A number is "reproduced" only when it agrees exactly at the precision the record prints it; a P
value that agrees only within its tolerance is "consistent (within a factor of 2)"
(:func:`ldil2.stats.ledger.verdict`).

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

CAVEAT = (
    "The simulated release was generated to match the published record, so with these data the "
    "ledger checks the analysis code, not the trial; with the trial's own data it would check "
    "the publication."
)
"""The ledger's caveat for a simulated release (top of the Ledger page, the landing page)."""
TRIAL_CAVEAT = (
    "The release holds the trial's participant data, so the ledger checks the publication "
    "against them."
)
"""What the ledger checks when the release holds the trial's data."""


def caveat_text(is_simulated: bool) -> str:
    """:data:`CAVEAT` for a simulated release, :data:`TRIAL_CAVEAT` for trial data."""
    return CAVEAT if is_simulated else TRIAL_CAVEAT


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
    """Whether the ledger row of `entry` says the number is reproduced exactly."""
    return ard.get(entry.ledger, "reproduced") == 1


def consistent_text(tolerance: float | None) -> str:
    """'consistent (within a factor of 2)': the status of a number that agrees only within its
    tolerance."""
    return f"consistent (within a factor of {tolerance:g})"


def status_text(ard: Ard, entry: Entry) -> str:
    """'reproduced' (exact agreement), 'consistent (within a factor of 2)' (agreement within the
    tolerance only) or 'differs', from the ledger row of `entry`."""
    if reproduced(ard, entry):
        return "reproduced"
    if ard.get(entry.ledger, "consistent") == 1:
        return consistent_text(_tolerance(ard, entry))
    return "differs"


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


def summary_text(ard: Ard, rid: str, entries: Sequence[Entry] = ()) -> str:
    """'10 of 13 published numbers reproduced exactly, 3 consistent (within a factor of 2)',
    from the ledger's summary row. The factor is read from the ledger rows of the consistent
    `entries`; when they state several factors (or `entries` is empty) the text says 'within
    their tolerance'. A count of 0 consistent is left out."""
    n, total = int(ard.get(rid, "n")), int(ard.get(rid, "N"))
    consistent = int(ard.get(rid, "consistent"))
    text = f"{n} of {total} published numbers reproduced exactly"
    if not consistent:
        return text
    factors = {_tolerance(ard, e) for e in entries if ard.get(e.ledger, "consistent") == 1}
    factors.discard(None)
    within = (
        consistent_text(factors.pop())
        if len(factors) == 1
        else "consistent (within their tolerance)"
    )
    return f"{text}, {consistent} {within}"


def differs_text(ard: Ard, entries: Iterable[Entry]) -> str:
    """The published.csv keys whose number differs (neither reproduced nor consistent),
    comma-separated, or 'none'."""
    return ", ".join(e.key for e in entries if status_text(ard, e) == "differs") or "none"
