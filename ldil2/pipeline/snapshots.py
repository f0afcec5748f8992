"""Data releases: snapshots of the glued results of a built edition, and what changed.

A snapshot is ``releases/<version>.json``: every scalar value a built edition glued into its
chapters, by name (``<chapter>:<glue name>``), written as deterministic JSON (sorted keys,
two-space indent, trailing newline). ``python -m ldil2 release`` writes it from the build's
results file (:func:`ldil2.build.write_results`). The "What changed" chapter runs in the build's
second phase (``ldil2: needs: [results]``) and compares the values of the current build with the
latest snapshot of another data version.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ldil2 import build
from ldil2 import contract as c
from ldil2.build import Scalar

SNAPSHOT_FORMAT = 1


def write_snapshot(
    values: dict[str, Scalar], version: str, releases_dir: Path, edition: dict | None = None
) -> Path:
    """Write ``releases_dir/<version>.json`` (deterministic: sorted keys, no dates).

    Parameters
    ----------
    values : result name -> scalar, as in a results file (:func:`ldil2.build.read_results`)
    version : data release version (metadata.yml ``version``), e.g. ``2026.11.1``
    releases_dir : directory of committed snapshots (created if absent)
    edition : the edition's parameters worth recording (population, imputation, ...)

    Returns
    -------
    Path : the file written
    """
    releases_dir.mkdir(parents=True, exist_ok=True)
    path = releases_dir / f"{version}.json"
    document = {
        "format": SNAPSHOT_FORMAT,
        "version": version,
        "edition": edition or {},
        "values": values,
    }
    path.write_text(json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    return path


def read_snapshot(path: Path) -> dict:
    """Read one snapshot written by :func:`write_snapshot`.

    Raises
    ------
    ValueError : the file is not a snapshot (names the file and the missing field)
    """
    document = json.loads(path.read_text())
    for field in ("version", "values"):
        if field not in document:
            raise ValueError(f"{path}: not a release snapshot, field {field!r} is missing")
    return document


def version_key(version: str) -> tuple:
    """Sort key of a release version: ``2026.08.1`` < ``2026.11.1`` < ``2026.11.10``.

    Dot-separated parts compare as integers where they are integers, else as text.
    """
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.split("."))


def snapshot_versions(releases_dir: Path) -> list[str]:
    """Versions that have a snapshot in ``releases_dir``, oldest first."""
    if not releases_dir.is_dir():
        return []
    return sorted((p.stem for p in releases_dir.glob("*.json")), key=version_key)


def previous_version(releases_dir: Path, current_version: str) -> str | None:
    """The latest snapshot version other than ``current_version`` (None if there is none)."""
    others = [v for v in snapshot_versions(releases_dir) if v != current_version]
    return others[-1] if others else None


def _same(a: Scalar | None, b: Scalar | None) -> bool:
    """Equal values; floats equal within 1e-9 relative (platform rounding is not a change)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return type(a) is type(b) and a == b


def what_changed(
    current_values: dict[str, Scalar], releases_dir: Path, current_version: str
) -> pd.DataFrame:
    """Results whose value differs from the latest snapshot of another data version.

    Parameters
    ----------
    current_values : result name -> value of the current data version
    releases_dir : directory of snapshots ``<version>.json``
    current_version : version of the current data release (its own snapshot is not compared)

    Returns
    -------
    DataFrame : one row per changed result, sorted by name, with columns ``chapter``, ``result``,
        ``previous_version``, ``previous``, ``current``. A result present in only one of the two
        has ``None`` on the other side. Empty (same columns) when nothing changed or there is no
        snapshot of another version.
    """
    columns = ["chapter", "result", "previous_version", "previous", "current"]
    other = previous_version(releases_dir, current_version)
    if other is None:
        return pd.DataFrame(columns=columns)
    previous_values = read_snapshot(releases_dir / f"{other}.json")["values"]
    rows = []
    for key in sorted(set(previous_values) | set(current_values)):
        before, now = previous_values.get(key), current_values.get(key)
        if not _same(before, now):
            chapter, _, result = key.partition(":")
            rows.append((chapter, result, other, before, now))
    return pd.DataFrame(rows, columns=columns, dtype=object)


