"""Release snapshots: the results of a built edition, as numbers (ARD rows) and as texts.

A snapshot is ``releases/<version>.json`` (format :data:`SNAPSHOT_FORMAT`): every ARD row the
edition recorded (:mod:`ldil2.results.format`: one statistic a row, values as numbers; one row a
line, as a list in the order of ``columns``, so that two snapshots diff line by line) and every
scalar value it glued into its pages, by ``<chapter>:<glue name>`` (the texts a reader saw),
written as deterministic JSON (sorted keys, no dates). ``python -m ldil2 release`` writes it from
the build's results file (:func:`ldil2.pipeline.derived.write_results_file`). The "What changed"
chapter compares the rows of the current build with the latest snapshot of another version.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ldil2.pipeline.results import RESULTS_FILE, Scalar, read_results
from ldil2.results import format as ard_format
from ldil2.results.format import Row

SNAPSHOT_FORMAT = 2
"""Format 2 (this one): ``rows`` (ARD records) and ``values`` (glued texts). Format 1 held the
glued values only; it is refused (:func:`read_snapshot`)."""

RELEASES_DIR = "releases"
"""Folder of the committed snapshots, relative to the book root."""


class SnapshotError(ValueError):
    """A file that is not a snapshot this version of the book reads (names file and reason)."""


def write_snapshot(
    values: dict[str, Scalar],
    rows: list[Row],
    version: str,
    releases_dir: Path,
    edition: dict | None = None,
) -> Path:
    """Write ``releases_dir/<version>.json`` (deterministic: sorted keys, no dates).

    Parameters
    ----------
    values : ``<chapter>:<glue name>`` -> glued scalar (the texts of the pages)
    rows : the edition's ARD rows
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
        "columns": list(ard_format.COLUMNS),
        "values": values,
    }
    head = json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False)
    lines = [
        json.dumps(list(row.record().values()), ensure_ascii=False)
        for row in ard_format.sort_rows(rows)
    ]
    listed = "[\n  " + ",\n  ".join(lines) + "\n ]" if lines else "[]"
    path.write_text(head[:-2] + f',\n "rows": {listed}\n}}\n', encoding="utf-8")
    return path


def read_snapshot(path: Path) -> dict:
    """Read one snapshot written by :func:`write_snapshot`; ``rows`` become :class:`Row`.

    Raises
    ------
    SnapshotError : not a snapshot, or another format (an older one is named, with the command
        that regenerates it)
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SnapshotError(f"{path}: not a release snapshot ({error})") from None
    if not isinstance(document, dict) or "version" not in document:
        raise SnapshotError(f"{path}: not a release snapshot, field 'version' is missing")
    found = document.get("format")
    if found != SNAPSHOT_FORMAT:
        raise SnapshotError(
            f"{path}: snapshot format {found!r}, this book reads format {SNAPSHOT_FORMAT} "
            "(results as ARD rows); regenerate it: build that release, then "
            "python -m ldil2 release"
        )
    for field in ("rows", "values"):
        if field not in document:
            raise SnapshotError(f"{path}: not a release snapshot, field {field!r} is missing")
    columns = document.get("columns", list(ard_format.COLUMNS))
    document["rows"] = [
        Row.from_record(dict(zip(columns, r, strict=True))) for r in document["rows"]
    ]
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


EDITION_PARAMETERS = ("population", "acr_joints", "imputation", "mi_imputations", "seed")
"""Parameters of a built edition recorded in its snapshot (they change what the values mean)."""


def built_edition(build_dir: Path) -> tuple[str, dict, dict[str, Scalar], list[Row]]:
    """The data version, edition parameters, glued values and ARD rows of a successful build.

    Parameters
    ----------
    build_dir : the ``--out`` folder of ``python -m ldil2 build``: ``report.json`` (its
        ``data.version`` and ``parameters``), ``stage/results.json`` (the values glued by every
        document, the second phase's too) and ``results/ard.json`` (every ARD row of the build)

    Raises
    ------
    ValueError : no report, a build that did not succeed, or a missing results file (names it)
    """
    report_path = build_dir / "report.json"
    if not report_path.is_file():
        raise ValueError(f"{report_path}: no build report; run python -m ldil2 build first")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    if report.get("status") != "ok":
        raise ValueError(f"{report_path}: status {report.get('status')!r}, expected 'ok'")
    results = build_dir / "stage" / RESULTS_FILE
    ard = build_dir / "results" / "ard.json"
    for needed in (results, ard):
        if not needed.is_file():
            raise ValueError(f"{report_path}: the build wrote no file {needed}")
    parameters = report.get("parameters", {})
    edition = {k: parameters[k] for k in EDITION_PARAMETERS if k in parameters}
    values, _ = read_results(results)
    rows = ard_format.from_json(ard.read_text(encoding="utf-8"), str(ard))
    return str(report["data"]["version"]), edition, values, rows


def release_command(build_dir: Path, releases_dir: Path) -> int:
    """``python -m ldil2 release``: snapshot the ARD rows and glued values of a built edition.

    Writes ``releases_dir/<version>.json`` (see :func:`write_snapshot`) and prints the file and
    the number of rows and values; returns 0, or prints the problem to stderr and returns 1.
    """
    try:
        version, edition, values, rows = built_edition(build_dir)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    path = write_snapshot(values, rows, version, releases_dir, edition)
    print(f"{path}: {len(rows)} ARD rows and {len(values)} values of data release {version}")
    return 0
