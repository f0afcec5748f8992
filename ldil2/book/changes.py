"""The "What changed" chapter and the landing page's line on the declared conclusions.

Both pages run in the build's second phase (``ldil2: needs: [results]``): their parameter
``results`` is the results file of the first phase (:func:`ldil2.pipeline.results.read_results`),
whose ARD rows are this edition's. The previous edition is the latest snapshot of another data
release in ``releases/`` (:mod:`ldil2.pipeline.snapshots`). The declared conclusions
(``conclusions.yml``, :mod:`ldil2.results.conclusions`) are evaluated on both, the results are
compared result by result (:mod:`ldil2.results.changes`), every count is recorded as an ARD row
of the page and every text is rendered from rows (:mod:`ldil2.present.changes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ldil2.book.common import Result
from ldil2.pipeline.config import find_root
from ldil2.pipeline.earlier import EARLIER_RELEASE, earlier_release_rule
from ldil2.pipeline.results import read_results
from ldil2.pipeline.snapshots import RELEASES_DIR, previous_version, read_snapshot
from ldil2.pipeline.toc import CONCLUSIONS_READ, NEEDS_RESULTS, document_titles
from ldil2.present import changes as shown
from ldil2.present import notes
from ldil2.results.ard import Ard
from ldil2.results.changes import changed_results, compared_results
from ldil2.results.conclusions import (
    Conclusion,
    evaluate,
    load_conclusions,
    record_conclusions,
)
from ldil2.results.format import Row

CHAPTER = "changes"


@dataclass(frozen=True)
class Compared:
    """The rows of this edition and where they come from."""

    rows: list[Row]
    source: str
    from_build: bool


def current_rows(ch: Any, releases_dir: Path) -> Compared:
    """The ARD rows of this edition: in a build, the first phase's rows
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


@dataclass(frozen=True)
class Editions:
    """This edition and the previous one: versions and ARD rows (``previous`` None on a first
    edition)."""

    version: str
    current: Compared
    previous_version: str | None
    previous: list[Row] | None


def editions(ch: Any, releases_dir: Path) -> Editions:
    """This edition's rows (:func:`current_rows`) and those of the latest snapshot of another
    data release (none on a first edition)."""
    version = str(ch.release.version)
    before = previous_version(releases_dir, version)
    rows = read_snapshot(releases_dir / f"{before}.json")["rows"] if before else None
    return Editions(version, current_rows(ch, releases_dir), before, rows)


def _conclusions(
    ard: Ard, declared: list[Conclusion], compared: Editions
) -> tuple[dict, dict, dict | None]:
    """Evaluate every declared conclusion on both editions and record them in `ard`; returns
    the recorded ids and the two editions' evaluations (by key)."""
    current = {k.key: evaluate(k, compared.current.rows) for k in declared}
    previous = (
        None
        if compared.previous is None
        else {k.key: evaluate(k, compared.previous) for k in declared}
    )
    return record_conclusions(ard, declared, current, previous), current, previous


def _paths(root: Path | None) -> tuple[Path, Path]:
    root = root or find_root()
    return root, root / RELEASES_DIR


def landing_conclusions(ch: Any, root: Path | None = None) -> Result:
    """Landing page: glue value ``conclusions_line``, one sentence saying whether any declared
    conclusion changed since the previous edition (:func:`ldil2.present.changes.
    conclusions_line`), rendered from the conclusion rows it records."""
    root, releases_dir = _paths(root)
    declared = load_conclusions(root / CONCLUSIONS_READ)
    compared = editions(ch, releases_dir)
    ard = Ard("index", ch.population)
    ids, current, _ = _conclusions(ard, declared, compared)
    versions = (compared.version, compared.previous_version)
    line = shown.conclusions_line(declared, ard, ids, versions, current)
    return Result(values={"conclusions_line": line}, ard=ard)


def _counts(ard: Ard, compared: Editions, titles: dict[str, str]) -> tuple[list, dict[str, str]]:
    """The changed results in book order and the ids of their counts, recorded in `ard`."""
    before = compared.previous or []
    changes = shown.order_changes(changed_results(compared.current.rows, before), list(titles))
    now, old = compared_results(compared.current.rows, before)
    statistics = {(*k, s) for k, v in now.items() for s in v} | {
        (*k, s) for k, v in old.items() for s in v
    }
    record = {
        "results": ("Results compared with the previous edition", len(changes), len(now | old)),
        "statistics": (
            "Statistics compared with the previous edition",
            sum(len(x.stats) for x in changes),
            len(statistics),
        ),
        "comparisons": (
            "Changed comparisons of the arms and page totals",
            sum(shown.is_comparison(x) for x in changes),
            len(changes),
        ),
        "pages": (
            "Pages with a changed result",
            len({x.row.chapter for x in changes}),
            len({k[0] for k in now | old}),
        ),
    }
    ids = {
        name: ard.record(f"changed_{name}", label, "what_changed", {"n": n, "N": total})
        for name, (label, n, total) in record.items()
    }
    return changes, ids


