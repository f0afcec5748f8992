"""Tests of the book build (ldil2.build): chapters, cache keys, reuse, failures, editions.

Failure and interruption tests use a tiny book tree (two documents that do not import the
analysis library) in a temporary folder, so they cost seconds and never touch the real chapters.
Tests marked ``build`` build the real book (shared through the session fixture ``built_book``).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml
from conftest import ROOT, run_build, tiny_book_root

from ldil2 import contract
from ldil2.pipeline import build, cache, common, execute, results, stage, toc

# The front matter every document shares (style rule 8); only `ldil2: reads:` differs.
HEADER = {
    "jupytext": {
        "text_representation": {
            "extension": ".md",
            "format_name": "myst",
            "format_version": 0.13,
            "jupytext_version": "1.19.6",
        }
    },
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
}

TINY_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
    jupytext_version: 1.19.6
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
ldil2:
  reads: [{reads}]
---
"""

TINY_CHAPTER = """
# {title}

```{{code-cell}} ipython3
:tags: [parameters]

params = None
```

```{{code-cell}} ipython3
:tags: [remove-cell]

import pathlib, time
from myst_nb import glue

time.sleep({sleep})
rows = len(pathlib.Path(params["data_dir"], "{table}").read_text().splitlines()) - 1
glue("{title}_rows", int(rows))
```

The release has {{glue:text}}`{title}_rows` rows in {table}.
"""

TINY_INDEX = """
# Tiny book

```{code-cell} ipython3
:tags: [parameters]

params = None
```

Data release {{ release_download }}, checksum {{ release_sha256 }}; chapters
{doc}`chapters/alpha` and {doc}`chapters/beta`.
"""


# A second-phase document: it glues what the build's results file says about the others.
TINY_RESULTS_CHAPTER = """
# Gamma

```{code-cell} ipython3
:tags: [parameters]

params = None
```

```{code-cell} ipython3
:tags: [remove-cell]

from myst_nb import glue
from ldil2.pipeline import results

values, _ = results.read_results(params["results"])
glue("gamma_seen", ", ".join(f"{k}={v}" for k, v in sorted(values.items())))
```

The other pages glued {glue:text}`gamma_seen`.
"""


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n", 2)[1])


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def write_chapter(root: Path, name: str, table: str, sleep: float = 0) -> None:
    body = TINY_CHAPTER.format(title=name, table=table, sleep=sleep)
    (root / "chapters" / f"{name}.md").write_text(
        TINY_HEADER.format(reads=table) + body, encoding="utf-8"
    )


