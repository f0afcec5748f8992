"""Tests of the order in which a build gives its chapters to the workers (longest first)."""

from __future__ import annotations

import json
from pathlib import Path

from ldil2.pipeline.build import ChapterJob
from ldil2.pipeline.schedule import last_seconds, longest_first


def _jobs(*names: str) -> list[ChapterJob]:
    return [ChapterJob(name, Path(f"{name}.md"), {}, (), False) for name in names]


def test_the_longest_chapter_of_the_last_build_goes_first_and_new_ones_before_it():
    jobs = _jobs("methods", "participants", "primary", "new", "listings")
    seconds = {"methods": 15.8, "participants": 6.3, "primary": 29.8, "listings": 7.2}
    order = [job.name for job in longest_first(jobs, seconds)]
    assert order == ["new", "primary", "methods", "listings", "participants"]


def test_without_timings_the_toc_order_is_kept():
    jobs = _jobs("methods", "participants", "primary")
    assert longest_first(jobs, {}) == jobs


def test_the_timings_are_those_of_chapters_the_last_build_executed(tmp_path: Path):
    report = tmp_path / "report.json"
    chapters = {
        "a": {"status": "executed", "seconds": 3.5},
        "b": {"status": "reused", "seconds": 0.0},
        "c": {"status": "failed", "seconds": 1.0},
    }
    report.write_text(json.dumps({"chapters": chapters}), encoding="utf-8")
    assert last_seconds(report) == {"a": 3.5}
    report.write_text("{not json", encoding="utf-8")
    assert last_seconds(report) == {}
    assert last_seconds(tmp_path / "none.json") == {}
