"""Shared fixtures: the book built once per session, and one chapter run through papermill."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ldil2.pipeline.execute import THREAD_ENV, ExecutedChapter, run_chapter

ROOT = Path(__file__).resolve().parents[1]


def run_build(*args: str, cwd: Path = ROOT, timeout: float = 900) -> subprocess.CompletedProcess:
    """``python -m ldil2 build ARGS`` in ``cwd`` (one BLAS thread per kernel); never raises on a
    failed build: the caller checks ``returncode``, ``stdout`` and ``stderr``."""
    env = dict(os.environ, **THREAD_ENV)
    return subprocess.run(
        [sys.executable, "-m", "ldil2", "build", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole book built once from the shipped data release; returns the output folder
    (``html/`` and ``report.json``)."""
    out = tmp_path_factory.mktemp("book")
    result = run_build("--out", str(out))
    if result.returncode != 0:
        pytest.fail(f"the book does not build:\n{result.stdout}\n{result.stderr}")
    return out


@pytest.fixture(scope="session")
def itt_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ITT edition (``-p population=itt``) built once per session from the shipped data;
    returns the output folder (``html/`` and ``report.json``)."""
    out = tmp_path_factory.mktemp("itt")
    result = run_build("-p", "population=itt", "--out", str(out))
    if result.returncode != 0:
        pytest.fail(f"the ITT edition does not build:\n{result.stdout}\n{result.stderr}")
    return out


@pytest.fixture
def execute(tmp_path: Path) -> Callable[..., ExecutedChapter]:
    """Run one chapter of the book through papermill as the build does.

    ``execute("safety", {"population": "itt"}, data_dir=release_dir)`` returns an
    :class:`ldil2.pipeline.execute.ExecutedChapter` (``.notebook``, ``.glued``: key -> text/plain).
    A failing cell raises :class:`ldil2.pipeline.common.ChapterError`.
    """

    def run(
        chapter_name: str,
        params_overrides: dict[str, Any] | None = None,
        data_dir: Path | str | None = None,
    ) -> ExecutedChapter:
        overrides = dict(params_overrides or {})
        if data_dir is not None:
            overrides["data_dir"] = str(Path(data_dir).resolve())
        return run_chapter(ROOT, chapter_name, tmp_path / "executed", overrides)

    return run
