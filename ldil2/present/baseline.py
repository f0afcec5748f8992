"""The baseline table (CONSORT 2010 item 15), every cell rendered from the ARD rows of one
characteristic in one arm: 'mean (SD)', 'median [Q1, Q3]' or 'n (%)', no P values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ldil2 import contract as c
from ldil2.present import notes
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import Ard
from ldil2.stats.descriptive import COUNT, MEAN_SD

NONE_OBSERVED = "-"
"""Cell text of a characteristic with no known value in the arm (and of an SD of one value)."""

FOOTNOTE = (
    "Mean (SD), median [first quartile, third quartile] or n (%) of participants with a "
    "known value; the number missing is shown where values are missing.",
    "No P values: differences at baseline between randomized arms arise by chance "
    "(CONSORT 2010, item 15).",
)


@dataclass(frozen=True)
class Characteristic:
    """One row of the baseline table: its label, the result_id of each arm and the decimals."""

    label: str
    ids: Mapping[str, str]
    digits: int = 1


def summary_cell(ard: Ard, rid: str, digits: int = 1) -> str:
    """One baseline cell from the rows of result `rid` (analysis ``mean_sd``, ``median_iqr``
    or ``count``): '40.0 (10.0)', '3.0 [2.0, 4.0]' or '2 (66.7%)'; ', k missing' is appended
    when values are missing; '-' when no value is known."""
    r = ard.result(rid)
    analysis = ard.row(rid, "missing").analysis
    known = r["N"] if analysis == COUNT else r["n"]
    if known == 0:
        return NONE_OBSERVED
    if analysis == COUNT:
        text = f"{int(r['n'])} ({r['percent']:.1f}%)"
    elif analysis == MEAN_SD:
        sd = NONE_OBSERVED if math.isnan(r["sd"]) else f"{r['sd']:.{digits}f}"
        text = f"{r['mean']:.{digits}f} ({sd})"
    else:
        text = f"{r['median']:.{digits}f} [{r['q1']:.{digits}f}, {r['q3']:.{digits}f}]"
    missing = int(r["missing"])
    return text + (f", {missing} missing" if missing else "")


def make_baseline_table(
    ard: Ard,
    sections: Sequence[tuple[str, Sequence[Characteristic]]],
    participants: Mapping[str, str],
    population: str,
    release: Any = None,
) -> HtmlTable:
    """Baseline characteristics by arm, rendered from ARD rows.

    Parameters
    ----------
    ard : the rows of every characteristic and of the participants per arm
    sections : (section title, its characteristics); a section without any is left out
    participants : arm -> result_id of the participants in the population (stat ``N``), for
        the header and the caption
    population : one of contract.POPULATIONS
    release : for the footnote's data source
    """
    counts = {arm: int(ard.get(participants[arm], "N")) for arm in c.ARMS}
    header = ("Characteristic", *(f"{c.ARM_LABELS[a]} (n = {counts[a]})" for a in c.ARMS))
    rows: list[tuple[str, ...]] = []
    kinds: list[str] = []
    for title, characteristics in sections:
        if not characteristics:
            continue
        rows.append((title,))
        kinds.append("section")
        for item in characteristics:
            first = item.ids[c.ARMS[0]]
            suffix = ", n (%)" if ard.row(first, "missing").analysis == COUNT else ""
            cells = (summary_cell(ard, item.ids[arm], item.digits) for arm in c.ARMS)
            rows.append((item.label + suffix, *cells))
            kinds.append("")
    caption = notes.population_caption("Baseline characteristics", population, counts)
    return HtmlTable(caption, header, tuple(rows), notes.footnote(release, *FOOTNOTE), tuple(kinds))
