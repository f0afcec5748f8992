"""The appendix page "Results dataset": the ARD's columns, statistics and analysis ids.

Every table is generated from :mod:`ldil2.results.format`, so the page and the format cannot
drift apart.
"""

from __future__ import annotations

import pandas as pd

from ldil2.book.common import Result
from ldil2.present.tables import HtmlTable
from ldil2.results import format as ard_format

CHAPTER = "results_dataset"


def format_tables() -> Result:
    """Tables ``ard_columns_table`` (column, meaning), ``ard_stats_table`` (stat, meaning) and
    ``ard_analyses_table`` (analysis id, method, reference)."""
    columns = pd.DataFrame(
        {"Column": list(ard_format.COLUMNS), "Meaning": list(ard_format.COLUMNS.values())}
    )
    stats = pd.DataFrame(
        {"stat": list(ard_format.STATS), "Meaning": list(ard_format.STATS.values())}
    )
    analyses = pd.DataFrame(
        {
            "analysis": list(ard_format.ANALYSES),
            "Method": [a.method for a in ard_format.ANALYSES.values()],
            "Reference": [a.reference or "-" for a in ard_format.ANALYSES.values()],
        }
    )
    return Result(
        tables={
            "ard_columns_table": HtmlTable.from_frame(
                columns, "Columns of the results dataset (ard.csv, ard.json), in order"
            ),
            "ard_stats_table": HtmlTable.from_frame(
                stats, "Statistics a row of the results dataset may hold (column stat)"
            ),
            "ard_analyses_table": HtmlTable.from_frame(
                analyses,
                "Analysis ids of the results dataset (column analysis), with method and reference",
            ),
        },
    )