def _summary(ard: Ard, ids: dict[str, str], compared: Editions) -> str:
    """The page's opening counts, read from its rows."""
    if not compared.current.rows:
        return (
            f"There are no results of data release {compared.version} to compare: build the "
            "book to see what changed."
        )
    if compared.previous is None:
        return (
            f"This is the first edition (data release {compared.version}): there is no "
            "earlier edition to compare it with."
        )

    def n(name: str, stat: str = "n") -> int:
        return int(ard.get(ids[name], stat))

    before = compared.previous_version
    if not n("results"):
        return (
            f"No result changed since edition {before}: all {n('results', 'N')} results of "
            f"the {n('pages', 'N')} pages compared are the same."
        )
    return (
        f"Compared with edition {before}, {n('results')} of {n('results', 'N')} results "
        f"changed, on {n('pages')} of the {n('pages', 'N')} pages compared "
        f"({n('statistics')} of {n('statistics', 'N')} statistics). The first table below "
        f"lists the {n('comparisons')} of them that compare the arms or total a page; the "
        f"full list below it holds all {n('results')}, the results of each arm too."
    )


def changes_result(ch: Any, root: Path | None = None) -> Result:
    """What-changed chapter: the declared conclusions in both editions, then the changed
    results grouped by page and endpoint, and the full list.

    Glue values ``changes_current_version``, ``changes_previous_version``,
    ``changes_source``, ``changes_summary``, ``conclusions_line``,
    ``changes_earlier_version``, ``changes_earlier_rule``; tables ``conclusions_table``,
    ``changes_table`` (comparisons and page totals) and ``changes_all_table`` (every changed
    result). Every count is an ARD row of this page.
    """
    root, releases_dir = _paths(root)
    declared = load_conclusions(root / CONCLUSIONS_READ)
    compared = editions(ch, releases_dir)
    ard = Ard(CHAPTER, ch.population)
    ids, current, previous = _conclusions(ard, declared, compared)
    versions = (compared.version, compared.previous_version)
    titles = document_titles(root)
    changes, counts = _counts(ard, compared, titles)
    before = compared.previous_version or "none"
    source = notes.source_note(ch.release)
    where = (
        f"The previous edition is the snapshot of data release {before} in the book's "
        f"{RELEASES_DIR}/ folder; this edition is {compared.current.source}."
    )
    conclusions = shown.conclusions_table(
        declared,
        current,
        previous,
        ard,
        ids,
        versions,
        (
            "Each conclusion was declared in advance in conclusions.yml, naming the result "
            "that decides it and its decision rule; the estimate, 95% CI and P are that "
            "result's, the status says whether the rule is met ('not computed': the edition "
            "has no such result). Conclusion changed: yes when the rule is met in one edition "
            "and not in the other; it cannot be compared when one edition has no such result "
            "or it is not estimable there.",
            where,
            source,
        ),
    )
    footnote = (
        "Each result in the previous edition and in this one (a dash: the edition has no such "
        "result). Change: this edition's estimate (or percentage, mean, P or count) minus the "
        "previous edition's, in its unit. Settings of the book and the numbers of the "
        "published record are not compared.",
        where,
        source,
    )
    comparisons = [x for x in changes if shown.is_comparison(x)]
    return Result(
        values={
            "changes_current_version": compared.version,
            "changes_previous_version": before,
            "changes_source": compared.current.source,
            "changes_summary": _summary(ard, counts, compared),
            "conclusions_line": shown.conclusions_line(declared, ard, ids, versions, current),
            "changes_earlier_version": EARLIER_RELEASE["version"],
            "changes_earlier_rule": earlier_release_rule(),
        },
        tables={
            "conclusions_table": conclusions,
            "changes_table": shown.changes_table(
                comparisons,
                titles,
                ch.population,
                f"Changed comparisons of the arms and page totals, edition {before} to "
                f"edition {compared.version}, by page and endpoint",
                footnote,
            ),
            "changes_all_table": shown.changes_table(
                changes,
                titles,
                ch.population,
                f"Every changed result, edition {before} to edition {compared.version}, by "
                "page and endpoint",
                footnote,
            ),
        },
        ard=ard,
    )