EDITION_PARAMETERS = ("population", "acr_joints", "imputation", "mi_imputations", "seed")
"""Parameters of a built edition recorded in its snapshot (they change what the values mean)."""


def built_edition(build_dir: Path) -> tuple[str, dict, dict[str, Scalar]]:
    """The data version, edition parameters and glued values of a successful build.

    Parameters
    ----------
    build_dir : the ``--out`` folder of ``python -m ldil2 build``: ``report.json`` (its
        ``data.version`` and ``parameters``) and ``stage/results.json``, the values glued by
        every document except those of the second phase (:func:`ldil2.build.write_results`)

    Raises
    ------
    ValueError : no report, a build that did not succeed, or no results file (names the file)
    """
    report_path = build_dir / "report.json"
    if not report_path.is_file():
        raise ValueError(f"{report_path}: no build report; run python -m ldil2 build first")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    if report.get("status") != "ok":
        raise ValueError(f"{report_path}: status {report.get('status')!r}, expected 'ok'")
    results = build_dir / "stage" / build.RESULTS_FILE
    if not results.is_file():
        raise ValueError(f"{report_path}: the build wrote no results file {results}")
    parameters = report.get("parameters", {})
    edition = {k: parameters[k] for k in EDITION_PARAMETERS if k in parameters}
    return str(report["data"]["version"]), edition, build.read_results(results)


def release_command(build_dir: Path, releases_dir: Path) -> int:
    """``python -m ldil2 release``: snapshot every glued value of a built edition.

    Writes ``releases_dir/<version>.json`` (see :func:`write_snapshot`) from the results file
    of ``build_dir`` and prints the file and the number of values; returns 0, or prints the
    problem to stderr and returns 1.
    """
    try:
        version, edition, values = built_edition(build_dir)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    path = write_snapshot(values, version, releases_dir, edition)
    print(f"{path}: {len(values)} values of data release {version}")
    return 0


# ---------------------------------------------------------------------------------------------
# The earlier data transfer shipped as the second release
# ---------------------------------------------------------------------------------------------

EARLIER_RELEASE = {"version": "2026.08.1", "after_week": 12, "late_subjects_per_arm": 6}
"""The earlier release: the same simulated trial at an earlier data transfer, in which the
case-report pages after week 12 of the last 6 participants per arm (by subject_id, the enrolment
order) had not yet been entered. See :func:`cut_release`."""


def earlier_release_rule() -> str:
    """The earlier release of :data:`EARLIER_RELEASE` in words, for the What-changed page."""
    return (
        f"at which the case-report pages after week {EARLIER_RELEASE['after_week']} of the last "
        f"{EARLIER_RELEASE['late_subjects_per_arm']} participants enrolled in each arm had not "
        "yet been entered"
    )


_WEEKLY_TABLES = (c.ASSESSMENTS, c.LABS, c.IMMUNOLOGY)
_DAYS_PER_WEEK = 7