@pytest.fixture
def tiny_book(tmp_path: Path) -> Path:
    """A book root with index, chapters/alpha (reads subjects.csv) and chapters/beta (reads
    adverse_events.csv), the shipped data release copied to ``data/``, the real _config.yml
    and _static/."""
    root = tiny_book_root(tmp_path / "book", ["chapters/alpha", "chapters/beta"])
    (root / "index.md").write_text(
        TINY_HEADER.format(reads="subjects.csv") + TINY_INDEX, encoding="utf-8"
    )
    write_chapter(root, "alpha", contract.SUBJECTS)
    write_chapter(root, "beta", contract.ADVERSE_EVENTS)
    return root


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def kernel_trap(folder: Path) -> dict[str, str]:
    """Environment in which starting the kernel ``python3`` fails: a kernelspec of that name
    whose program is ``false``, found first on JUPYTER_PATH."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    kernel = {"argv": ["false", "{connection_file}"], "display_name": "trap", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return {"JUPYTER_PATH": str(folder)}


def run_build_env(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ldil2", "build", *args],
        cwd=cwd,
        env=dict(os.environ, **execute.THREAD_ENV, **env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def staged_glue(out: Path) -> dict[str, dict[str, str]]:
    """Glued values of every staged (executed) notebook of an edition."""
    return {
        p.relative_to(out / "stage").as_posix(): results.glued_values(
            nbformat.read(p, as_version=4)
        )
        for p in sorted((out / "stage").rglob("*.ipynb"))
    }


# ---------------------------------------------------------------------------------------------
# Fast unit tests
# ---------------------------------------------------------------------------------------------


def test_chapter_header_identical_in_every_chapter():
    """Style rule 8. No `formats` key: it would override the jupytext.toml pairing."""
    for name in toc.toc_documents(ROOT):
        matter = front_matter(ROOT / f"{name}.md")
        assert {k: matter.get(k) for k in HEADER} == HEADER, f"{name}.md: front matter differs"
        reads = matter["ldil2"]["reads"]
        known = {*contract.RELEASE_TABLES, contract.PUBLISHED, *toc.BOOK_READS}
        assert set(reads) <= known, name


def test_every_chapter_starts_with_parameters_then_setup():
    for name in toc.toc_documents(ROOT):
        code = [c for c in toc.read_chapter(ROOT / f"{name}.md").cells if c.cell_type == "code"]
        assert code[0].metadata.get("tags") == ["parameters"], name
        assert code[0].source.strip() == "params = None", name
        assert "ch = chapter.setup(params)" in code[1].source, name


def test_parse_overrides_types_int_float_str():
    parsed = toc.parse_overrides(["seed=7", "alpha=0.5", "population=itt", "joints=68/66"])
    assert parsed == {"seed": 7, "alpha": 0.5, "population": "itt", "joints": "68/66"}
    assert type(parsed["seed"]) is int and type(parsed["alpha"]) is float


def test_parse_overrides_rejects_missing_equals():
    with pytest.raises(common.BuildError, match="KEY=VALUE"):
        toc.parse_overrides(["population"])


def test_toc_missing_chapter_is_named(tiny_book: Path):
    (tiny_book / "chapters" / "beta.md").unlink()
    with pytest.raises(common.BuildError, match=r"chapters/beta\.md"):
        toc.toc_documents(tiny_book)


def test_release_zip_is_deterministic(tmp_path: Path):
    copy = shutil.copytree(ROOT / "data", tmp_path / "data")
    first = cache.release_zip_bytes(copy)
    for path in copy.iterdir():
        os.utime(path, (1_000_000, 1_000_000))  # other timestamps: same zip
    assert cache.release_zip_bytes(copy) == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    names = archive.namelist()
    assert names == sorted(names) and contract.SUBJECTS in names
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert archive.read(contract.SUBJECTS) == (copy / contract.SUBJECTS).read_bytes()


def test_chapter_key_follows_declared_data_only(tiny_book: Path):
    md = tiny_book / "chapters" / "beta.md"
    params = {"population": "per_protocol"}
    data = tiny_book / "data"

    def key() -> str:
        return cache.chapter_key(md, params, data, [contract.ADVERSE_EVENTS], tiny_book)

    before = key()
    with open(data / contract.LABS, "a", encoding="utf-8") as labs:  # not declared by beta
        labs.write("\n")
    assert key() == before
    with open(data / contract.ADVERSE_EVENTS, "a", encoding="utf-8") as events:
        events.write("\n")
    assert key() != before
    moved = cache.chapter_key(md, dict(params, data_dir="elsewhere"), data, [], tiny_book)
    assert moved == cache.chapter_key(md, params, data, [], tiny_book)


# ---------------------------------------------------------------------------------------------
# The tiny book: failures and interruptions
# ---------------------------------------------------------------------------------------------


@pytest.mark.build
def test_tiny_build_then_noop_rebuild_starts_no_kernel(tiny_book: Path, tmp_path: Path):
    out = tmp_path / "out"
    trap = kernel_trap(tmp_path / "trap")
    cold = run_build_env("--out", str(out), cwd=tiny_book, env=trap)
    assert cold.returncode != 0, "the kernel trap must make any kernel start fail"
    first = run_build("--out", str(out), cwd=tiny_book)
    assert first.returncode == 0, first.stderr
    assert {c["status"] for c in report(out)["chapters"].values()} == {"executed"}
    site = tree_digest(out / "html")
    again = run_build_env("--out", str(out), cwd=tiny_book, env=trap)
    assert again.returncode == 0, again.stderr
    assert {c["status"] for c in report(out)["chapters"].values()} == {"reused"}
    assert "jupyter-book not run" in again.stdout
    assert tree_digest(out / "html") == site
    version = report(out)["data"]["version"]
    assert (out / "html" / f"data-release-{version}.zip").is_file()


@pytest.mark.build
def test_results_chapter_runs_after_the_others_and_follows_their_values(tiny_book, tmp_path):
    header = TINY_HEADER.format(reads=contract.SUBJECTS)
    header = header.replace("]\n---", "]\n  needs: [results]\n---")
    (tiny_book / "chapters" / "gamma.md").write_text(header + TINY_RESULTS_CHAPTER, "utf-8")
    toc = yaml.safe_load((tiny_book / "_toc.yml").read_text(encoding="utf-8"))
    toc["chapters"].insert(0, {"file": "chapters/gamma"})  # first in the toc, run last
    (tiny_book / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    out = tmp_path / "out"

    def seen() -> str:
        return staged_glue(out)["chapters/gamma.ipynb"]["gamma_seen"]

    first = run_build("--out", str(out), cwd=tiny_book)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    done = [i for i, line in enumerate(lines) if line.startswith("[executed]")]
    assert "chapters/gamma" in lines[done[-1]] and len(done) == 4, first.stdout
    glued = staged_glue(out)
    rows = glued["chapters/alpha.ipynb"]["alpha_rows"], glued["chapters/beta.ipynb"]["beta_rows"]
    assert seen() == repr(f"alpha:alpha_rows={rows[0]}, beta:beta_rows={rows[1]}")
    # after the build the results file holds every document's values, gamma's too (publishing
    # reads the landing page's conclusions line there); gamma saw only the first phase's
    assert "gamma:gamma_seen" in (out / "stage" / results.RESULTS_FILE).read_text("utf-8")
    again = run_build_env("--out", str(out), cwd=tiny_book, env=kernel_trap(tmp_path / "trap"))
    assert again.returncode == 0, again.stderr
    assert report(out)["chapters"]["chapters/gamma"]["status"] == "reused"
    events = tiny_book / "data" / contract.ADVERSE_EVENTS
    lines = events.read_text(encoding="utf-8").splitlines()
    events.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # one event fewer
    changed = run_build("--out", str(out), cwd=tiny_book)
    assert changed.returncode == 0, changed.stderr
    statuses = {name: c["status"] for name, c in report(out)["chapters"].items()}
    assert statuses == {
        "index": "reused",
        "chapters/alpha": "reused",
        "chapters/beta": "executed",
        "chapters/gamma": "executed",
    }
    assert seen() == repr(f"alpha:alpha_rows={rows[0]}, beta:beta_rows={int(rows[1]) - 1}")


@pytest.mark.build
def test_failing_cell_names_chapter_cell_exception_and_keeps_site(tiny_book: Path, tmp_path):
    out = tmp_path / "out"
    assert run_build("--out", str(out), cwd=tiny_book).returncode == 0
    site = tree_digest(out / "html")
    stage = tree_digest(out / "stage")
    alpha = tiny_book / "chapters" / "alpha.md"
    alpha.write_text(
        alpha.read_text(encoding="utf-8") + "\n```{code-cell} ipython3\n1 / 0\n```\n",
        encoding="utf-8",
    )
    failed = run_build("--out", str(out), cwd=tiny_book)
    assert failed.returncode == 1
    assert "chapters/alpha.md" in failed.stderr
    assert "cell 5" in failed.stderr  # title, parameters, glue cell, prose, then the failing cell
    assert "ZeroDivisionError" in failed.stderr
    assert tree_digest(out / "html") == site
    assert tree_digest(out / "stage") == stage
    key = report(out)["chapters"]["chapters/alpha"]["key"]
    assert report(out)["chapters"]["chapters/alpha"]["status"] == "failed"
    assert not [p for p in (out / "cache").iterdir() if key[:16] in p.name]
    assert not list(out.rglob(".tmp-*"))


def test_a_progress_line_is_written_whole_in_one_write(monkeypatch: pytest.MonkeyPatch):
    """Workers and the build write their lines to one output: each line goes out in a single
    write with its newline (print's two writes let another process's line in between)."""
    writes = []
    stdout = SimpleNamespace(write=writes.append, flush=lambda: None)
    monkeypatch.setattr(sys, "stdout", stdout)
    build.progress("[start   ] chapters/beta.md")
    assert writes == ["[start   ] chapters/beta.md\n"]


def test_a_release_that_passed_is_not_validated_again_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    data_dir = shutil.copytree(ROOT / "data", tmp_path / "data")
    out, graph = tmp_path / "out", cache.import_graph()

    def check_key() -> str:
        zip_sha = hashlib.sha256(cache.release_zip_bytes(data_dir)).hexdigest()
        return cache.release_check_key(zip_sha, ROOT, graph)

    validated = []
    real_load = cache.data.load
    monkeypatch.setattr(cache.data, "load", lambda d: validated.append(d) or real_load(d))
    first = cache.checked_release(data_dir, check_key(), out)
    again = cache.checked_release(data_dir, check_key(), out)
    assert len(validated) == 1 and again.tables == () and again.metadata == first.metadata
    subjects = data_dir / contract.SUBJECTS
    lines = subjects.read_text(encoding="utf-8").splitlines()
    header, row = lines[0].split(","), lines[1].split(",")
    row[header.index("age")] = "250"
    subjects.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(common.BuildError, match="subjects.csv line 2"):
        cache.checked_release(data_dir, check_key(), out)
    assert len(validated) == 2


@pytest.mark.build
def test_invalid_release_stops_build_and_keeps_site(tiny_book: Path, tmp_path: Path):
    out = tmp_path / "out"
    assert run_build("--out", str(out), cwd=tiny_book).returncode == 0
    site = tree_digest(out / "html")
    subjects = tiny_book / "data" / contract.SUBJECTS
    lines = subjects.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("age")] = "250"
    subjects.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    failed = run_build("--out", str(out), cwd=tiny_book)
    assert failed.returncode == 1
    assert "subjects.csv line 2" in failed.stderr and "age" in failed.stderr
    assert "[start" not in failed.stdout  # no chapter ran
    assert tree_digest(out / "html") == site


@pytest.mark.build
@pytest.mark.parametrize("moment", ["executing", "jupyter-book"])
def test_killed_build_recovers_with_same_results(tiny_book: Path, tmp_path: Path, moment: str):
    write_chapter(tiny_book, "beta", contract.ADVERSE_EVENTS, sleep=4)
    reference = tmp_path / "reference"
    assert run_build("--out", str(reference), cwd=tiny_book).returncode == 0
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "ldil2", "build", "--out", str(out)],
        cwd=tiny_book,
        env=dict(os.environ, **execute.THREAD_ENV),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if moment == "executing" and any((out / "cache").glob("index.*.ipynb")):
            break  # the index is cached, beta is still sleeping in its kernel
        if moment == "jupyter-book" and (out / "work" / "_build").is_dir():
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the build never reached {moment}")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    again = run_build("--out", str(out), cwd=tiny_book)
    assert again.returncode == 0, again.stderr
    assert staged_glue(out) == staged_glue(reference)
    assert (out / "html" / "index.html").read_bytes() == (
        reference / "html" / "index.html"
    ).read_bytes()
    assert not list(out.rglob(".tmp-*"))


# ---------------------------------------------------------------------------------------------
# The real book
# ---------------------------------------------------------------------------------------------


@pytest.mark.build
def test_noop_rebuild_reuses_every_chapter_and_starts_no_kernel(built_book: Path, tmp_path):
    out = shutil.copytree(built_book, tmp_path / "out")  # the shared build stays as it is
    site = tree_digest(out / "html")
    again = run_build_env("--out", str(out), cwd=ROOT, env=kernel_trap(tmp_path / "trap"))
    assert again.returncode == 0, again.stderr
    chapters = report(out)["chapters"]
    assert chapters and {c["status"] for c in chapters.values()} == {"reused"}
    assert "jupyter-book not run" in again.stdout
    assert tree_digest(out / "html") == site


@pytest.mark.build
def test_changed_adverse_events_reexecute_only_chapters_that_read_it(built_book, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built_book, out, ignore=shutil.ignore_patterns("html"))
    data = shutil.copytree(ROOT / "data", tmp_path / "data")
    events = data / contract.ADVERSE_EVENTS
    events.write_text(events.read_text(encoding="utf-8").rstrip("\n") + "\n", encoding="utf-8")
    lines = events.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 1, "the shipped release has adverse events"
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("grade")] = "1" if row[header.index("grade")] != "1" else "2"
    events.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    result = run_build("-p", f"data_dir={data}", "--out", str(out), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    readers = {
        name
        for name in toc.toc_documents(ROOT)
        if contract.ADVERSE_EVENTS in front_matter(ROOT / f"{name}.md")["ldil2"]["reads"]
    }
    executed = {n for n, c in report(out)["chapters"].items() if c["status"] == "executed"}
    assert executed == readers


@pytest.mark.build
def test_two_cold_builds_give_identical_glue_and_checksum(built_book: Path, tmp_path: Path):
    """Byte-identical: every staged page and every file of the site, but for the pages of the
    second phase, whose injected parameters name the build's own results file."""
    out = tmp_path / "cold"
    result = run_build("--out", str(out), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert staged_glue(out) == staged_glue(built_book)
    second = [
        name
        for name in toc.toc_documents(ROOT)
        if toc.NEEDS_RESULTS in toc.chapter_needs(toc.read_chapter(ROOT / f"{name}.md"), name)
    ]
    skipped = {stage.SITE_KEY_FILE} | {f"_sources/{name}.ipynb" for name in second}
    for folder, skip in (("stage", {f"{name}.ipynb" for name in second}), ("html", skipped)):
        ours = {k: v for k, v in tree_digest(out / folder).items() if k not in skip}
        theirs = {k: v for k, v in tree_digest(built_book / folder).items() if k not in skip}
        assert ours == theirs, folder
    assert report(out)["data"]["sha256"] == report(built_book)["data"]["sha256"]
    zips = [p.name for p in (built_book / "html").glob("data-release-*.zip")]
    assert len(zips) == 1
    assert (out / "html" / zips[0]).read_bytes() == (built_book / "html" / zips[0]).read_bytes()
    tlf = sorted(p.name for p in (built_book / "html" / "tlf").iterdir())  # RTF files and zip
    assert tlf == sorted(p.name for p in (out / "html" / "tlf").iterdir())
    for name in tlf:
        assert (out / "html" / "tlf" / name).read_bytes() == (
            built_book / "html" / "tlf" / name
        ).read_bytes(), name


@pytest.mark.build
def test_itt_edition_builds_with_its_parameters(itt_book: Path):
    """`-p population=itt --out DIR` (the session's `itt_book`) builds a complete edition."""
    assert report(itt_book)["parameters"]["population"] == "itt"
    assert report(itt_book)["status"] == "ok"
    index = (itt_book / "html" / "index.html").read_text(encoding="utf-8")
    # ldil2.pipeline.sphinxext puts a line break between table cells (so search sees words)
    assert "<td><code>population</code></td>\n<td>itt</td>" in index


@pytest.mark.build
def test_built_book_report_and_downloads(built_book: Path):
    data = report(built_book)
    assert data["status"] == "ok" and data["data"]["version"]
    names = toc.toc_documents(ROOT)
    assert sorted(data["chapters"]) == sorted(names)
    index = (built_book / "html" / "index.html").read_text(encoding="utf-8")
    assert data["data"]["zip"] in index and data["data"]["sha256"] in index
    for name in names[1:]:
        page = (built_book / "html" / f"{name}.html").read_text(encoding="utf-8")
        assert f"_sources/{name}.ipynb" in page, f"{name}: no notebook download"
        assert (built_book / "html" / "_sources" / f"{name}.ipynb").is_file()


def test_execute_fixture_runs_the_landing_page(execute):
    """The `execute` fixture other tests use: the landing page glues the release facts."""
    metadata = yaml.safe_load((ROOT / "data" / contract.METADATA).read_text(encoding="utf-8"))
    ran = execute("index", {"population": "itt"}, data_dir=ROOT / "data")
    assert ran.glued["release_version"] == repr(str(metadata["version"]))
    assert ran.glued["release_provenance"] == repr(str(metadata["provenance"]))
    hidden = [c for c in ran.notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(hidden) == 1 and "remove-cell" in hidden[0].metadata.tags
    assert '"population": "itt"' in hidden[0].source


def test_jupytext_pairs_chapter_with_git_ignored_notebook(tmp_path: Path):
    """`jupytext --sync chapters/X.md` writes _notebooks/X.ipynb and leaves the .md as it is."""
    shutil.copy(ROOT / "jupytext.toml", tmp_path / "jupytext.toml")
    (tmp_path / "chapters").mkdir()
    source = ROOT / f"{toc.toc_documents(ROOT)[1]}.md"
    chapter = tmp_path / "chapters" / source.name
    shutil.copy(source, chapter)
    jupytext = Path(sys.executable).with_name("jupytext")
    result = subprocess.run(
        [str(jupytext), "--sync", f"chapters/{source.name}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    paired = tmp_path / "_notebooks" / f"{source.stem}.ipynb"
    assert paired.is_file()
    assert not (tmp_path / "chapters" / f"{source.stem}.ipynb").exists()
    assert chapter.read_bytes() == source.read_bytes()
    assert "_notebooks/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_second_build_in_same_folder_is_refused(tiny_book: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_build("--out", str(out), cwd=tiny_book)
    assert result.returncode == 1
    assert "another build is running" in result.stderr


def test_recover_restores_a_site_caught_mid_swap(tmp_path: Path):
    """Killed between the two renames of the swap: the old site comes back, leftovers go."""
    old = tmp_path / ".html-old"
    old.mkdir()
    (old / "index.html").write_text("previous site", encoding="utf-8")
    (tmp_path / ".html-new1234").mkdir()
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / ".tmp-abc.ipynb").write_text("{", encoding="utf-8")
    (tmp_path / "work").mkdir()  # a Sphinx folder without its .complete marker
    stage.recover(tmp_path)
    assert (tmp_path / "html" / "index.html").read_text(encoding="utf-8") == "previous site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "html"]
    assert not list((tmp_path / "cache").iterdir())
