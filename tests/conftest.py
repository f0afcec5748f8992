"""Shared fixtures and helpers: the book built once per session, a small release with missing
visits, one chapter run through papermill, the root of a tiny book, and checks of an executed
notebook (errors, glued figures and tables) and of a figure's output (deterministic)."""

from __future__ import annotations

import datetime
import html
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import publish_support
import pytest
import yaml

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


def tiny_book_root(root: Path, documents: list[str]) -> Path:
    """A book root at ``root`` for a tiny book: the shipped data release copied to ``data/``, the
    real _config.yml, parameters.yml, requirements.txt and _static/, an empty ``chapters/`` and a
    _toc.yml of ``index`` and ``documents`` (e.g. ``chapters/alpha``); the caller writes
    ``index.md`` and the documents. Returns ``root``."""
    (root / "chapters").mkdir(parents=True)
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "_static", root / "_static")
    for name in ("_config.yml", "parameters.yml", "requirements.txt", "references.bib"):
        shutil.copy(ROOT / name, root / name)
    toc = {"format": "jb-book", "root": "index", "chapters": [{"file": d} for d in documents]}
    (root / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    return root


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


@pytest.fixture(scope="session")
def small_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a small release (:func:`ldil2.testing.small_release`): six participants per
    arm, one withdrawn per arm, about one visit in ten missed. Shared by the session: read it,
    never change it."""
    from ldil2 import contract as c
    from ldil2 import testing
    from ldil2.data.release import load

    path = testing.small_release(tmp_path_factory.mktemp("small"))
    release = load(path)
    # the release really has what the chapters must cope with
    assert (~release.subjects[c.COMPLETED]).groupby(release.subjects[c.ARM]).sum().min() >= 1
    scheduled = len(release.metadata[c.VISIT_SCHEDULE])
    assert release.assessments.groupby(c.SUBJECT_ID).size().lt(scheduled).sum() > 0
    return path


def notebook_errors(notebook) -> list[str]:
    """Error outputs and standard-error streams of an executed notebook."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" or output.get("name") == "stderr":
                found.append(str(output)[:300])
    return found


def assert_glued_outputs_well_formed(notebook) -> None:
    """Every glued figure of an executed notebook is an image, every glued table an HTML table
    with caption and footnote (or the one sentence an empty table collapses to)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name", "")
            data = output.get("data", {})
            if name.endswith("_fig"):
                assert any(k.endswith("image/png") for k in data), name
            if name.endswith("_table"):
                page = next(v for k, v in data.items() if k.endswith("text/html"))
                table = 'class="ldil2-caption"' in page and 'class="ldil2-footnote"' in page
                assert table or 'class="ldil2-table-sentence"' in page, name


def assert_figure_output_deterministic(draw: Callable[[], Any], fmt: str) -> None:
    """``draw()`` (a new matplotlib figure each call) saved twice as ``fmt`` gives the same bytes;
    an SVG is dated ``SOURCE_DATE_EPOCH`` (set by ``ldil2.present.theme.set_theme``), not today."""

    def render() -> bytes:
        buffer = io.BytesIO()
        draw().savefig(buffer, format=fmt)
        return buffer.getvalue()

    first, second = render(), render()
    assert first == second
    if fmt == "svg":
        # set_theme sets SOURCE_DATE_EPOCH (0 when unset): the SVG date is that, not today
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
        date = datetime.datetime.fromtimestamp(epoch, datetime.UTC).isoformat()
        assert f"<dc:date>{date}</dc:date>".encode() in first


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


@pytest.fixture(scope="session")
def earlier_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny book (landing page and one chapter, the book's own configuration and static
    files) of the earlier data release (``ldil2.pipeline.earlier``, 2026.08.1), built once per
    session; returns the output folder. It stands in for the first edition of the archive."""
    root = tiny_book_root(tmp_path_factory.mktemp("earlier") / "book", ["chapters/alpha"])
    publish_support.write_earlier_book(root)
    out = root.parent / "out"
    result = run_build("--out", str(out), cwd=root)
    if result.returncode != 0:
        pytest.fail(f"the earlier edition does not build:\n{result.stdout}\n{result.stderr}")
    return out


@pytest.fixture(scope="session")
def published_site(
    tmp_path_factory: pytest.TempPathFactory, earlier_book: Path, built_book: Path
) -> Path:
    """Two runs of the deploy job (``python -m ldil2 deploy`` in a fresh clone) against a local
    bare repository standing in for GitHub: the earlier release, then the shipped one. Returns
    a clone of the pushed ``gh-pages`` branch: the archive as GitHub Pages would serve it."""
    tmp = tmp_path_factory.mktemp("published")
    remote = publish_support.bare_remote(tmp)
    for run, build in enumerate((earlier_book, built_book)):
        result = publish_support.deploy_run(remote, build, tmp / f"run{run}")
        if result.returncode != 0:
            pytest.fail(f"deploy run {run} failed:\n{result.stdout}\n{result.stderr}")
    return publish_support.archive_clone(remote, tmp / "site")


def table_captions(page_html: str) -> list[str]:
    """The captions of the book's tables on a built page, as text, in page order: a table's
    ``<figcaption class="ldil2-caption">`` (``HtmlTable``; without the "Table N" the build numbers
    it with) or a listing's ``<caption>``."""
    found = re.findall(
        r'<figcaption class="ldil2-caption">(.*?)</figcaption>|<caption>(.*?)</caption>',
        page_html,
        re.S,
    )
    texts = [
        re.sub(r'<span class="caption-number">.*?</span>', "", a or b, flags=re.S) for a, b in found
    ]
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", t))).strip() for t in texts]
