"""A results file written as the build writes it (``ldil2.pipeline.derived.write_results_file``:
the text of :func:`ldil2.pipeline.results.results_text`), for tests that need one without a
build."""

from __future__ import annotations

from pathlib import Path

from ldil2.pipeline.results import Scalar, results_text
from ldil2.results.format import Row


def write_results(path: Path, values: dict[str, Scalar], rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(results_text(values, rows), encoding="utf-8")
