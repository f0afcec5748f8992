"""The earlier data transfer shipped as the book's second release (2026.08.1).

``python -m ldil2.pipeline.earlier --work _build/earlier`` cuts the earlier release from
``data/`` (:func:`cut_release`), builds the book on it and snapshots it into ``releases/``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd
import yaml

from ldil2 import contract as c
from ldil2.pipeline.build import build_command
from ldil2.pipeline.config import PARAMETERS_FILE, find_root
from ldil2.pipeline.snapshots import RELEASES_DIR, release_command

# ---------------------------------------------------------------------------------------------

EARLIER_RELEASE = {
    "version": "2026.08.1",
    "released": "2026-08-17",
    "after_week": 12,
    "late_subjects_per_arm": 6,
}
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
    source: Path,
    out: Path,
    version: str,
    after_week: int,
    late_subjects_per_arm: int,
    released: str | None = None,
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
    released : the earlier release's metadata.yml ``released`` date (ISO); None drops the key
        (the source's date is not the earlier release's)

    Returns
    -------
    list : the subject_ids of the late participants

    Notes
    -----
    For each late participant the rows of assessments.csv, labs.csv and immunology.csv with
    ``week > after_week`` and the adverse events with ``onset_day > 7 * after_week`` are dropped.
    Every other row is copied as text (values unchanged); subjects.csv, exposure.csv and
    published.csv are copied unchanged. metadata.yml gets the new ``version``, ``released`` and a
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
    metadata.pop(c.META_RELEASED, None)
    if released is not None:
        metadata[c.META_RELEASED] = released
    (out / c.METADATA).write_text(yaml.safe_dump(metadata, sort_keys=True), encoding="utf-8")
    return late


def earlier_release_command(work: Path, releases_dir: Path, jobs: int = 2) -> int:
    """Regenerate the earlier release's snapshot: cut, build, snapshot.

    ``python -m ldil2.pipeline.earlier --work _build/earlier`` writes the earlier data release
    (:data:`EARLIER_RELEASE`, :func:`cut_release` of ``data/``) to ``<work>/data``, builds the
    book on it into ``<work>`` and writes ``releases_dir/<version>.json``. The earlier data stay
    under ``work`` (git-ignored ``_build``): only the snapshot is committed. Returns 0 on
    success, else 1 (the build or release prints why).
    """
    root = find_root()
    work = work.resolve()
    cut_release(root / "data", work / "data", **EARLIER_RELEASE)
    overrides = [f"data_dir={work / 'data'}"]
    if build_command(root / PARAMETERS_FILE, overrides, work, jobs) != 0:
        return 1
    return release_command(work, releases_dir)


def main(argv: list[str] | None = None) -> int:
    """``python -m ldil2.pipeline.earlier``: see :func:`earlier_release_command`."""
    parser = argparse.ArgumentParser(
        prog="python -m ldil2.pipeline.earlier", description=earlier_release_command.__doc__
    )
    parser.add_argument("--work", type=Path, default=Path("_build/earlier"))
    parser.add_argument("--releases", type=Path, default=Path(RELEASES_DIR))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    return earlier_release_command(args.work, args.releases, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