def cut_release(
    source: Path, out: Path, version: str, after_week: int, late_subjects_per_arm: int
) -> list[str]:
    """Write an earlier data transfer of a release: late participants' pages after a week removed.

    Parameters
    ----------
    source : directory of a valid data release (the data contract's CSVs and metadata.yml)
    out : directory to write the earlier release to (created; its files are overwritten)
    version : the earlier release's metadata.yml ``version``
    after_week : visits later than this week are not yet entered for the late participants
    late_subjects_per_arm : how many participants per arm (the last by ``subject_id``, the
        enrolment order) are late

    Returns
    -------
    list : the subject_ids of the late participants

    Notes
    -----
    For each late participant the rows of assessments.csv, labs.csv and immunology.csv with
    ``week > after_week`` and the adverse events with ``onset_day > 7 * after_week`` are dropped.
    Every other row is copied as text (values unchanged); subjects.csv, exposure.csv and
    published.csv are copied unchanged. metadata.yml gets the new ``version`` and a
    ``derived_from`` entry naming the source version and the rule. The result obeys the data
    contract: the participants completed the trial; their later pages were not yet entered.
    """
    out.mkdir(parents=True, exist_ok=True)
    subjects = pd.read_csv(source / c.SUBJECTS, dtype=str, keep_default_na=False)
    late: list[str] = []
    for arm in c.ARMS:
        ids = sorted(subjects.loc[subjects[c.ARM] == arm, c.SUBJECT_ID])
        late += ids[len(ids) - late_subjects_per_arm :]
    late.sort()
    for path in sorted(p for p in source.iterdir() if p.is_file()):
        if path.suffix != ".csv":
            shutil.copyfile(path, out / path.name)
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        is_late = frame[c.SUBJECT_ID].isin(late) if c.SUBJECT_ID in frame.columns else None
        if path.name in _WEEKLY_TABLES:
            frame = frame[~(is_late & (frame[c.WEEK].astype(int) > after_week))]
        elif path.name == c.ADVERSE_EVENTS:
            onset = frame[c.AE_ONSET_DAY].astype(int)
            frame = frame[~(is_late & (onset > _DAYS_PER_WEEK * after_week))]
        frame.to_csv(out / path.name, index=False, lineterminator="\n")
    metadata = yaml.safe_load((source / c.METADATA).read_text(encoding="utf-8"))
    metadata["derived_from"] = {
        "version": str(metadata["version"]),
        "rule": f"case-report pages after week {after_week} of {', '.join(late)} not yet entered",
    }
    metadata["version"] = version
    (out / c.METADATA).write_text(yaml.safe_dump(metadata, sort_keys=True), encoding="utf-8")
    return late


def earlier_release_command(work: Path, releases_dir: Path, jobs: int = 2) -> int:
    """Regenerate the earlier release's snapshot: cut, build, snapshot.

    ``python -m ldil2.releases --work _build/earlier`` writes the earlier data release
    (:data:`EARLIER_RELEASE`, :func:`cut_release` of ``data/``) to ``<work>/data``, builds the
    book on it into ``<work>`` and writes ``releases_dir/<version>.json``. The earlier data stay
    under ``work`` (git-ignored ``_build``): only the snapshot is committed. Returns 0 on
    success, else 1 (the build or release prints why).
    """
    from ldil2.chapter import PARAMETERS_FILE, find_root

    root = find_root()
    work = work.resolve()
    cut_release(root / "data", work / "data", **EARLIER_RELEASE)
    overrides = [f"data_dir={work / 'data'}"]
    if build.build_command(root / PARAMETERS_FILE, overrides, work, jobs) != 0:
        return 1
    return release_command(work, releases_dir)


def main(argv: list[str] | None = None) -> int:
    """``python -m ldil2.releases``: see :func:`earlier_release_command`."""
    parser = argparse.ArgumentParser(
        prog="python -m ldil2.releases", description=earlier_release_command.__doc__
    )
    parser.add_argument("--work", type=Path, default=Path("_build/earlier"))
    parser.add_argument("--releases", type=Path, default=Path(RELEASES_DIR))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    return earlier_release_command(args.work, args.releases, args.jobs)


# ---------------------------------------------------------------------------------------------
# The "What changed" chapter
# ---------------------------------------------------------------------------------------------

RELEASES_DIR = "releases"
"""Folder of the committed snapshots, relative to the book root."""


