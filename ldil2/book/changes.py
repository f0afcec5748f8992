"""The "What changed" chapter: the ARD rows of this build compared with the previous release.

The page runs in the build's second phase (``ldil2: needs: [results]``): its parameter
``results`` is the results file of the first phase (:func:`ldil2.pipeline.results.read_results`),
whose ARD rows are compared, statistic by statistic (chapter, result_id, stat), with the rows of
the latest snapshot of another data release (:mod:`ldil2.pipeline.snapshots`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.book.common import Result
from ldil2.pipeline.config import find_root
from ldil2.pipeline.earlier import EARLIER_RELEASE, earlier_release_rule
from ldil2.pipeline.results import read_results
from ldil2.pipeline.snapshots import RELEASES_DIR, previous_version, read_snapshot
from ldil2.pipeline.toc import NEEDS_RESULTS
from ldil2.present import notes
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import Ard
from ldil2.results.format import Row

CHAPTER = "changes"

COLUMNS = ("chapter", "result_id", "stat", "label", "previous", "current")
"""Columns of :func:`what_changed`."""


def _same(a: float | None, b: float | None) -> bool:
    """Equal statistics: both absent, both NaN (not estimable), or equal within 1e-9 relative
    (platform rounding is not a change)."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def row_label(row: Row) -> str:
    """A statistic in words: endpoint label, week, arm or difference, statistic, e.g.
    ``ACR20 response, week 24, Ld-IL2 + MTX: percent``."""
    parts = [row.endpoint_label]
    parts.append("across visits" if row.week is None else f"week {row.week}")
    if row.group:
        parts.append(c.ARM_LABELS.get(row.group, row.group))
    return f"{', '.join(parts)} ({row.analysis}): {row.stat}"


def what_changed(current: list[Row], previous: list[Row]) -> pd.DataFrame:
    """The statistics whose value differs between two sets of ARD rows.

    Parameters
    ----------
    current, previous : ARD rows of this build and of the previous release's snapshot

    Returns
    -------
    DataFrame : one row per changed statistic (columns :data:`COLUMNS`), sorted by chapter,
        result_id and stat; ``previous`` or ``current`` is None where one side has no such
        statistic. Empty (same columns) when nothing changed.
    """
    before = {(r.chapter, r.result_id, r.stat): r for r in previous}
    now = {(r.chapter, r.result_id, r.stat): r for r in current}
    rows = []
    for key in sorted(set(before) | set(now)):
        old, new = before.get(key), now.get(key)
        old_value = None if old is None else old.value
        new_value = None if new is None else new.value
        if not _same(old_value, new_value):
            rows.append((*key, row_label(new or old), old_value, new_value))
    return pd.DataFrame(
        rows, columns=list(COLUMNS), dtype=object
    )  # None: absent, NaN: not estimable


def shown(value: float | None) -> str:
    """A statistic as the table shows it: 6 significant digits; NaN 'not estimable'; absent '-'."""
    if value is None:
        return "-"
    if math.isnan(value):
        return "not estimable"
    return f"{value:.6g}"


@dataclass(frozen=True)
class Compared:
    """The rows the page compares and where they come from."""

    rows: list[Row]
    source: str
    from_build: bool


def current_rows(ch: Any, releases_dir: Path) -> Compared:
    """The ARD rows the page compares: in a build, the first phase's rows
    (``ch.params["results"]``); run alone (e.g. in JupyterLab), the committed snapshot of the
    edition's data version (no rows if there is none). The source is said in words."""
    results = ch.params.get(NEEDS_RESULTS)
    if results:
        _, rows = read_results(Path(results))
        return Compared(rows, "this build", True)
    version = str(ch.release.version)
    own = releases_dir / f"{version}.json"
    rows = read_snapshot(own)["rows"] if own.is_file() else []
    source = f"the committed snapshot of data release {version} (no build results given)"
    return Compared(rows, source, False)


def changes_result(ch: Any, releases_dir: Path | None = None) -> Result:
    """What-changed chapter: the statistics of the current build that differ from the latest
    snapshot of another data version.

    Glue values ``changes_current_version``, ``changes_previous_version``, ``changes_count``,
    ``changes_compared``, ``changes_source``, ``changes_summary``, ``changes_earlier_version``,
    ``changes_earlier_rule``; table ``changes_table``. The two counts are ARD rows of this page.
    """
    releases_dir = releases_dir or find_root() / RELEASES_DIR
    version = str(ch.release.version)
    previous = previous_version(releases_dir, version)
    compared = current_rows(ch, releases_dir)
    old_rows = read_snapshot(releases_dir / f"{previous}.json")["rows"] if previous else []
    changed = what_changed(compared.rows, old_rows) if previous else what_changed([], [])
    ard = Ard(CHAPTER, ch.population)
    rid = ard.record(
        "changes",
        f"Statistics compared with release {previous or 'none'}",
        "what_changed",
        {"count": len(changed), "N": len(compared.rows)},
    )
    n_changed, n_compared = int(ard.get(rid, "count")), int(ard.get(rid, "N"))
    if not compared.rows:
        summary = (
            f"There are no results of data release {version} to compare: build the book, or "
            "run python -m ldil2 release after a build to record its snapshot."
        )
    elif previous is None:
        summary = f"There is no snapshot of a data release other than {version} to compare with."
    else:
        summary = (
            f"{n_changed} of {n_compared} statistics of {compared.source} (data release "
            f"{version}) differ from the snapshot of data release {previous}."
        )
    heading = "This build" if compared.from_build else f"Release {version}"
    frame = pd.DataFrame(
        {
            "Chapter": changed["chapter"],
            "Result": changed["label"],
            f"Release {previous or 'none'}": [shown(v) for v in changed["previous"]],
            heading: [shown(v) for v in changed["current"]],
        }
    )
    table = HtmlTable.from_frame(
        frame,
        f"Statistics that changed between data release {previous} and {compared.source}",
        footnote=(
            "Every statistic of the results dataset (ARD), compared by chapter, result and "
            f"statistic between {compared.source} and the snapshot in {RELEASES_DIR}/; '-' marks "
            "a statistic one side does not have. Values are shown to 6 significant digits.",
            notes.source_note(ch.release),
        ),
    )
    return Result(
        values={
            "changes_current_version": version,
            "changes_previous_version": previous or "none",
            "changes_count": n_changed,
            "changes_compared": n_compared,
            "changes_source": compared.source,
            "changes_summary": summary,
            "changes_earlier_version": EARLIER_RELEASE["version"],
            "changes_earlier_rule": earlier_release_rule(),
        },
        tables={"changes_table": table},
        ard=ard,
    )