def _shown(value: Scalar | None) -> str:
    """A snapshot value as shown on the page: floats to 6 significant digits, absent as '-'."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def result_label(name: str) -> str:
    """A glue name in words: underscores become spaces, an arm code its label
    (:data:`ldil2.contract.ARM_LABELS`), ``w24`` becomes ``week 24``; first letter capitalised.
    E.g. ``acr20_w24_ldil2_pct`` -> ``Acr20 week 24 Ld-IL2 + MTX pct``."""
    words = [
        c.ARM_LABELS.get(word, re.sub(r"^w(\d+)$", r"week \1", word)) for word in name.split("_")
    ]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def changes_display(changed: pd.DataFrame, previous: str | None, current: str) -> pd.DataFrame:
    """The changed results as shown: one row per result name and pair of values, listing every
    chapter where that same change occurs (e.g. the release version glued on each page).

    Columns: Result (:func:`result_label`), Name (the glue name), Chapters,
    ``Release <previous>``, ``current`` (the heading of the current values, e.g. ``This build``);
    sorted by glue name.
    """
    shown = changed.assign(
        previous=[_shown(v) for v in changed["previous"]],
        current=[_shown(v) for v in changed["current"]],
    )
    grouped = shown.groupby(["result", "previous", "current"], sort=True)["chapter"]
    frame = grouped.agg(lambda chapters: ", ".join(sorted(chapters))).reset_index()
    return pd.DataFrame(
        {
            "Result": [result_label(name) for name in frame["result"]],
            "Name": frame["result"],
            "Chapters": frame["chapter"],
            f"Release {previous or 'none'}": frame["previous"],
            current: frame["current"],
        }
    )


def current_values(ch: Any, releases_dir: Path) -> tuple[dict[str, Scalar], str]:
    """The values the What-changed page compares, and where they come from, in words.

    In a build, ``ch.params["results"]`` is the build's results file
    (:func:`ldil2.build.read_results`): the values of this build. Without it (the chapter run
    alone, e.g. in JupyterLab) the committed snapshot of the edition's data version stands in
    (empty if there is none).
    """
    results = ch.params.get(build.NEEDS_RESULTS)
    if results:
        return build.read_results(Path(results)), "this build"
    version = str(ch.release.version)
    own = releases_dir / f"{version}.json"
    values = read_snapshot(own)["values"] if own.is_file() else {}
    return values, f"the committed snapshot of data release {version} (no build results given)"


def changes_result(ch: Any) -> Any:
    """What-changed chapter: the results of the current build that differ from the latest
    snapshot of another data version (:func:`current_values`: the build's results file, or the
    snapshot of the current version when the chapter runs alone; the page says which).

    Glue values ``changes_current_version``, ``changes_previous_version``, ``changes_count``,
    ``changes_compared``, ``changes_source``, ``changes_summary``; table ``changes_table``.
    """
    from ldil2 import efficacy, tables
    from ldil2.chapter import find_root

    releases_dir = find_root() / RELEASES_DIR
    version = str(ch.release.version)
    previous = previous_version(releases_dir, version)
    current, source = current_values(ch, releases_dir)
    changed = what_changed(current, releases_dir, version)
    if not current:
        summary = (
            f"There are no results of data release {version} to compare: build the book, or "
            "run python -m ldil2 release after a build to record its snapshot."
        )
    elif previous is None:
        summary = f"There is no snapshot of a data release other than {version} to compare with."
    else:
        summary = (
            f"{len(changed)} of {len(current)} results of {source} (data release {version}) "
            f"differ from the snapshot of data release {previous}."
        )
    heading = "This build" if ch.params.get(build.NEEDS_RESULTS) else f"Release {version}"
    frame = changes_display(changed, previous, heading)
    table = tables.HtmlTable.from_frame(
        frame,
        f"Results that changed between data release {previous} and {source}",
        footnote=(
            "Every value the book glues into its pages, compared by chapter and glue name "
            f"between {source} and the snapshot in {RELEASES_DIR}/; '-' marks a result one side "
            "does not have. Floats are shown to 6 significant digits.",
            tables.source_note(ch.release),
        ),
    )
    return efficacy.Result(
        values={
            "changes_current_version": version,
            "changes_previous_version": previous or "none",
            "changes_count": len(changed),
            "changes_compared": len(current),
            "changes_source": source,
            "changes_summary": summary,
            "changes_earlier_version": EARLIER_RELEASE["version"],
            "changes_earlier_rule": earlier_release_rule(),
        },
        tables={"changes_table": table},
    )


if __name__ == "__main__":
    sys.exit(main())
